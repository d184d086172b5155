{#-
  Every published aggregate cell as a sum over stays, one row per cell × measure (docs/decisions/0020): the
  input of complementary suppression. Unsuppressed, hence in the internal schema. Grains (the tables that
  publish them):
    month   facility × discharge month × MDC  (kpi_monthly_facility_mdc, kpi_case_mix_monthly)
    fy_mdc  facility × fiscal year × MDC      (ind_facility_fiscal_year_mdc)
    fy      facility × fiscal year            (ind_facility_fiscal_year)
    mp      facility × measurement period     (ind_facility_measurement_period; October Y−2 … September Y−1)
    period  facility × fiscal year × 入院期間  (kpi_points_per_day_by_period)
  Measures: the stay counts a published value is computed from — discharges (every value of a row),
  reference_discharges, bundled_discharges, indicator_discharges, general_ward_discharges, period_2_overruns
  (the stays behind mean_days_beyond_period_2) and stays (a billing period's stays). is_primary: fewer than
  var('disclosure_min_stays') stays. cell_id is readable (grain|facility|keys|measure) and breaks ties.
-#}
{{ config(schema='internal', dist='all') }}

{%- set indicator_measures = ['discharges', 'reference_discharges', 'bundled_discharges', 'indicator_discharges',
    'general_ward_discharges', 'period_2_overruns'] %}

with monthly as (
    select * from {{ ref('int_kpi__monthly_facility_mdc') }}
),

case_mix as (
    select * from {{ ref('int_indicators__case_mix_monthly') }}
),

fiscal_year_mdc as (
    select * from {{ ref('int_indicators__facility_fiscal_year_mdc') }}
),

fiscal_years as (
    select * from {{ ref('int_indicators__facility_fiscal_year') }}
),

measurement_periods as (
    select * from {{ ref('int_indicators__facility_measurement_period') }}
),

billing_periods as (
    select * from {{ ref('int_indicators__points_per_day_by_period') }}
),

month_values as (
    select
        facility_code,
        discharge_yyyymm,
        mdc_code,
        'discharges' as measure,
        discharges as stay_count
    from monthly
    union all
    select
        facility_code,
        discharge_yyyymm,
        mdc_code,
        'bundled_discharges' as measure,
        bundled_discharges as stay_count
    from case_mix
),

month_cells as (
    -- a month's fiscal year (April–March) and measurement period (October–September, named by the fiscal
    -- year whose coefficient it sets: discharges of October Y−2 … September Y−1 → Y)
    select
        'month' as grain,
        measure,
        facility_code,
        cast((discharge_yyyymm - mod(discharge_yyyymm, 100)) / 100 as integer)
        - case when mod(discharge_yyyymm, 100) < 4 then 1 else 0 end as fiscal_year,
        cast((discharge_yyyymm - mod(discharge_yyyymm, 100)) / 100 as integer)
        + case when mod(discharge_yyyymm, 100) >= 10 then 2 else 1 end as coefficient_fiscal_year,
        discharge_yyyymm,
        mdc_code,
        cast(null as integer) as billing_period,
        stay_count
    from month_values
),

indicator_cells as (
    {%- for measure in indicator_measures %}
    select
        'fy_mdc' as grain,
        '{{ measure }}' as measure,
        facility_code,
        fiscal_year,
        cast(null as integer) as coefficient_fiscal_year,
        cast(null as integer) as discharge_yyyymm,
        mdc_code,
        cast(null as integer) as billing_period,
        {{ measure }} as stay_count
    from fiscal_year_mdc
    union all
    select
        'fy' as grain,
        '{{ measure }}' as measure,
        facility_code,
        fiscal_year,
        cast(null as integer) as coefficient_fiscal_year,
        cast(null as integer) as discharge_yyyymm,
        cast(null as {{ dbt.type_string() }}) as mdc_code,
        cast(null as integer) as billing_period,
        {{ measure }} as stay_count
    from fiscal_years
    union all
    select
        'mp' as grain,
        '{{ measure }}' as measure,
        facility_code,
        cast(null as integer) as fiscal_year,
        coefficient_fiscal_year,
        cast(null as integer) as discharge_yyyymm,
        cast(null as {{ dbt.type_string() }}) as mdc_code,
        cast(null as integer) as billing_period,
        {{ measure }} as stay_count
    from measurement_periods
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

period_cells as (
    select
        'period' as grain,
        'stays' as measure,
        facility_code,
        fiscal_year,
        cast(null as integer) as coefficient_fiscal_year,
        cast(null as integer) as discharge_yyyymm,
        cast(null as {{ dbt.type_string() }}) as mdc_code,
        billing_period,
        stays as stay_count
    from billing_periods
),

cells as (
    select * from month_cells
    union all
    select * from indicator_cells
    union all
    select * from period_cells
),

keyed as (
    select
        grain
        || '|' || facility_code
        || '|' || coalesce(cast(fiscal_year as {{ dbt.type_string() }}), '')
        || '|' || coalesce(cast(coefficient_fiscal_year as {{ dbt.type_string() }}), '')
        || '|' || coalesce(cast(discharge_yyyymm as {{ dbt.type_string() }}), '')
        || '|' || coalesce(mdc_code, '')
        || '|' || coalesce(cast(billing_period as {{ dbt.type_string() }}), '') as row_id,
        grain,
        measure,
        facility_code,
        fiscal_year,
        coefficient_fiscal_year,
        discharge_yyyymm,
        mdc_code,
        billing_period,
        stay_count
    from cells
),

final as (
    select
        row_id || '|' || measure as cell_id,
        row_id,
        grain,
        measure,
        facility_code,
        fiscal_year,
        coefficient_fiscal_year,
        discharge_yyyymm,
        mdc_code,
        billing_period,
        stay_count,
        stay_count < {{ var('disclosure_min_stays') }} as is_primary
    from keyed
)

select * from final
