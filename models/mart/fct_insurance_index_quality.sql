{#-
  The data-quality figures the 保険診療指数 (機能評価係数Ⅱ) scores, per facility × fiscal year × month of discharge
  and per facility × fiscal year (month null, is_fiscal_year_total): for each figure its numerator, denominator,
  rate (numerator / denominator, null without a denominator) and threshold. No threshold is set: none could be
  found in a ministry document (docs/insurance-index-quality.md says what was searched); the column is there so
  that one, once cited, is a one-line change. The items behind each figure: int_insurance_index__cases and
  dq.dq_insurance_index_cases.
-#}
{%- set figures = [
    'unspecified_main_diagnosis',
    'uncoded_diagnosis',
    'form1_without_ef',
    'ef_without_form1',
    'd_without_form1',
    'form1_without_form4',
    'form4_without_form1',
    'form4_no_claim_with_ef',
    'discharge_date_mismatch',
] %}

with cases as (
    select * from {{ ref('int_insurance_index__cases') }}
),

monthly as (
    select
        facility_code,
        fiscal_year,
        yyyymm,
        {% for figure in figures %}
        sum(case when figure = '{{ figure }}' and is_offending then 1 else 0 end) as {{ figure }}_numerator,
        sum(case when figure = '{{ figure }}' then 1 else 0 end) as {{ figure }}_denominator,
        {% endfor %}
        false as is_fiscal_year_total
    from cases
    group by facility_code, fiscal_year, yyyymm
),

fiscal_years as (
    select
        facility_code,
        fiscal_year,
        cast(null as integer) as yyyymm,
        {% for figure in figures %}
        sum({{ figure }}_numerator) as {{ figure }}_numerator,
        sum({{ figure }}_denominator) as {{ figure }}_denominator,
        {% endfor %}
        true as is_fiscal_year_total
    from monthly
    group by facility_code, fiscal_year
),

counts as (
    select * from monthly
    union all
    select * from fiscal_years
),

final as (
    select
        facility_code,
        fiscal_year,
        yyyymm,
        {% for figure in figures %}
        cast({{ figure }}_numerator as integer) as {{ figure }}_numerator,
        cast({{ figure }}_denominator as integer) as {{ figure }}_denominator,
        case
            when {{ figure }}_denominator > 0
                then cast({{ figure }}_numerator as {{ type_double() }}) / {{ figure }}_denominator
        end as {{ figure }}_rate,
        cast(null as {{ type_double() }}) as {{ figure }}_threshold,
        {% endfor %}
        is_fiscal_year_total
    from counts
)

select * from final
