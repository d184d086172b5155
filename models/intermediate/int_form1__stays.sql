{#-
  One row per hospital stay from 様式1, keyed by (facility, pseudonymous patient, admission date) —
  docs/decisions/0004. The latest delivery containing the stay is authoritative for it, and within it one form:
  a stay has a parent form (統括診療情報番号 0) and may have child forms (1, 2 …, one per ward-group period) and
  aggregate forms (A, B) (spec p40). Stay attributes come from the parent form; a stay whose parent form has not
  arrived yet (its child forms come in the months of its transfers, the parent in the month of discharge: p48,
  p55) takes them from its aggregate form, else its latest child form. Forms are never pooled. Same-day repeat
  admissions (回数管理番号 > 0) are flagged, not split.
-#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
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

latest_delivery as (
    select
        stay_id,
        max(yyyymm) as latest_yyyymm
    from form1
    group by stay_id
),

latest_forms as (
    select distinct
        form1.stay_id,
        form1.parent_info_no
    from form1
    inner join latest_delivery
        on form1.stay_id = latest_delivery.stay_id
        and form1.yyyymm = latest_delivery.latest_yyyymm
),

chosen_form as (
    select
        stay_id,
        parent_info_no as form_no
    from (
        select
            stay_id,
            parent_info_no,
            row_number() over (
                partition by stay_id
                order by
                    case when parent_info_no = '0' then 0 when parent_info_no in ('A', 'B') then 1 else 2 end,
                    parent_info_no desc
            ) as preference
        from latest_forms
    ) as ranked
    where preference = 1
),

current_rows as (
    select form1.*
    from form1
    inner join latest_delivery
        on form1.stay_id = latest_delivery.stay_id
        and form1.yyyymm = latest_delivery.latest_yyyymm
    inner join chosen_form
        on form1.stay_id = chosen_form.stay_id
        and form1.parent_info_no = chosen_form.form_no
),

pivoted as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        max(parent_info_no) as form_no,
        max(yyyymm) as latest_yyyymm,
        max(admission_seq) > 0 as has_same_day_repeat,
        max(case when item_code = 'A000010' then payload_2 end) as sex_code,
        max(case when item_code = 'A000010' then age_at_admission end) as age_at_admission,
        max(case when item_code = 'A000020' then payload_2 end) as admission_route_code,
        max(case when item_code = 'A000020' then payload_5 end) as planned_emergency_code,
        max(case when item_code = 'A000020' then payload_6 end) as ambulance_code,
        max(case when item_code = 'A000030' then payload_1 end) as discharge_date_text,
        max(case when item_code = 'A000030' then payload_2 end) as discharge_destination_code,
        max(case when item_code = 'A000030' then payload_3 end) as discharge_outcome_code,
        max(case when item_code = 'A000030' then payload_4 end) as death_within_24h_code,
        max(case when item_code = 'A000040' then payload_2 end) as department_code,
        max(case when item_code = 'A006010' then payload_2 end) as main_icd10,
        max(case when item_code = 'A006010' then payload_9 end) as main_diagnosis_name,
        max(case when item_code = 'A006020' then payload_2 end) as admission_icd10,
        max(case when item_code = 'A006030' then payload_2 end) as most_resource_icd10,
        sum(case when item_code = 'A006040' then 1 else 0 end) as comorbidity_count,
        sum(case when item_code = 'A006050' then 1 else 0 end) as complication_count,
        sum(case when item_code = 'A007010' then 1 else 0 end) as operation_count
    from current_rows
    group by stay_id, facility_code, patient_key, admission_date
),

final as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        {{ parse_yyyymmdd('discharge_date_text') }} as discharge_date,
        latest_yyyymm,
        form_no,
        has_same_day_repeat,
        sex_code,
        age_at_admission,
        admission_route_code,
        planned_emergency_code,
        ambulance_code,
        discharge_destination_code,
        discharge_outcome_code,
        death_within_24h_code,
        department_code,
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
