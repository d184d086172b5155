{#-
  Each stay with what every file kind says about it: 様式1 attributes, D-file billed points and DPC code,
  EF fee-for-service value, and the derived length of stay.
  Length of stay (在院日数) = discharge date − admission date + 1, the DPC convention that counts both the
  admission and the discharge day; null while the stay is not discharged.
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

with stays as (
    select * from {{ ref('int_form1__stays') }}
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
        stays.latest_yyyymm,
        stays.has_same_day_repeat,
        stays.sex_code,
        stays.age_at_admission,
        stays.admission_route_code,
        stays.planned_emergency_code,
        stays.ambulance_code,
        stays.discharge_destination_code,
        stays.discharge_outcome_code,
        stays.death_within_24h_code,
        stays.department_code,
        stays.main_icd10,
        stays.main_diagnosis_name,
        stays.admission_icd10,
        stays.most_resource_icd10,
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
