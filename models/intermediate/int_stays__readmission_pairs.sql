{#-
  The one definition of readmission (docs/decisions/0006): every pair of an index stay and a later admission
  of the same pseudonymous patient at the same facility that starts within the longest window in use
  (var readmission_days_dpc_6_weeks) after the index discharge. gap_days = next admission − index discharge
  (0 = readmitted on the day of discharge). The mart filters this to each published definition.
-#}
{{
    config(
        materialized='incremental',
        unique_key='index_stay_id',
        pre_hook="{{ replace_touched_rows('stays', 'index_stay_id') }}",
        dist='index_stay_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with stays as (
    select * from {{ ref('int_stays__assembled') }}
),

index_stays as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        discharge_date,
        {{ dbt.dateadd('day', var('readmission_days_dpc_6_weeks'), 'discharge_date') }} as window_end_date,
        dpc6,
        mdc_code,
        coalesce(dpc_los_days, 0) > 0 as has_general_ward
    from stays
    where is_discharged
        and {{ touched_filter('stays') }}
),

later_stays as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        dpc6,
        mdc_code,
        readmission_type_code,
        coalesce(dpc_los_days, 0) > 0 as has_general_ward
    from stays
),

final as (
    select
        {{ surrogate_key(['index_stays.stay_id', 'later_stays.stay_id']) }} as readmission_pair_id,
        index_stays.stay_id as index_stay_id,
        later_stays.stay_id as readmission_stay_id,
        index_stays.facility_code,
        index_stays.discharge_date as index_discharge_date,
        later_stays.admission_date as readmission_date,
        {{ dbt.datediff('index_stays.discharge_date', 'later_stays.admission_date', 'day') }}
            as gap_days,
        coalesce(index_stays.dpc6 = later_stays.dpc6, false) as is_same_dpc6,
        coalesce(index_stays.mdc_code = later_stays.mdc_code, false) as is_same_mdc,
        -- the DPC measure's pair: from the 一般病棟グループ into it again (p23 ※1, p57)
        index_stays.has_general_ward and later_stays.has_general_ward as is_general_ward_pair,
        later_stays.readmission_type_code
    from index_stays
    inner join later_stays
        on index_stays.facility_code = later_stays.facility_code
        and index_stays.patient_key = later_stays.patient_key
        and index_stays.discharge_date <= later_stays.admission_date
        and index_stays.window_end_date >= later_stays.admission_date
        and index_stays.stay_id != later_stays.stay_id
)

select * from final
