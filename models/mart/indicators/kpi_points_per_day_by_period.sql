{#-
  Published billed points per inpatient day by billing period (I, II, III, beyond III) per facility ×
  fiscal year, from int_indicators__points_per_day_by_period. Disclosure control (docs/decisions/0020): a
  cell with fewer than var('disclosure_min_stays') stays in the period is suppressed (is_suppressed,
  values null).
-#}
with periods as (
    select * from {{ ref('int_indicators__points_per_day_by_period') }}
),

final as (
    select
        kpi_id,
        facility_code,
        fiscal_year,
        billing_period,
        billing_period_name,
        stays < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('stays', 'stays') }} as stays,
        {{ suppress_small_cells('inpatient_days', 'stays') }} as inpatient_days,
        {{ suppress_small_cells('points_per_day', 'stays') }} as points_per_day,
        {{ suppress_small_cells('bundled_points_per_day', 'stays') }} as bundled_points_per_day,
        {{ suppress_small_cells('ffs_points_per_day', 'stays') }} as ffs_points_per_day
    from periods
)

select * from final
