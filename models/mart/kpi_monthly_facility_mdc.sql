{#-
  Published monthly KPIs per facility × discharge month × MDC. Disclosure control (docs/decisions/0020):
  every value of a cell with fewer than var('disclosure_min_stays') discharges is null and is_suppressed is true.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'discharge_yyyymm'],
        pre_hook="{{ replace_touched_rows('kpi_months') }}",
        dist='all',
        sort=['discharge_yyyymm', 'facility_code'],
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_kpi_months') }}

with kpi as (
    select * from {{ ref('int_kpi__monthly_facility_mdc') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('kpi_months') }}
    {%- endif %}
),

final as (
    select
        kpi_id,
        facility_code,
        discharge_yyyymm,
        mdc_code,
        discharges < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('discharges', 'discharges') }} as discharges,
        {{ suppress_small_cells('mean_los_days', 'discharges') }} as mean_los_days,
        {{ suppress_small_cells('median_los_days', 'discharges') }} as median_los_days,
        {{ suppress_small_cells('readmission_rate_30d', 'discharges') }} as readmission_rate_30d,
        {{ suppress_small_cells('points_per_day', 'discharges') }} as points_per_day,
        {{ suppress_small_cells('billed_points', 'discharges') }} as billed_points
    from kpi
)

select * from final
