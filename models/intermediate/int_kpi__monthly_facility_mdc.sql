{#-
  Monthly KPIs per facility, discharge month and MDC — unsuppressed, hence in the internal schema, which analysts
  and learners are not granted (docs/decisions/0008, 0020): the published kpi_monthly_facility_mdc applies
  disclosure control. Discharge-based: undischarged stays are excluded.
-#}
{{
    config(
        schema='internal',
        materialized='incremental',
        unique_key=['facility_code', 'discharge_yyyymm'],
        pre_hook="{{ replace_touched_rows('kpi_months') }}",
        dist='all',
        sort=['discharge_yyyymm', 'facility_code'],
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_kpi_months') }}

with stays as (
    select * from {{ ref('int_stays__assembled') }}
    where is_discharged
        and {{ touched_filter('kpi_months', yyyymm_of('discharge_date')) }}
),

readmission_flags as (
    select * from {{ ref('int_stays__readmission_flags') }}
),

outcomes as (
    select * from {{ ref('ref_discharge_outcome') }}
),

discharges as (
    select
        stays.facility_code,
        {{ yyyymm_of('stays.discharge_date') }} as discharge_yyyymm,
        coalesce(stays.mdc_code, '00') as mdc_code,
        stays.los_days,
        stays.billed_points,
        readmission_flags.is_readmitted_30d,
        coalesce(outcomes.is_death, false) as is_death
    from stays
    inner join readmission_flags
        on stays.stay_id = readmission_flags.stay_id
    left join outcomes
        on stays.discharge_outcome_code = outcomes.code
),

final as (
    select
        {{ surrogate_key(['facility_code', 'discharge_yyyymm', 'mdc_code']) }} as kpi_id,
        facility_code,
        discharge_yyyymm,
        mdc_code,
        count(*) as discharges,
        sum(los_days) as patient_days,
        avg(cast(los_days as {{ dbt.type_numeric() }})) as mean_los_days,
        {{ median('los_days') }} as median_los_days,
        sum(case when is_readmitted_30d then 1 else 0 end) as readmissions_30d,
        avg(case when is_readmitted_30d then 1.0 else 0.0 end) as readmission_rate_30d,
        sum(billed_points) as billed_points,
        sum(billed_points) / nullif(sum(los_days), 0) as points_per_day,
        sum(case when is_death then 1 else 0 end) as deaths
    from discharges
    group by facility_code, discharge_yyyymm, mdc_code
)

select * from final
