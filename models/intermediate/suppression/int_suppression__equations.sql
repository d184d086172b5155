{#-
  The published equations between the cells of int_suppression__cells, one row per equation × member
  (docs/decisions/0020). An attacker who reads every published table knows each of them with its total:
    fy_mdc   a fiscal year × MDC total = Σ its months' cells                      (measures published by month)
    fy       a fiscal-year total = Σ its MDCs' cells
    mp       a measurement-period total = Σ the cells of its months, every MDC     (measures published by month)
    overlap  a fiscal year and a measurement period that share months, for the measures without monthly cells:
             the months they share are not published, so both are tied together (when one is suppressed the
             other is too; a fiscal year whose other half has no stays equals the period)
    period_i the stays of billing period I = the fiscal year's bundled_discharges (every 包括 stay has a day
             in period I), for kpi_points_per_day_by_period
  Billing periods II–IV count nested subsets of period I's stays, not parts of a sum: no equation.
  Equations never mix the discharges measure with another, so the two rounds of
  int_suppression__flags stay apart.
-#}
{{ config(schema='internal', dist='all') }}

with cells as (
    select * from {{ ref('int_suppression__cells') }}
),

monthly_measures as (
    select distinct measure
    from cells
    where grain = 'month'
),

members as (
    select
        'fy_mdc|' || totals.cell_id as equation_id,
        totals.cell_id as total_cell_id,
        months.cell_id
    from cells as totals
    inner join cells as months
        on totals.measure = months.measure
        and totals.facility_code = months.facility_code
        and totals.fiscal_year = months.fiscal_year
        and totals.mdc_code = months.mdc_code
    where totals.grain = 'fy_mdc' and months.grain = 'month'
    union all
    select
        'fy|' || totals.cell_id as equation_id,
        totals.cell_id as total_cell_id,
        mdcs.cell_id
    from cells as totals
    inner join cells as mdcs
        on totals.measure = mdcs.measure
        and totals.facility_code = mdcs.facility_code
        and totals.fiscal_year = mdcs.fiscal_year
    where totals.grain = 'fy' and mdcs.grain = 'fy_mdc'
    union all
    select
        'mp|' || totals.cell_id as equation_id,
        totals.cell_id as total_cell_id,
        months.cell_id
    from cells as totals
    inner join cells as months
        on totals.measure = months.measure
        and totals.facility_code = months.facility_code
        and totals.coefficient_fiscal_year = months.coefficient_fiscal_year
    where totals.grain = 'mp' and months.grain = 'month'
    union all
    select
        'overlap|' || periods.cell_id || '|' || years.cell_id as equation_id,
        periods.cell_id as total_cell_id,
        years.cell_id
    from cells as periods
    inner join cells as years
        on periods.measure = years.measure
        and periods.facility_code = years.facility_code
        and periods.coefficient_fiscal_year in (years.fiscal_year + 1, years.fiscal_year + 2)
    where
        periods.grain = 'mp' and years.grain = 'fy'
        and periods.measure not in (select monthly_measures.measure from monthly_measures)
    union all
    select
        'period_i|' || periods.cell_id as equation_id,
        years.cell_id as total_cell_id,
        periods.cell_id
    from cells as periods
    inner join cells as years
        on periods.facility_code = years.facility_code
        and periods.fiscal_year = years.fiscal_year
    where
        periods.grain = 'period' and periods.billing_period = 1
        and years.grain = 'fy' and years.measure = 'bundled_discharges'
),

final as (
    select
        equation_id,
        cell_id,
        false as is_total
    from members
    union all
    select distinct
        equation_id,
        total_cell_id as cell_id,
        true as is_total
    from members
)

select * from final
