{#-
  One row per 様式1 form, from the latest delivery that contains it (docs/decisions/0004). A form is keyed by
  (facility, patient, 入院年月日, 回数管理番号, 統括診療情報番号) (spec p39–40): the parent form 0 covers the
  whole stay, child forms 1, 2 … one ward-group period each, aggregate forms A/B a 一連 readmission (p40, p125).
  Child forms arrive in the month of their transfer and the parent in the month of discharge (p48, p55), so a
  later delivery replaces only the forms it contains: a form is taken from the latest delivery that has it, and
  forms of one stay may come from different deliveries. Each form's items are its own (p76, p81): never pooled
  across forms.
-#}
{{
    config(
        materialized='incremental',
        unique_key='form_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

form_deliveries as (
    select
        stay_id,
        admission_seq,
        parent_info_no,
        max(yyyymm) as form_yyyymm
    from form1
    group by stay_id, admission_seq, parent_info_no
),

current_rows as (
    select form1.*
    from form1
    inner join form_deliveries
        on form1.stay_id = form_deliveries.stay_id
        and form1.admission_seq = form_deliveries.admission_seq
        and form1.parent_info_no = form_deliveries.parent_info_no
        and form1.yyyymm = form_deliveries.form_yyyymm
),

pivoted as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        admission_seq,
        parent_info_no as form_no,
        max(yyyymm) as form_yyyymm,
        max(case when item_code = 'A000010' then payload_2 end) as sex_code,
        max(case when item_code = 'A000010' then age_at_admission end) as age_at_admission,
        max(case when item_code = 'A000010' then neonatal_age_days_at_admission end)
            as neonatal_age_days_at_admission,
        max(case when item_code = 'A000020' then payload_2 end) as admission_route_code,
        max(case when item_code = 'A000020' then payload_5 end) as admission_type_code,
        max(case when item_code = 'A000020' then payload_6 end) as ambulance_code,
        max(case when item_code = 'A000030' then payload_1 end) as discharge_date_text,
        max(case when item_code = 'A000030' then payload_2 end) as discharge_destination_code,
        max(case when item_code = 'A000030' then payload_3 end) as discharge_outcome_code,
        max(case when item_code = 'A000030' then payload_4 end) as death_within_24h_code,
        max(case when item_code = 'A000031' then payload_1 end) as form_start_date_text,
        max(case when item_code = 'A000031' then payload_2 end) as form_end_date_text,
        max(case when item_code = 'A000040' then payload_2 end) as department_code,
        max(case when item_code = 'A000050' then payload_2 end) as general_ward_code,
        max(case when item_code = 'A000050' then payload_3 end) as mental_ward_code,
        max(case when item_code = 'A000050' then payload_4 end) as other_ward_code,
        max(case when item_code = 'A000080' then payload_2 end) as readmission_type_code,
        max(case when item_code = 'A006010' then payload_2 end) as main_icd10,
        max(case when item_code = 'A006010' then payload_9 end) as main_diagnosis_name,
        max(case when item_code = 'A006020' then payload_2 end) as admission_icd10,
        max(case when item_code = 'A006030' then payload_2 end) as most_resource_icd10,
        sum(case when item_code = 'A006040' then 1 else 0 end) as comorbidity_count,
        sum(case when item_code = 'A006050' then 1 else 0 end) as complication_count,
        sum(case when item_code = 'A007010' then 1 else 0 end) as operation_count
    from current_rows
    group by stay_id, facility_code, patient_key, admission_date, admission_seq, parent_info_no
),

final as (
    select
        {{ surrogate_key(['stay_id', 'admission_seq', 'form_no']) }} as form_id,
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        admission_seq,
        form_no,
        case
            when form_no = '0' then 'parent'
            when form_no in ('A', 'B') then 'aggregate'
            else 'child'
        end as form_kind,
        form_yyyymm,
        {{ parse_yyyymmdd('form_start_date_text') }} as form_start_date,
        {{ parse_yyyymmdd('form_end_date_text') }} as form_end_date,
        -- 00000000 on a child form that ends with a transfer while the stay goes on (p46–47)
        {{ parse_yyyymmdd('discharge_date_text') }} as discharge_date,
        case
            when general_ward_code = '1' then 'general'
            when mental_ward_code = '1' then 'mental'
            when other_ward_code = '1' then 'other'
        end as ward_group,
        coalesce(general_ward_code = '1', false) as has_general_ward,
        sex_code,
        age_at_admission,
        neonatal_age_days_at_admission,
        admission_route_code,
        admission_type_code,
        ambulance_code,
        discharge_destination_code,
        discharge_outcome_code,
        death_within_24h_code,
        department_code,
        readmission_type_code,
        main_icd10,
        main_diagnosis_name,
        admission_icd10,
        most_resource_icd10,
        comorbidity_count,
        complication_count,
        operation_count
    from pivoted
)

select * from final
