{#-
  Published billed points per inpatient day by billing period (I, II, III, beyond III) per facility ×
  fiscal year, from int_indicators__points_per_day_by_period. Disclosure control (docs/decisions/0020): a
  cell with fewer than var('disclosure_min_stays') stays in the period is suppressed (is_suppressed,
  values null), and period I is suppressed with the fiscal year's bundled_discharges, which counts the same
  stays (int_suppression__flags). Periods II–IV count nested subsets of period I's stays: no published
  sum links them.
-#}
with periods as (
    select * from {{ ref('int_indicators__points_per_day_by_period') }}
),

suppression as (
    {{ disclosure_flags('period') }}
),

final as (
    select
        periods.kpi_id,
        periods.facility_code,
        periods.fiscal_year,
        periods.billing_period,
        periods.billing_period_name,
        coalesce(suppression.hides_stays, true) as is_suppressed,
        {{ disclosed('periods.stays', 'suppression.hides_stays') }} as stays,
        {{ disclosed('periods.inpatient_days', 'suppression.hides_stays') }} as inpatient_days,
        {{ disclosed('periods.points_per_day', 'suppression.hides_stays') }} as points_per_day,
        {{ disclosed('periods.bundled_points_per_day', 'suppression.hides_stays') }} as bundled_points_per_day,
        {{ disclosed('periods.ffs_points_per_day', 'suppression.hides_stays') }} as ffs_points_per_day
    from periods
    left join suppression
        on periods.facility_code = suppression.facility_code
        and periods.fiscal_year = suppression.fiscal_year
        and periods.billing_period = suppression.billing_period
)

select * from final
