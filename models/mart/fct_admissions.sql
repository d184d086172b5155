{#- One row per hospital stay: the analysts' main fact. No direct identifiers: the patient is a pseudonym. -#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        dist='stay_id',
        sort=['discharge_yyyymm', 'facility_code'],
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with stays as (
    select * from {{ ref('int_stays__assembled') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

readmission_flags as (
    select * from {{ ref('int_stays__readmission_flags') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

outcomes as (
    select * from {{ ref('ref_discharge_outcome') }}
),

admission_types as (
    select * from {{ ref('ref_admission_type') }}
),

icd10_chapters as (
    select * from {{ ref('ref_icd10_chapter') }}
),

final as (
    select
        stays.stay_id,
        stays.facility_code,
        stays.patient_key,
        stays.admission_date,
        stays.discharge_date,
        stays.is_discharged,
        stays.los_days,
        case when stays.is_discharged then {{ yyyymm_of('stays.discharge_date') }} end as discharge_yyyymm,
        case when stays.is_discharged then {{ fiscal_year('stays.discharge_date') }} end as discharge_fiscal_year,
        stays.billing_discharge_date,
        stays.latest_yyyymm,
        stays.has_form1,
        stays.has_parent_form,
        stays.same_day_admission_count,
        stays.has_same_day_repeat,
        stays.sex_code,
        stays.age_at_admission,
        case
            when stays.age_at_admission < 15 then '0-14'
            when stays.age_at_admission < 65 then '15-64'
            when stays.age_at_admission < 75 then '65-74'
            else '75+'
        end as age_group,
        stays.admission_route_code,
        stays.admission_type_code,
        -- p43: planned 100/101, unplanned 200, 救急医療入院 3**; asked only when the route is 1, 4 or 5
        admission_types.admission_class,
        coalesce(admission_types.admission_class = 'planned', false) as is_planned,
        coalesce(admission_types.admission_class = 'unplanned', false) as is_unplanned_not_emergency_care,
        coalesce(admission_types.admission_class = 'emergency_care', false) as is_emergency_care,
        -- the receipt's 緊急入院: 200 and 3** (p43)
        coalesce(admission_types.is_receipt_emergency, false) as is_emergency,
        admission_types.emergency_care_addition,
        stays.ambulance_code = '1' as is_ambulance,
        stays.discharge_destination_code,
        stays.discharge_outcome_code,
        coalesce(outcomes.is_death, false) as is_death,
        stays.department_code,
        stays.readmission_type_code,
        stays.ward_period_count,
        stays.dpc_los_days,
        stays.serial_episode_stay_id,
        stays.is_serial_readmission,
        stays.dpc_code,
        stays.dpc6,
        stays.mdc_code,
        stays.main_icd10,
        stays.most_resource_icd10,
        stays.dpc_most_resource_icd10,
        icd10_chapters.chapter as icd10_chapter,
        stays.comorbidity_count,
        stays.complication_count,
        stays.operation_count,
        stays.operation_count > 0 as has_operation,
        stays.hospital_coefficient,
        stays.bundled_points,
        stays.ffs_billed_points,
        stays.billed_points,
        stays.adjustment_points,
        stays.meal_yen,
        stays.ef_billed_points,
        stays.ef_ffs_equivalent_points,
        case when stays.los_days > 0 then stays.billed_points / stays.los_days end as points_per_day,
        readmission_flags.is_readmitted_30d,
        readmission_flags.is_readmitted_4w,
        readmission_flags.is_readmitted_6w_same_dpc6,
        readmission_flags.is_general_ward_discharge,
        readmission_flags.is_unplanned_readmitted_4w
    from stays
    left join readmission_flags
        on stays.stay_id = readmission_flags.stay_id
    left join outcomes
        on stays.discharge_outcome_code = outcomes.code
    left join admission_types
        on stays.admission_type_code = admission_types.code
    left join icd10_chapters
        on substr(stays.main_icd10, 1, 3) between icd10_chapters.code_from and icd10_chapters.code_to
)

select * from final
