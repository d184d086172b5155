-- The floor: one hand-written DuckDB script from the delivered raw files to fct_admissions and the monthly KPIs.
--
-- What the benchmark compares the pipeline against (bench/README.md). It reads the files exactly as hospitals
-- deliver them — cp932 TSV with a title row, under <lake>/raw/yyyymm=YYYYMM/facility=NNNNNNNNN/ — with
-- DuckDB's CSV reader and the `encodings` extension (docs/decisions/0002), and computes the same results as
-- mart.fct_admissions and the unsuppressed int_kpi__monthly_facility_mdc, with the same rules:
--   * a 様式1 form is (facility, patient, 入院年月日, 回数管理番号, 統括診療情報番号), taken from the latest delivery
--     that has it; a stay is (facility, patient, 入院年月日), known from its forms or its D/EF rows; its attributes
--     come from its parent form (0; the last same-day one), else its first child form (then it is not
--     discharged); its periods are its child forms (or the parent alone); the DPC-billed part is the
--     一般病棟グループ; an aggregate form A/B ties a 7-day readmission to the first stay (docs/decisions/0004,
--     spec p39–41, p48, p55, p125); forms are never pooled;
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

-- 様式1: only the items the mart uses, plus every row's delivery month and form
create or replace temp table ff1 as
select
    code(facility_code) as facility_code,
    trim(data_id) as data_id,
    ymd(admission_date) as admission_date,
    code(admission_date) as admission_date_text,
    admission_seq,
    code(parent_info_no) as form_no,
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
        ymd(discharge_date) as discharge_date,
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
        max(discharge_date) as discharge_date,
        max(yyyymm) as yyyymm,
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
    r.discharge_date,
    r.yyyymm,
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
    max(ymd(discharge_date)) as discharge_date,
    max(delivery_month(filename)) as yyyymm,
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

-- forms: each (facility, patient, 入院年月日, 回数管理番号, 統括診療情報番号) from the latest delivery that has it
create or replace temp table forms as
with latest as (
    select facility_code, data_id, admission_date, admission_seq, form_no, max(yyyymm) as yyyymm
    from ff1
    group by all
)

select
    ff1.facility_code,
    ff1.data_id,
    ff1.admission_date,
    ff1.admission_seq,
    ff1.form_no,
    case when ff1.form_no = '0' then 'parent' when ff1.form_no in ('A', 'B') then 'aggregate' else 'child' end
        as form_kind,
    max(ff1.yyyymm) as yyyymm,
    max(ff1.admission_date_text) as admission_date_text,
    max(case when item_code = 'A000010' then payload_2 end) as sex_code,
    max(case when item_code = 'A000010' then payload_1 end) as birth_date_text,
    max(case when item_code = 'A000020' then payload_2 end) as admission_route_code,
    max(case when item_code = 'A000020' then payload_5 end) as admission_type_code,
    max(case when item_code = 'A000020' then payload_6 end) as ambulance_code,
    ymd(max(case when item_code = 'A000030' then payload_1 end)) as discharge_date,
    max(case when item_code = 'A000030' then payload_2 end) as discharge_destination_code,
    max(case when item_code = 'A000030' then payload_3 end) as discharge_outcome_code,
    ymd(max(case when item_code = 'A000031' then payload_1 end)) as start_date,
    ymd(max(case when item_code = 'A000031' then payload_2 end)) as end_date,
    max(case when item_code = 'A000040' then payload_2 end) as department_code,
    case
        when max(case when item_code = 'A000050' then payload_2 end) = '1' then 'general'
        when max(case when item_code = 'A000050' then payload_3 end) = '1' then 'mental'
        when max(case when item_code = 'A000050' then payload_4 end) = '1' then 'other'
    end as ward_group,
    max(case when item_code = 'A000080' then payload_2 end) as readmission_type_code,
    max(case when item_code = 'A006010' then payload_2 end) as main_icd10,
    max(case when item_code = 'A006030' then payload_2 end) as most_resource_icd10,
    sum(case when item_code = 'A006040' then 1 else 0 end) as comorbidity_count,
    sum(case when item_code = 'A006050' then 1 else 0 end) as complication_count,
    sum(case when item_code = 'A007010' then 1 else 0 end) as operation_count
from ff1
inner join latest using (facility_code, data_id, admission_date, admission_seq, form_no, yyyymm)
group by all;

-- periods: the child forms, or the parent alone when the stay has none
create or replace temp table periods as
select
    f.*,
    date_diff('day', f.start_date, f.end_date) + 1 as days
from forms as f
where f.form_kind = 'child'
    or (f.form_kind = 'parent' and not exists (
        select 1 from forms as c
        where c.form_kind = 'child' and (c.facility_code, c.data_id, c.admission_date)
            = (f.facility_code, f.data_id, f.admission_date)
    ));

create or replace temp table form_stays as
with chosen as (
    select *
    from forms
    where form_kind in ('parent', 'child')
    qualify row_number() over (
        partition by facility_code, data_id, admission_date
        order by form_kind = 'parent' desc, case when form_kind = 'parent' then admission_seq else 0 end desc,
            start_date asc, form_no asc
    ) = 1
),

general as (
    select
        facility_code, data_id, admission_date,
        sum(days) as dpc_los_days,
        arg_min(most_resource_icd10, (start_date, form_no)) as dpc_most_resource_icd10,
        arg_min(readmission_type_code, (start_date, form_no)) as general_readmission_type_code
    from periods
    where ward_group = 'general'
    group by all
),

period_counts as (
    select facility_code, data_id, admission_date, count(*) as ward_period_count, max(yyyymm) as period_yyyymm
    from periods
    group by all
),

same_day as (
    select facility_code, data_id, admission_date, count(*) as same_day_admission_count
    from forms
    where form_kind = 'parent' and admission_seq > 0
    group by all
),

episodes as (
    select facility_code, data_id, admission_date as episode_start, coalesce(discharge_date, end_date) as episode_end
    from forms
    where form_kind = 'aggregate'
)

select
    c.facility_code,
    c.data_id,
    c.admission_date,
    c.admission_date_text,
    case when c.form_kind = 'parent' then c.discharge_date end as discharge_date,
    greatest(c.yyyymm, coalesce(pc.period_yyyymm, c.yyyymm)) as latest_yyyymm,
    c.form_kind = 'parent' as has_parent_form,
    coalesce(sd.same_day_admission_count, 1) as same_day_admission_count,
    c.sex_code,
    c.birth_date_text,
    c.admission_route_code,
    c.admission_type_code,
    c.ambulance_code,
    c.discharge_destination_code,
    c.discharge_outcome_code,
    c.department_code,
    coalesce(c.readmission_type_code, g.general_readmission_type_code) as readmission_type_code,
    c.main_icd10,
    c.most_resource_icd10,
    g.dpc_most_resource_icd10,
    coalesce(pc.ward_period_count, 0) as ward_period_count,
    g.dpc_los_days,
    e.episode_start as episode_admission_date,
    c.comorbidity_count,
    c.complication_count,
    c.operation_count
from chosen as c
left join general as g using (facility_code, data_id, admission_date)
left join period_counts as pc using (facility_code, data_id, admission_date)
left join same_day as sd using (facility_code, data_id, admission_date)
left join episodes as e
    on c.facility_code = e.facility_code
    and c.data_id = e.data_id
    and c.admission_date between e.episode_start and e.episode_end;

-- claim stays: every stay D or 入院EF rows know of
create or replace temp table claim_stays as
select facility_code, data_id, admission_date, max(discharge_date) as billing_discharge_date, max(yyyymm) as yyyymm
from (
    select facility_code, data_id, admission_date, discharge_date, yyyymm from d_stay
    union all
    select facility_code, data_id, admission_date, discharge_date, yyyymm from ef_stay
)
group by all;

-- stays: a stay's forms or its claim rows, whichever came first; then D and EF attached
create or replace temp table stays as
with stay_keys as (
    select facility_code, data_id, admission_date from form_stays
    union
    select facility_code, data_id, admission_date from claim_stays
)

select
    k.facility_code,
    k.data_id,
    k.admission_date,
    f.discharge_date,
    cs.billing_discharge_date,
    greatest(coalesce(f.latest_yyyymm, cs.yyyymm), coalesce(cs.yyyymm, f.latest_yyyymm)) as latest_yyyymm,
    f.facility_code is not null as has_form1,
    coalesce(f.has_parent_form, false) as has_parent_form,
    coalesce(f.same_day_admission_count, 1) as same_day_admission_count,
    coalesce(f.same_day_admission_count, 0) > 1 as has_same_day_repeat,
    f.sex_code,
    -- age in whole years at admission (the normaliser's rule: both dates exact yyyymmdd — not 00000000, nor a
    -- partly unknown 19710000 / 19710500, nor any day 00)
    case
        when regexp_full_match(f.birth_date_text, '\d{8}') and regexp_full_match(f.admission_date_text, '\d{8}')
            and not suffix(f.birth_date_text, '00') and not suffix(f.admission_date_text, '00')
            then cast(substr(f.admission_date_text, 1, 4) as bigint) - cast(substr(f.birth_date_text, 1, 4) as bigint)
                - cast(substr(f.admission_date_text, 5, 4) < substr(f.birth_date_text, 5, 4) as bigint)
    end as age_at_admission,
    f.admission_route_code,
    f.admission_type_code,
    f.ambulance_code,
    f.discharge_destination_code,
    f.discharge_outcome_code,
    f.department_code,
    f.readmission_type_code,
    f.main_icd10,
    f.most_resource_icd10,
    f.dpc_most_resource_icd10,
    coalesce(f.ward_period_count, 0) as ward_period_count,
    f.dpc_los_days,
    coalesce(f.episode_admission_date, k.admission_date) as episode_admission_date,
    coalesce(f.comorbidity_count, 0) as comorbidity_count,
    coalesce(f.complication_count, 0) as complication_count,
    coalesce(f.operation_count, 0) as operation_count,
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
from stay_keys as k
left join form_stays as f using (facility_code, data_id, admission_date)
left join claim_stays as cs using (facility_code, data_id, admission_date)
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
        as is_readmitted_6w_same_dpc6,
    -- the DPC measure (p23, p57): into the 一般病棟グループ again within 4 weeks, A000080 ② = 2 計画外
    bool_or(
        date_diff('day', i.discharge_date, l.admission_date) <= 28
        and coalesce(l.dpc_los_days, 0) > 0 and l.readmission_type_code = '2'
    ) as unplanned_readmitted_4w
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
    s.billing_discharge_date,
    s.latest_yyyymm,
    s.has_form1,
    s.has_parent_form,
    s.same_day_admission_count,
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
    s.admission_type_code,
    -- 予定・救急医療入院 (p43–44): 100/101 planned, 200 unplanned, 3** 救急医療入院; the receipt's 緊急入院 is 200 and 3**
    case when s.admission_type_code in ('100', '101') then 'planned' when s.admission_type_code = '200' then 'unplanned'
        when regexp_full_match(s.admission_type_code, '3\d\d') then 'emergency_care' end as admission_class,
    coalesce(s.admission_type_code in ('100', '101'), false) as is_planned,
    coalesce(s.admission_type_code = '200', false) as is_unplanned_not_emergency_care,
    coalesce(regexp_full_match(s.admission_type_code, '3\d\d'), false) as is_emergency_care,
    coalesce(s.admission_type_code = '200' or regexp_full_match(s.admission_type_code, '3\d\d'), false)
        as is_emergency,
    -- the 救急医療管理加算 of the reason (p44): 1 for 01–02, 04–09, 31–34; 2 for 11–12, 14–24
    case
        when not regexp_full_match(s.admission_type_code, '3\d\d') then null
        when cast(substr(s.admission_type_code, 2) as integer) in (1, 2, 4, 5, 6, 7, 8, 9, 31, 32, 33, 34) then '1'
        when cast(substr(s.admission_type_code, 2) as integer) in (11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
            then '2'
    end as emergency_care_addition,
    s.ambulance_code = '1' as is_ambulance,
    s.discharge_destination_code,
    s.discharge_outcome_code,
    coalesce(o.is_death, false) as is_death,
    s.department_code,
    s.readmission_type_code,
    s.ward_period_count,
    s.dpc_los_days,
    s.episode_admission_date,
    s.episode_admission_date <> s.admission_date as is_serial_readmission,
    s.dpc_code,
    s.dpc6,
    s.mdc_code,
    s.main_icd10,
    s.most_resource_icd10,
    s.dpc_most_resource_icd10,
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
    case when s.is_discharged then coalesce(r.is_readmitted_6w_same_dpc6, false) end as is_readmitted_6w_same_dpc6,
    case when s.is_discharged then coalesce(s.dpc_los_days, 0) > 0 end as is_general_ward_discharge,
    case when s.is_discharged then coalesce(r.unplanned_readmitted_4w, false) and coalesce(s.dpc_los_days, 0) > 0 end
        as is_unplanned_readmitted_4w
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
