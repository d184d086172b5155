{{ config(severity='warn') }}
{#-
  ref_national_summary (the published national means of a fiscal year) agrees with the case-weighted means of
  ref_dpc_code that the indicators use (int_indicators__national_reference). A difference means the code table
  of that year is incomplete or the two were loaded from different releases: the indices still compare with
  the code table, but the published national figures would not match. Warn-level: recorded in dq, reported.
  Tolerance: 0.05 days of LOS, 0.1 % of points per stay (the ministry publishes rounded figures).
-#}
with summary as (
    select * from {{ ref('ref_national_summary') }}
),

derived as (
    select distinct
        fiscal_year,
        fy_national_cases,
        fy_national_mean_los,
        fy_national_mean_points_per_stay
    from {{ ref('int_indicators__national_reference') }}
)

select
    coalesce(summary.fiscal_year, derived.fiscal_year) as fiscal_year,
    summary.national_mean_los,
    derived.fy_national_mean_los,
    summary.national_mean_points_per_stay,
    derived.fy_national_mean_points_per_stay,
    summary.national_cases,
    derived.fy_national_cases
from summary
full outer join derived
    on summary.fiscal_year = derived.fiscal_year
where summary.fiscal_year is null
    or derived.fiscal_year is null
    or abs(summary.national_mean_los - derived.fy_national_mean_los) > 0.05
    or abs(summary.national_mean_points_per_stay - derived.fy_national_mean_points_per_stay)
    > 0.001 * derived.fy_national_mean_points_per_stay
    or summary.national_cases <> derived.fy_national_cases
