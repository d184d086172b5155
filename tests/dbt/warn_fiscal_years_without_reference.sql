{#-
  Warn (does not stop publication): a fiscal year with discharges has no reference table in the seed
  ref_dpc_code. The tables are revised every April (national means and period thresholds every year, the
  codes every second year) and the seed is updated by hand, usually after the first months of the new year
  have been loaded. Until then that year's stays are not reference stays: its efficiency and complexity
  indices, coverage and period-II overrun are null (reference_codes null), the readmission rates are
  published. Fails with one row per such fiscal year.
-#}
{{ config(severity='warn') }}

with indicator_stays as (
    select * from {{ ref('int_indicators__stays') }}
),

dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

reference_years as (
    select distinct fiscal_year
    from dpc_codes
),

discharges as (
    select
        fiscal_year,
        count(*) as discharges,
        count(distinct facility_code) as facilities,
        min(discharge_date) as first_discharge_date
    from indicator_stays
    group by fiscal_year
),

final as (
    select
        discharges.fiscal_year,
        discharges.discharges,
        discharges.facilities,
        discharges.first_discharge_date
    from discharges
    left join reference_years
        on discharges.fiscal_year = reference_years.fiscal_year
    where reference_years.fiscal_year is null
)

select * from final
