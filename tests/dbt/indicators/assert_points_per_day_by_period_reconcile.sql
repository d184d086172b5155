{#-
  Points per day by billing period loses and invents nothing: per facility × fiscal year, the periods' inpatient
  days add up to the lengths of stay of the stays of 包括 codes, and their billed points to those stays' D-file
  billed points.
  Returns the facility-years where they differ (points by more than half a point, for float sums).
-#}
with stays as (
    select
        facility_code,
        fiscal_year,
        sum(los_days) as los_days,
        sum(billed_points) as billed_points
    from {{ ref('int_indicators__stays') }}
    where is_bundled_code
    group by 1, 2
),

periods as (
    select
        facility_code,
        fiscal_year,
        sum(inpatient_days) as inpatient_days,
        sum(billed_points) as billed_points
    from {{ ref('int_indicators__points_per_day_by_period') }}
    group by 1, 2
)

select
    stays.facility_code,
    stays.fiscal_year,
    stays.los_days,
    periods.inpatient_days,
    stays.billed_points as stay_billed_points,
    periods.billed_points as period_billed_points
from stays
left join periods
    on stays.facility_code = periods.facility_code and stays.fiscal_year = periods.fiscal_year
where periods.inpatient_days is null
    or periods.inpatient_days <> stays.los_days
    or abs(periods.billed_points - stays.billed_points) > 0.5
