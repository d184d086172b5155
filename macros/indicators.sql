{#-
  Helpers of the DPC indicators (models/intermediate/indicators, models/mart/indicators).
  indicator_ratio(): a ÷ b in double precision, null when b is 0 or null. Redshift (and Trino on Athena) divide
  integers as integers, so both sides are cast before dividing.
-#}
{% macro indicator_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0)
{%- endmacro %}

{#-
  Sums and means that are the same to the last bit whatever the order the engine adds the rows in (issue 25): a
  floating-point sum depends on its order, and DuckDB's parallel aggregation (like Redshift's and Athena's) adds in
  an order that varies with threads. The values are added as decimal(38, 12) — exact integer arithmetic — and the
  result is a double: 12 decimal places are kept of each value (relative weights, stand-in points), far below
  anything published. indicator_mean() is also a double where Redshift's avg of integers is an integer.
-#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(38, 12))) as {{ type_double() }})
{%- endmacro %}

{% macro indicator_mean(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 12))) as {{ type_double() }})
{%- endmacro %}

{#-
  The DPC indicators per facility × period (× MDC when by_mdc), as the ministry defines them for FY2024
  (令和6年度診療報酬改定の概要 (医科全体版), 機能評価係数Ⅱの評価内容; docs/indicators.md). period_column is a column of
  int_indicators__stays: fiscal_year (April–March by discharge) or coefficient_fiscal_year (the ministry's
  October–September measurement period). A code is (reference_revision, dpc_code); min = var('indicator_min_cases', 12):
    efficiency_index  = Σ_c n_c × L_nat_c ÷ Σ_c n_c × L_c   over 包括 codes with n_c ≥ min (the same codes above and
                        below; L_nat_c = national_mean_los_stand_in = 入院日Ⅱ; Σ_c n_c × L_c = the stays' LOS)
    complexity_index  = Σ_c n_c × P_nat_c ÷ Σ_c n_c ÷ the revision's mean   over the same codes, computed per stay as
                        the mean relative_weight (per MDC: mdc_relative_weight, relative to the MDC's mean)
    unplanned_readmission_rate_4w = 計画外の再入院（4週間以内） (A000080 ② = 2, p23, p57) ÷ discharges that had a
                        一般病棟グループ period (docs/decisions/0006); any_cause_readmission_rate_4w and
                        readmission_rate_6w_same_dpc6 are the plain any-cause rate and the older published measure
    coverage_rate     = codes (包括 and 出来高) with n_c ≥ min ÷ every code of the table (per MDC: of the MDC), in the
                        cell's coverage_revision (the newest revision its stays were matched to)
-#}
{% macro dpc_facility_indicators(period_column, by_mdc=false) -%}
{%- set min_cases = var('indicator_min_cases', 12) -%}
{%- set cell = ['facility_code', period_column] + (['mdc_code'] if by_mdc else []) -%}
{%- set weight = 'mdc_relative_weight' if by_mdc else 'relative_weight' -%}
{%- set key_columns = [] -%}
{%- for c in cell %}{% do key_columns.append('stay_totals.' ~ c) %}{% endfor -%}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
),

reference as (
    select * from {{ ref('int_indicators__national_reference') }}
),

table_codes as (
    select distinct
        revision,
        {%- if by_mdc %}
        mdc_code,
        mdc_codes as table_codes
        {%- else %}
        revision_codes as table_codes
        {%- endif %}
    from reference
),

code_stays as (
    -- one row per cell × code of the table (revision, code) with at least one stay
    select
        {{ cell | join(', ') }},
        reference_revision as revision,
        lower(dpc_code) as dpc_code,
        is_bundled_code,
        count(*) as discharges,
        sum(los_days) as los_days,
        sum(national_mean_los_stand_in) as national_los_days_stand_in,
        {{ exact_sum('national_mean_points_per_stay_stand_in') }} as national_points_stand_in,
        {{ exact_sum(weight) }} as relative_weights
    from stays
    where has_reference
    group by {{ cell | join(', ') }}, reference_revision, lower(dpc_code), is_bundled_code
),

cell_codes as (
    select
        {{ cell | join(', ') }},
        sum(discharges) as reference_discharges,
        sum(case when is_bundled_code then discharges else 0 end) as bundled_discharges,
        count(*) as codes_treated,
        max(revision) as coverage_revision
    from code_stays
    group by {{ cell | join(', ') }}
),

indicator_codes as (
    -- the codes of the case-mix indices: 包括 codes with at least min cases in the cell
    select
        {{ cell | join(', ') }},
        count(*) as indicator_codes,
        sum(discharges) as indicator_discharges,
        sum(los_days) as indicator_los_days,
        sum(national_los_days_stand_in) as national_los_days_stand_in,
        {{ exact_sum('national_points_stand_in') }} as national_points_stand_in,
        {{ exact_sum('relative_weights') }} as relative_weights
    from code_stays
    where is_bundled_code and discharges >= {{ min_cases }}
    group by {{ cell | join(', ') }}
),

covered_codes as (
    select
        {%- for c in cell %}
        code_stays.{{ c }},
        {%- endfor %}
        count(*) as codes_covered
    from code_stays
    inner join cell_codes
        on {% for c in cell %}code_stays.{{ c }} = cell_codes.{{ c }}
        and {% endfor %}code_stays.revision = cell_codes.coverage_revision
    where code_stays.discharges >= {{ min_cases }}
    group by {% for c in cell %}code_stays.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
),

stay_totals as (
    select
        {{ cell | join(', ') }},
        count(*) as discharges,
        {{ indicator_mean('los_days') }} as mean_los_days,
        sum(case when is_over_period_2 then 1 else 0 end) as period_2_overruns,
        sum(case when is_over_period_2 then days_beyond_period_2 else 0 end) as days_beyond_period_2,
        sum(case when is_general_ward_discharge then 1 else 0 end) as general_ward_discharges,
        sum(case when is_unplanned_readmitted_4w then 1 else 0 end) as unplanned_readmissions_4w,
        sum(case when is_readmitted_4w then 1 else 0 end) as any_cause_readmissions_4w,
        sum(case when is_readmitted_6w_same_dpc6 then 1 else 0 end) as readmissions_6w_same_dpc6
    from stays
    group by {{ cell | join(', ') }}
),

final as (
    select
        {{ surrogate_key(key_columns) }} as indicator_id,
        {%- for c in cell %}
        stay_totals.{{ c }},
        {%- endfor %}
        {%- if period_column == 'coefficient_fiscal_year' %}
        (stay_totals.coefficient_fiscal_year - 2) * 100 + 10 as measurement_from_yyyymm,
        (stay_totals.coefficient_fiscal_year - 1) * 100 + 9 as measurement_to_yyyymm,
        {%- endif %}
        stay_totals.discharges,
        coalesce(cell_codes.reference_discharges, 0) as reference_discharges,
        coalesce(cell_codes.bundled_discharges, 0) as bundled_discharges,
        stay_totals.mean_los_days,
        coalesce(indicator_codes.indicator_codes, 0) as indicator_codes,
        coalesce(indicator_codes.indicator_discharges, 0) as indicator_discharges,
        {{ indicator_ratio('indicator_codes.indicator_los_days', 'indicator_codes.indicator_discharges') }}
            as indicator_mean_los_days,
        {{ indicator_ratio('indicator_codes.national_los_days_stand_in', 'indicator_codes.indicator_discharges') }}
            as national_mean_los_at_case_mix_stand_in,
        {{ indicator_ratio('indicator_codes.national_los_days_stand_in', 'indicator_codes.indicator_los_days') }}
            as efficiency_index,
        {{ indicator_ratio('indicator_codes.national_points_stand_in', 'indicator_codes.indicator_discharges') }}
            as expected_points_per_stay_stand_in,
        {{ indicator_ratio('indicator_codes.relative_weights', 'indicator_codes.indicator_discharges') }}
            as complexity_index,
        coalesce(cell_codes.codes_treated, 0) as codes_treated,
        coalesce(covered_codes.codes_covered, 0) as codes_covered,
        cell_codes.coverage_revision,
        table_codes.table_codes as reference_codes,
        {{ indicator_ratio('coalesce(covered_codes.codes_covered, 0)', 'table_codes.table_codes') }}
            as coverage_rate,
        stay_totals.period_2_overruns,
        {{ indicator_ratio('stay_totals.period_2_overruns', 'cell_codes.bundled_discharges') }}
            as period_2_overrun_rate,
        {{ indicator_ratio('stay_totals.days_beyond_period_2', 'stay_totals.period_2_overruns') }}
            as mean_days_beyond_period_2,
        stay_totals.general_ward_discharges,
        stay_totals.unplanned_readmissions_4w,
        {{ indicator_ratio('stay_totals.unplanned_readmissions_4w', 'stay_totals.general_ward_discharges') }}
            as unplanned_readmission_rate_4w,
        stay_totals.any_cause_readmissions_4w,
        {{ indicator_ratio('stay_totals.any_cause_readmissions_4w', 'stay_totals.discharges') }}
            as any_cause_readmission_rate_4w,
        stay_totals.readmissions_6w_same_dpc6,
        {{ indicator_ratio('stay_totals.readmissions_6w_same_dpc6', 'stay_totals.discharges') }}
            as readmission_rate_6w_same_dpc6
    from stay_totals
    left join cell_codes
        on {% for c in cell %}stay_totals.{{ c }} = cell_codes.{{ c }}{{ '\n        and ' if not loop.last }}{% endfor %}
    left join indicator_codes
        on {% for c in cell %}stay_totals.{{ c }} = indicator_codes.{{ c }}{{ '\n        and ' if not loop.last }}{% endfor %}
    left join covered_codes
        on {% for c in cell %}stay_totals.{{ c }} = covered_codes.{{ c }}{{ '\n        and ' if not loop.last }}{% endfor %}
    left join table_codes
        on cell_codes.coverage_revision = table_codes.revision
        {%- if by_mdc %}
        and stay_totals.mdc_code = table_codes.mdc_code
        {%- endif %}
)

select * from final
{%- endmacro %}


{#-
  The published columns of every ind_* table after the cell's key columns, with disclosure control
  (docs/decisions/0020): one list for the fiscal-year, fiscal-year × MDC and measurement-period tables, so a new
  indicator is published, and suppressed, the same way in all three. The model reads its cells as `indicators`
  and their flags as `suppression` (disclosure_flags(grain), int_suppression__flags). Each value is shown only
  when the stays it is computed from are not suppressed — primary (fewer than var('disclosure_min_stays')) or
  complementary (they would be a margin minus visible cells): discharges for the row, reference_discharges for
  coverage, bundled_discharges for the overrun rate, indicator_discharges for the case-mix indices,
  general_ward_discharges for the DPC readmission rate, the overrunning stays for their mean days.
-#}
{% macro published_indicator_columns() -%}
    {%- set by = {
        'discharges': [
            'discharges', 'mean_los_days', 'any_cause_readmission_rate_4w', 'readmission_rate_6w_same_dpc6'],
        'reference_discharges': ['reference_discharges', 'codes_covered', 'coverage_rate'],
        'bundled_discharges': ['bundled_discharges', 'period_2_overrun_rate'],
        'indicator_discharges': [
            'indicator_codes', 'indicator_discharges', 'indicator_mean_los_days',
            'national_mean_los_at_case_mix_stand_in', 'efficiency_index', 'expected_points_per_stay_stand_in',
            'complexity_index'],
        'period_2_overruns': ['mean_days_beyond_period_2'],
        'general_ward_discharges': ['general_ward_discharges', 'unplanned_readmission_rate_4w'],
    } -%}
    {%- set order = [
        'discharges', 'reference_discharges', 'bundled_discharges', 'mean_los_days', 'indicator_codes',
        'indicator_discharges', 'indicator_mean_los_days', 'national_mean_los_at_case_mix_stand_in',
        'efficiency_index', 'expected_points_per_stay_stand_in', 'complexity_index', 'codes_covered',
        'coverage_revision', 'reference_codes', 'coverage_rate', 'period_2_overrun_rate', 'mean_days_beyond_period_2',
        'general_ward_discharges', 'unplanned_readmission_rate_4w', 'any_cause_readmission_rate_4w',
        'readmission_rate_6w_same_dpc6'] -%}
    {%- set measure_of = {} -%}
    {%- for measure, columns in by.items() %}{% for c in columns %}{% do measure_of.update({c: measure}) %}{% endfor %}{% endfor -%}
    coalesce(suppression.hides_discharges, true) as is_suppressed,
    {%- for c in order %}
        {% if c in measure_of -%}
        {{ disclosed('indicators.' ~ c, 'suppression.hides_' ~ measure_of[c]) }} as {{ c }}
        {%- else -%}
        indicators.{{ c }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
