{#-
  Published monthly KPIs per facility × discharge month × MDC. Disclosure control (docs/decisions/0020): every
  value of a suppressed cell is null and is_suppressed is true — a cell with fewer than var('disclosure_min_stays')
  discharges, and the cells complementary suppression adds so that no suppressed cell is a fiscal-year ×
  MDC or measurement-period total minus visible cells (int_suppression__flags). Which cells those are depends
  on every month of the facility, so an incremental run rebuilds every month of the facilities it touches.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'discharge_yyyymm'],
        pre_hook="{{ replace_touched_rows('kpi_facilities') }}",
        dist='all',
        sort=['discharge_yyyymm', 'facility_code'],
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_kpi_months') }}

with kpi as (
    select * from {{ ref('int_kpi__monthly_facility_mdc') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('kpi_facilities') }}
    {%- endif %}
),

suppression as (
    {{ disclosure_flags('month') }}
),

final as (
    select
        kpi.kpi_id,
        kpi.facility_code,
        kpi.discharge_yyyymm,
        kpi.mdc_code,
        coalesce(suppression.hides_discharges, true) as is_suppressed,
        {{ disclosed('kpi.discharges', 'suppression.hides_discharges') }} as discharges,
        {{ disclosed('kpi.mean_los_days', 'suppression.hides_discharges') }} as mean_los_days,
        {{ disclosed('kpi.median_los_days', 'suppression.hides_discharges') }} as median_los_days,
        {{ disclosed('kpi.readmission_rate_30d', 'suppression.hides_discharges') }} as readmission_rate_30d,
        {{ disclosed('kpi.points_per_day', 'suppression.hides_discharges') }} as points_per_day,
        {{ disclosed('kpi.billed_points', 'suppression.hides_discharges') }} as billed_points
    from kpi
    left join suppression
        on kpi.facility_code = suppression.facility_code
        and kpi.discharge_yyyymm = suppression.discharge_yyyymm
        and kpi.mdc_code = suppression.mdc_code
)

select * from final
