{#-
  The indicator tables count every discharged stay exactly once: per facility × fiscal year, the discharges
  of int_indicators__facility_fiscal_year equal the discharged stays of int_stays__assembled, and so do the
  sums over MDCs (int_indicators__facility_fiscal_year_mdc) and over months (int_indicators__case_mix_monthly).
  Returns the facility-years where any of them differ.
-#}
with stays as (
    select
        facility_code,
        cast({{ fiscal_year('discharge_date') }} as integer) as fiscal_year,
        count(*) as discharged_stays
    from {{ ref('int_stays__assembled') }}
    where is_discharged
    group by 1, 2
),

fiscal_years as (
    select
        facility_code,
        fiscal_year,
        discharges
    from {{ ref('int_indicators__facility_fiscal_year') }}
),

mdcs as (
    select
        facility_code,
        fiscal_year,
        sum(discharges) as discharges
    from {{ ref('int_indicators__facility_fiscal_year_mdc') }}
    group by 1, 2
),

months as (
    select
        facility_code,
        fiscal_year,
        sum(discharges) as discharges
    from {{ ref('int_indicators__case_mix_monthly') }}
    group by 1, 2
)

select
    stays.facility_code,
    stays.fiscal_year,
    stays.discharged_stays,
    fiscal_years.discharges as fiscal_year_discharges,
    mdcs.discharges as mdc_discharges,
    months.discharges as month_discharges
from stays
left join fiscal_years
    on stays.facility_code = fiscal_years.facility_code and stays.fiscal_year = fiscal_years.fiscal_year
left join mdcs
    on stays.facility_code = mdcs.facility_code and stays.fiscal_year = mdcs.fiscal_year
left join months
    on stays.facility_code = months.facility_code and stays.fiscal_year = months.fiscal_year
where fiscal_years.discharges is null
    or fiscal_years.discharges <> stays.discharged_stays
    or mdcs.discharges <> stays.discharged_stays
    or months.discharges <> stays.discharged_stays
