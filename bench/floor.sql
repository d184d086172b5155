-- The floor: one hand-written DuckDB script from the delivered raw files to fct_admissions and the monthly KPIs.
--
-- What the benchmark compares the pipeline against (bench/README.md). It reads the files exactly as hospitals
-- deliver them — cp932 TSV with a title row, under <lake>/raw/yyyymm=YYYYMM/facility=NNNNNNNNN/ — with
-- DuckDB's CSV reader and the `encodings` extension (docs/decisions/0002), and computes the same results as
-- mart.fct_admissions and the unsuppressed int_kpi__monthly_facility_mdc, with the same rules:
--   * a stay is (facility, patient, 入院年月日); its latest 様式1 delivery is authoritative (docs/decisions/0004),
--     and within it one form: the parent (統括診療情報番号 0), else an aggregate (B, then A), else the latest
--     child (the highest of 1 … 9) (spec p40, p48, p55); forms are never pooled;
--   * the literal NULL, in any case, is an empty field (空欄（Null）: p20, p146, p215, p228), as the reader reads it;
--   * a yyyymmdd date of 00000000 or with day 00 is unknown (null); an age needs both dates exact;
--   * billed points as the receipt computes them (docs/decisions/0007): per claim month round(Σ 93 points ×
--     医療機関別係数) (p214), + 94 rows, + 行為点数 × 行為回数 of the other point rows; meals (yen) apart; EF gives
--     the as-billed and 出来高換算 values only;
--   * readmission pairs within 42 days, flags at 30 / 28 / 42 days (same DPC6) (docs/decisions/0006);
--   * KPIs per facility × discharge month × MDC over discharged stays.
-- It reads 様式1 (FF1), D (Dn) and 入院EF (EFn) only: not 外来EF (EFg), FF4, H, nor the K file (which the
-- pipeline deletes once normalised). What it leaves out, by design: validation and quarantine (it trusts the
-- files), pseudonymisation (it keeps the clear データ識別番号 as data_id; the benchmark maps it to patient_key
-- with the pipeline's HMAC before comparing), lineage, history and incremental state.
--
-- It reads nothing of the pipeline's: the two code lists it needs (退院時転帰 deaths, ICD-10 chapters) are
-- written below.
--
-- The caller (bench/floor.py) loads the encodings extension and sets three variables:
--   set variable lake = '<lake root>';
--   set variable encoding = 'ibm-943_P15A-2003' (cp932, as delivered; 'utf-8' for the benchmark's transcoded copy);
--   set variable buffer_size = <bytes ≥ the largest raw file it reads>: DuckDB 1.5.5 corrupts a multi-byte
--   character that straddles a CSV buffer boundary when reading through `encoding =` (duckdb/duckdb-encodings#19,
--   fixed by duckdb/duckdb#25100 after 1.5.5), so every file must fit in one buffer.
-- Results: tables floor_admissions and floor_kpi in the current database.

set enable_progress_bar = false;

-- what read_csv reads as null: the empty field and the literal NULL in any case (the reader's rule); text
-- padded around a NULL is caught by txt() / code() below
set variable nulls = [
    '', 'NULL', 'NULl', 'NUlL', 'NUll', 'NuLL', 'NuLl', 'NulL', 'Null',
    'nULL', 'nULl', 'nUlL', 'nUll', 'nuLL', 'nuLl', 'nulL', 'null'
];

-- text right-trimmed, codes and dates trimmed; empty or NULL → null
create or replace temp macro txt(x) as case when upper(rtrim(x)) not in ('', 'NULL') then rtrim(x) end;
create or replace temp macro code(x) as case when upper(trim(x)) not in ('', 'NULL') then trim(x) end;
-- yyyymmdd → date; 00000000 (not discharged) and a day 00 (a partly unknown date) → null
create or replace temp macro ymd(x) as
    case when trim(x) in ('', '00000000') or substr(trim(x), 7, 2) = '00' or upper(trim(x)) = 'NULL' then null
        else cast(strptime(trim(x), '%Y%m%d') as date) end;
create or replace temp macro delivery_month(path) as cast(regexp_extract(path, 'yyyymm=(\d{6})', 1) as integer);

-- 様式1: only the items the mart uses, plus every row's delivery month and form (one form of the latest
-- delivery wins). delivery_form = yyyymm × 100 + the form's rank: 0 (parent) 99 > B 98 > A 97 > child 9 … 1,
-- so a stay's greatest delivery_form is its form of its latest delivery
create or replace temp table ff1 as
select
    code(facility_code) as facility_code,
    trim(data_id) as data_id,
    ymd(admission_date) as admission_date,
    code(admission_date) as admission_date_text,
    admission_seq,
    delivery_month(filename) * 100 + case code(parent_info_no)
        when '0' then 99 when 'B' then 98 when 'A' then 97 else coalesce(try_cast(code(parent_info_no) as integer), 0)
    end as delivery_form,
    txt(item_code) as item_code,
    txt(payload_1) as payload_1,
    txt(payload_2) as payload_2,
    txt(payload_3) as payload_3,
    txt(payload_4) as payload_4,
    txt(payload_5) as payload_5,
    txt(payload_6) as payload_6,
    delivery_month(filename) as yyyymm
from read_csv(
    getvariable('lake') || '/raw/yyyymm=*/facility=*/FF1_*.txt',
    encoding = getvariable('encoding'), buffer_size = getvariable('buffer_size'),
    delim = '\t', quote = '', escape = '', header = true, nullstr = getvariable('nulls'),
    hive_partitioning = false, filename = true, auto_detect = false,
    columns = {
        'facility_code': 'varchar', 'data_id': 'varchar', 'admission_date': 'varchar', 'admission_seq': 'bigint',
        'parent_info_no': 'varchar', 'item_code': 'varchar', 'version': 'varchar', 'seq': 'bigint',
        'payload_1': 'varchar', 'payload_2': 'varchar', 'payload_3': 'varchar', 'payload_4': 'varchar',
        'payload_5': 'varchar', 'payload_6': 'varchar', 'payload_7': 'varchar', 'payload_8': 'varchar',
        'payload_9': 'varchar'
    }
);

-- D: billed points per stay (all deliveries add up: each carries its own month's service dates)
create or replace temp table d_stay as
with d as (
    select
        code(facility_code) as facility_code,
        trim(data_id) as data_id,
        ymd(admission_date) as admission_date,
        code(data_category) as data_category,
        act_points, act_drug_points, act_material_points, act_count, hospital_coefficient,
        code(yen_point_flag) as yen_point_flag,
        ymd(billing_end_date) as billing_end_date,
        txt(dpc_code) as dpc_code,
        delivery_month(filename) as yyyymm
    from read_csv(
        getvariable('lake') || '/raw/yyyymm=*/facility=*/Dn_*.txt',
        encoding = getvariable('encoding'), buffer_size = getvariable('buffer_size'),
        delim = '\t', quote = '', escape = '', header = true, nullstr = getvariable('nulls'),
        hive_partitioning = false, filename = true, auto_detect = false,
        columns = {
            'facility_code': 'varchar', 'data_id': 'varchar', 'discharge_date': 'varchar',
            'admission_date': 'varchar', 'data_category': 'varchar', 'sequence_no': 'varchar',
            'hospital_master_code': 'varchar', 'receipt_code': 'varchar', 'interpretation_no': 'varchar',
            'act_name': 'varchar', 'act_points': 'decimal(18,4)', 'act_drug_points': 'decimal(18,4)',
            'act_material_points': 'decimal(18,4)', 'yen_point_flag': 'varchar', 'act_count': 'bigint',
            'insurer_no': 'varchar', 'receipt_type': 'varchar', 'service_date': 'varchar',
            'receipt_dept': 'varchar', 'clinical_dept': 'varchar', 'doctor_code': 'varchar',
            'ward_code': 'varchar', 'ward_type': 'varchar', 'in_out_flag': 'varchar', 'facility_type': 'varchar',
            'billing_start_date': 'varchar', 'billing_end_date': 'varchar', 'billing_origin_date': 'varchar',
            'dpc_code': 'varchar', 'hospital_coefficient': 'decimal(18,4)'
        }
    )
),

billed as (
    select
        *,
        data_category = '93' as is_bundled,
        case when yen_point_flag = '1' then 0 else coalesce(act_points, 0) * coalesce(act_count, 1) end as row_points,
        case when yen_point_flag = '1' then coalesce(act_points, 0) * coalesce(act_count, 1) else 0 end as yen_amount
    from d
),

-- the bundled part of each receipt: a claim month's Σ 93 points × coefficient, rounded once (p214)
bundled as (
    select
        facility_code,
        data_id,
        admission_date,
        sum(round(cast(month_points as decimal(18, 4)) * cast(coalesce(hospital_coefficient, 1) as decimal(10, 4)), 0))
            as bundled_points
    from (
        select facility_code, data_id, admission_date, yyyymm, hospital_coefficient, sum(row_points) as month_points
        from billed
        where data_category = '93'
        group by all
    )
    group by all
),

rows_total as (
    select
        facility_code,
        data_id,
        admission_date,
        -- 94 調整点数 (p194): corrects months billed before; may be negative
        sum(case when data_category = '94' then row_points else 0 end) as adjustment_points,
        sum(case when data_category not in ('93', '94') then row_points else 0 end) as ffs_billed_points,
        sum(yen_amount) as meal_yen,
        -- the stay's DPC code and coefficient: its latest bundled row (ties: see bench/README.md)
        arg_max(dpc_code, (yyyymm, coalesce(billing_end_date, date '0001-01-01'), dpc_code, hospital_coefficient))
            filter (where is_bundled and dpc_code is not null) as dpc_code,
        arg_max(hospital_coefficient, (yyyymm, coalesce(billing_end_date, date '0001-01-01'), dpc_code, hospital_coefficient))
            filter (where is_bundled and dpc_code is not null) as hospital_coefficient
    from billed
    group by facility_code, data_id, admission_date
)

select
    r.facility_code,
    r.data_id,
    r.admission_date,
    cast(coalesce(b.bundled_points, 0) as double) as bundled_points,
    cast(r.ffs_billed_points as double) as ffs_billed_points,
    cast(coalesce(b.bundled_points, 0) as double) + cast(r.adjustment_points as double)
        + cast(r.ffs_billed_points as double) as billed_points,
    cast(r.adjustment_points as double) as adjustment_points,
    cast(r.meal_yen as double) as meal_yen,
    r.dpc_code,
    r.hospital_coefficient
from rows_total as r
left join bundled as b using (facility_code, data_id, admission_date);

-- EF (inpatient): what fee-for-service would have billed, per stay — the bulk of the raw text
create or replace temp table ef_stay as
select
    code(facility_code) as facility_code,
    trim(data_id) as data_id,
    ymd(admission_date) as admission_date,
    -- as billed: 行為点数 × 行為回数 of the act rows in points (p197); 出来高換算: 出来高実績点数 × 行為回数 of the items,
    -- 持参薬 (③ ≠ 0, p191) and acts in yen (meals 97, 先進医療, p185) left out, items bundled in a fee (②) kept
    cast(sum(case when detail_no = 0 and not yen_act
        then coalesce(try_cast(act_points as decimal(18, 4)), 0) * coalesce(act_count, 1) else 0 end) as double)
        as ef_billed_points,
    cast(sum(case
        when detail_no <> 0 and not yen_act
            and coalesce(case when length(detail_flags) = 12 then substr(detail_flags, 3, 1) end, '0') = '0'
        then coalesce(ffs_points, 0) * coalesce(act_count, 1) else 0 end) as double)
        as ef_ffs_equivalent_points
from (
    select
        *,
        -- an act in yen (円・点区分 1 on its act row, or meals 97, p185): every row of the act
        code(data_category) = '97' or bool_or(detail_no = 0 and code(yen_point_flag) = '1') over (
            partition by filename, facility_code, data_id, admission_date, data_category, sequence_no
        ) as yen_act
    from read_csv(
        getvariable('lake') || '/raw/yyyymm=*/facility=*/EFn_*.txt',
        encoding = getvariable('encoding'), buffer_size = getvariable('buffer_size'),
        delim = '\t', quote = '', escape = '', header = true, nullstr = getvariable('nulls'),
        hive_partitioning = false, filename = true, auto_detect = false,
        columns = {
            'facility_code': 'varchar', 'data_id': 'varchar', 'discharge_date': 'varchar', 'admission_date': 'varchar',
            'data_category': 'varchar', 'sequence_no': 'varchar', 'detail_no': 'bigint',
            'hospital_master_code': 'varchar', 'receipt_code': 'varchar', 'interpretation_no': 'varchar',
            'item_name': 'varchar', 'quantity': 'varchar', 'unit_code': 'varchar', 'item_points': 'varchar',
            'yen_point_flag': 'varchar', 'ffs_points': 'decimal(18,4)', 'detail_flags': 'varchar',
            'act_points': 'varchar', 'act_drug_points': 'varchar', 'act_material_points': 'varchar',
            'act_count': 'bigint', 'insurer_no': 'varchar', 'receipt_type': 'varchar', 'service_date': 'varchar',
            'receipt_dept': 'varchar', 'clinical_dept': 'varchar', 'doctor_code': 'varchar', 'ward_code': 'varchar',
            'ward_type': 'varchar', 'in_out_flag': 'varchar', 'facility_type': 'varchar'
        }
    )
)
group by all;

-- stays: pivot each stay's chosen form of its latest 様式1 delivery, then attach D and EF
create or replace temp table stays as
with latest as (
    select facility_code, data_id, admission_date, max(delivery_form) as delivery_form
    from ff1
    group by all
),

pivoted as (
    select
        ff1.facility_code,
        ff1.data_id,
        ff1.admission_date,
        max(ff1.yyyymm) as latest_yyyymm,
        max(ff1.admission_seq) > 0 as has_same_day_repeat,
        max(case when item_code = 'A000010' then payload_2 end) as sex_code,
        max(case when item_code = 'A000010' then payload_1 end) as birth_date_text,
        max(case when item_code = 'A000020' then payload_2 end) as admission_route_code,
        max(case when item_code = 'A000020' then payload_5 end) as planned_emergency_code,
        max(case when item_code = 'A000020' then payload_6 end) as ambulance_code,
        max(case when item_code = 'A000030' then payload_1 end) as discharge_date_text,
        max(case when item_code = 'A000030' then payload_2 end) as discharge_destination_code,
        max(case when item_code = 'A000030' then payload_3 end) as discharge_outcome_code,
        max(case when item_code = 'A000040' then payload_2 end) as department_code,
        max(case when item_code = 'A006010' then payload_2 end) as main_icd10,
        sum(case when item_code = 'A006040' then 1 else 0 end) as comorbidity_count,
        sum(case when item_code = 'A006050' then 1 else 0 end) as complication_count,
        sum(case when item_code = 'A007010' then 1 else 0 end) as operation_count,
        max(ff1.admission_date_text) as admission_date_text
    from ff1
    inner join latest
        on ff1.facility_code = latest.facility_code
        and ff1.data_id = latest.data_id
        and ff1.admission_date = latest.admission_date
        and ff1.delivery_form = latest.delivery_form
    group by all
)

select
    pivoted.* exclude (birth_date_text, discharge_date_text, admission_date_text),
    ymd(discharge_date_text) as discharge_date,
    -- age in whole years at admission (the normaliser's rule: both dates exact yyyymmdd — not 00000000, nor a
    -- partly unknown 19710000 / 19710500, nor any day 00)
    case
        when regexp_full_match(birth_date_text, '\d{8}') and regexp_full_match(admission_date_text, '\d{8}')
            and not suffix(birth_date_text, '00') and not suffix(admission_date_text, '00')
            then cast(substr(admission_date_text, 1, 4) as bigint) - cast(substr(birth_date_text, 1, 4) as bigint)
                - cast(substr(admission_date_text, 5, 4) < substr(birth_date_text, 5, 4) as bigint)
    end as age_at_admission,
    d_stay.dpc_code,
    substr(d_stay.dpc_code, 1, 6) as dpc6,
    substr(d_stay.dpc_code, 1, 2) as mdc_code,
    d_stay.hospital_coefficient,
    coalesce(d_stay.bundled_points, 0) as bundled_points,
    coalesce(d_stay.ffs_billed_points, 0) as ffs_billed_points,
    coalesce(d_stay.billed_points, 0) as billed_points,
    coalesce(d_stay.adjustment_points, 0) as adjustment_points,
    coalesce(d_stay.meal_yen, 0) as meal_yen,
    coalesce(ef_stay.ef_billed_points, 0) as ef_billed_points,
    coalesce(ef_stay.ef_ffs_equivalent_points, 0) as ef_ffs_equivalent_points
from pivoted
left join d_stay using (facility_code, data_id, admission_date)
left join ef_stay using (facility_code, data_id, admission_date);

-- readmissions: later admissions of the same patient at the same facility within 42 days of a discharge
create or replace temp table readmission_flags as
select
    i.facility_code,
    i.data_id,
    i.admission_date,
    bool_or(date_diff('day', i.discharge_date, l.admission_date) <= 30) as is_readmitted_30d,
    bool_or(date_diff('day', i.discharge_date, l.admission_date) <= 28) as is_readmitted_4w,
    bool_or(date_diff('day', i.discharge_date, l.admission_date) <= 42 and coalesce(i.dpc6 = l.dpc6, false))
        as is_readmitted_6w_same_dpc6
from stays as i
inner join stays as l
    on i.facility_code = l.facility_code
    and i.data_id = l.data_id
    and l.admission_date >= i.discharge_date
    and l.admission_date <= i.discharge_date + interval 42 day
    and l.admission_date <> i.admission_date
where i.discharge_date is not null
group by all;

-- the code lists the floor needs, written here rather than read from the pipeline's seeds:
-- 退院時転帰 (A000030 ③, p51): 6 and 7 are deaths (1, 3, 4, 5, 9 are not)
create or replace temp table outcomes as
select code, true as is_death from (values ('6'), ('7')) as t(code);

-- ICD-10 chapters (WHO ICD-10) by the first three characters of the code
create or replace temp table icd10_chapters as
select * from (values
    ('I', 'A00', 'B99'), ('II', 'C00', 'D48'), ('III', 'D50', 'D89'), ('IV', 'E00', 'E90'), ('V', 'F00', 'F99'),
    ('VI', 'G00', 'G99'), ('VII', 'H00', 'H59'), ('VIII', 'H60', 'H95'), ('IX', 'I00', 'I99'),
    ('X', 'J00', 'J99'), ('XI', 'K00', 'K93'), ('XII', 'L00', 'L99'), ('XIII', 'M00', 'M99'),
    ('XIV', 'N00', 'N99'), ('XV', 'O00', 'O99'), ('XVI', 'P00', 'P96'), ('XVII', 'Q00', 'Q99'),
    ('XVIII', 'R00', 'R99'), ('XIX', 'S00', 'T98'), ('XX', 'V01', 'Y98'), ('XXI', 'Z00', 'Z99'),
    ('XXII', 'U00', 'U99')
) as t(chapter, code_from, code_to);

create or replace table floor_admissions as
with s as (
    select
        *,
        discharge_date is not null as is_discharged,
        case when discharge_date is not null then date_diff('day', admission_date, discharge_date) + 1 end
            as los_days
    from stays
)

select
    s.facility_code,
    s.data_id,
    s.admission_date,
    s.discharge_date,
    s.is_discharged,
    s.los_days,
    case when s.is_discharged then cast(year(s.discharge_date) * 100 + month(s.discharge_date) as integer) end
        as discharge_yyyymm,
    case when s.is_discharged then year(s.discharge_date - interval 3 month) end as discharge_fiscal_year,
    s.latest_yyyymm,
    s.has_same_day_repeat,
    s.sex_code,
    s.age_at_admission,
    case
        when s.age_at_admission < 15 then '0-14'
        when s.age_at_admission < 65 then '15-64'
        when s.age_at_admission < 75 then '65-74'
        else '75+'
    end as age_group,
    s.admission_route_code,
    s.planned_emergency_code = '2' as is_emergency,
    s.ambulance_code = '1' as is_ambulance,
    s.discharge_destination_code,
    s.discharge_outcome_code,
    coalesce(o.is_death, false) as is_death,
    s.department_code,
    s.dpc_code,
    s.dpc6,
    s.mdc_code,
    s.main_icd10,
    c.chapter as icd10_chapter,
    s.comorbidity_count,
    s.complication_count,
    s.operation_count,
    s.operation_count > 0 as has_operation,
    s.hospital_coefficient,
    s.bundled_points,
    s.ffs_billed_points,
    s.billed_points,
    s.adjustment_points,
    s.meal_yen,
    s.ef_billed_points,
    s.ef_ffs_equivalent_points,
    case when s.los_days > 0 then s.billed_points / s.los_days end as points_per_day,
    case when s.is_discharged then coalesce(r.is_readmitted_30d, false) end as is_readmitted_30d,
    case when s.is_discharged then coalesce(r.is_readmitted_4w, false) end as is_readmitted_4w,
    case when s.is_discharged then coalesce(r.is_readmitted_6w_same_dpc6, false) end as is_readmitted_6w_same_dpc6
from s
left join readmission_flags as r using (facility_code, data_id, admission_date)
left join outcomes as o
    on s.discharge_outcome_code = o.code
left join icd10_chapters as c
    on substr(s.main_icd10, 1, 3) between c.code_from and c.code_to;

create or replace table floor_kpi as
with discharges as (
    select
        facility_code,
        discharge_yyyymm,
        coalesce(mdc_code, '00') as mdc_code,
        los_days,
        billed_points,
        is_readmitted_30d,
        is_death
    from floor_admissions
    where is_discharged
)

select
    md5(facility_code || '|' || cast(discharge_yyyymm as varchar) || '|' || mdc_code) as kpi_id,
    facility_code,
    discharge_yyyymm,
    mdc_code,
    count(*) as discharges,
    sum(los_days) as patient_days,
    avg(cast(los_days as decimal(28, 6))) as mean_los_days,
    median(los_days) as median_los_days,
    sum(case when is_readmitted_30d then 1 else 0 end) as readmissions_30d,
    avg(case when is_readmitted_30d then 1.0 else 0.0 end) as readmission_rate_30d,
    sum(billed_points) as billed_points,
    sum(billed_points) / nullif(sum(los_days), 0) as points_per_day,
    sum(case when is_death then 1 else 0 end) as deaths
from discharges
group by facility_code, discharge_yyyymm, mdc_code;
