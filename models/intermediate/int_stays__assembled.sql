{#-
  Each stay with what every file kind says about it: 様式1 attributes, D-file billed points and DPC code,
  EF fee-for-service value, and the derived length of stay. A stay is known from its 様式1 forms or from its
  claim rows (D, 入院EF), whichever comes first: a stay billed month by month before its parent form arrives is
  carried, not discharged (docs/decisions/0004), and its 様式1 attributes stay empty until a form arrives.
  Length of stay (在院日数) = discharge date − admission date + 1, the DPC convention that counts both the
  admission and the discharge day; null while the stay is not discharged.
-#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        dist='stay_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with form_stays as (
    select * from {{ ref('int_form1__stays') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

billing_keys as (
    select * from {{ ref('int_stays__billing_keys') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

stay_points as (
    select * from {{ ref('int_d__stay_points') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

stay_ffs as (
    select * from {{ ref('int_efn__stay_ffs') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

stay_keys as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date
    from form_stays
    union
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date
    from billing_keys
),

stays as (
    select
        stay_keys.stay_id,
        stay_keys.facility_code,
        stay_keys.patient_key,
        stay_keys.admission_date,
        form_stays.discharge_date,
        billing_keys.billing_discharge_date,
        greatest(
            coalesce(form_stays.latest_yyyymm, billing_keys.latest_billing_yyyymm),
            coalesce(billing_keys.latest_billing_yyyymm, form_stays.latest_yyyymm)
        ) as latest_yyyymm,
        form_stays.stay_id is not null as has_form1,
        coalesce(form_stays.has_parent_form, false) as has_parent_form,
        form_stays.form_no,
        coalesce(form_stays.same_day_admission_count, 1) as same_day_admission_count,
        coalesce(form_stays.has_same_day_repeat, false) as has_same_day_repeat,
        form_stays.sex_code,
        form_stays.age_at_admission,
        form_stays.admission_route_code,
        form_stays.admission_type_code,
        form_stays.ambulance_code,
        form_stays.discharge_destination_code,
        form_stays.discharge_outcome_code,
        form_stays.death_within_24h_code,
        form_stays.department_code,
        form_stays.readmission_type_code,
        form_stays.main_icd10,
        form_stays.main_diagnosis_name,
        form_stays.admission_icd10,
        form_stays.most_resource_icd10,
        form_stays.dpc_most_resource_icd10,
        coalesce(form_stays.ward_period_count, 0) as ward_period_count,
        form_stays.dpc_los_days,
        coalesce(form_stays.serial_episode_stay_id, stay_keys.stay_id) as serial_episode_stay_id,
        coalesce(form_stays.comorbidity_count, 0) as comorbidity_count,
        coalesce(form_stays.complication_count, 0) as complication_count,
        coalesce(form_stays.operation_count, 0) as operation_count
    from stay_keys
    left join form_stays
        on stay_keys.stay_id = form_stays.stay_id
    left join billing_keys
        on stay_keys.stay_id = billing_keys.stay_id
),

final as (
    select
        stays.stay_id,
        stays.facility_code,
        stays.patient_key,
        stays.admission_date,
        stays.discharge_date,
        stays.discharge_date is not null as is_discharged,
        case
            when stays.discharge_date is not null
                then {{ dbt.datediff('stays.admission_date', 'stays.discharge_date', 'day') }}
                    + 1
        end as los_days,
        stays.billing_discharge_date,
        stays.latest_yyyymm,
        stays.has_form1,
        stays.has_parent_form,
        stays.form_no,
        stays.same_day_admission_count,
        stays.has_same_day_repeat,
        stays.sex_code,
        stays.age_at_admission,
        stays.admission_route_code,
        stays.admission_type_code,
        stays.ambulance_code,
        stays.discharge_destination_code,
        stays.discharge_outcome_code,
        stays.death_within_24h_code,
        stays.department_code,
        stays.readmission_type_code,
        stays.main_icd10,
        stays.main_diagnosis_name,
        stays.admission_icd10,
        stays.most_resource_icd10,
        stays.dpc_most_resource_icd10,
        stays.ward_period_count,
        stays.dpc_los_days,
        stays.serial_episode_stay_id,
        stays.serial_episode_stay_id != stays.stay_id as is_serial_readmission,
        stays.comorbidity_count,
        stays.complication_count,
        stays.operation_count,
        stay_points.dpc_code,
        substr(stay_points.dpc_code, 1, 6) as dpc6,
        substr(stay_points.dpc_code, 1, 2) as mdc_code,
        stay_points.hospital_coefficient,
        coalesce(stay_points.bundled_points, 0) as bundled_points,
        coalesce(stay_points.ffs_billed_points, 0) as ffs_billed_points,
        coalesce(stay_points.billed_points, 0) as billed_points,
        coalesce(stay_points.adjustment_points, 0) as adjustment_points,
        coalesce(stay_points.meal_yen, 0) as meal_yen,
        coalesce(stay_points.bundled_days, 0) as bundled_days,
        coalesce(stay_ffs.ef_billed_points, 0) as ef_billed_points,
        coalesce(stay_ffs.ef_ffs_equivalent_points, 0) as ef_ffs_equivalent_points,
        coalesce(stay_ffs.ef_line_count, 0) as ef_line_count
    from stays
    left join stay_points
        on stays.stay_id = stay_points.stay_id
    left join stay_ffs
        on stays.stay_id = stay_ffs.stay_id
)

select * from final
