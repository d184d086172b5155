{#-
  Complementary suppression (docs/decisions/0020), written once for every published aggregate.

  A published cell is a sum over stays; the published cells and their margins are linear equations
  ("this total = the sum of those cells", models/intermediate/suppression/int_suppression__equations.sql). A cell
  suppressed because it counts fewer than var('disclosure_min_stays') stays (primary suppression) can be recovered
  whenever it is the only suppressed member of a published equation: total − the visible cells. The rule, applied
  to every equation until nothing changes:

    an equation with exactly one suppressed member gets a second one: its smallest visible detail cell
    (ties broken by cell_id, the cell's readable key), or its total when every detail is suppressed already.

  complementary_suppression(cells, equations, passes, prefix) renders the CTEs of `passes` rounds of the rule
  (dbt has no loops at run time; unrolled rounds compile alike on DuckDB, Redshift and Athena). Each round reads
  the previous one once, so an engine that inlines CTEs (Trino) gets a plan linear in the rounds:
    cells:     a relation (cell_id, stay_count, is_suppressed) — is_suppressed = primary suppression
    equations: a relation (equation_id, cell_id, is_total)
  The last CTE, <prefix>_pass_<passes>, has the same columns with is_suppressed final. The singular test
  tests/dbt/assert_no_equation_reveals_a_suppressed_cell.sql fails the build when the rounds did not reach the
  fixed point, so a table that needs more rounds is never published with a hole that subtraction fills.
-#}
{% macro complementary_suppression(cells, equations, passes, prefix) -%}
{{ prefix }}_members as (
    -- every equation's members, and each cell once on its own (a cell in no equation keeps its flag)
    select
        equation_id,
        cell_id,
        is_total
    from {{ equations }}
    union all
    select
        'self|' || cell_id as equation_id,
        cell_id,
        false as is_total
    from {{ cells }}
),

{{ prefix }}_pass_0 as (
    select
        cell_id,
        stay_count,
        is_suppressed
    from {{ cells }}
){%- for i in range(1, passes + 1) %},

{{ prefix }}_ranked_{{ i }} as (
    -- each cell in each of its equations: how many members are suppressed, and the cell's place in the order
    -- of preference for a complement (visible first; details before the total; smallest first; by key)
    select
        members.equation_id,
        cells.cell_id,
        cells.stay_count,
        cells.is_suppressed,
        sum(case when cells.is_suppressed then 1 else 0 end) over (partition by members.equation_id)
            as suppressed_members,
        row_number() over (
            partition by members.equation_id
            order by
                case when cells.is_suppressed then 1 else 0 end,
                case when members.is_total then 1 else 0 end,
                cells.stay_count,
                cells.cell_id
        ) as preference
    from {{ prefix }}_members as members
    inner join {{ prefix }}_pass_{{ i - 1 }} as cells
        on members.cell_id = cells.cell_id
),

{{ prefix }}_pass_{{ i }} as {{ materialized_cte() }} (
    -- an equation with exactly one suppressed member suppresses its first visible member as well
    select
        cell_id,
        stay_count,
        max(
            case
                when is_suppressed then 1
                when suppressed_members = 1 and preference = 1 then 1
                else 0
            end
        ) = 1 as is_suppressed
    from {{ prefix }}_ranked_{{ i }}
    group by cell_id, stay_count
)
{%- endfor %}
{%- endmacro %}


{#-
  The suppression flags of one published grain, one row per cell and a column per measure
  (int_suppression__flags): 'month' (facility_code, discharge_yyyymm, mdc_code), 'fy_mdc' (facility_code,
  fiscal_year, mdc_code), 'fy' (facility_code, fiscal_year), 'mp' (facility_code, coefficient_fiscal_year),
  'period' (facility_code, fiscal_year, billing_period). A published model left-joins it on the grain's keys and
  shows a value only when the flag of the stays it is computed from is false (disclosed()).
-#}
{% macro disclosure_keys(grain) -%}
    {%- set keys = {
        'month': ['facility_code', 'discharge_yyyymm', 'mdc_code'],
        'fy_mdc': ['facility_code', 'fiscal_year', 'mdc_code'],
        'fy': ['facility_code', 'fiscal_year'],
        'mp': ['facility_code', 'coefficient_fiscal_year'],
        'period': ['facility_code', 'fiscal_year', 'billing_period'],
    } -%}
    {%- if grain not in keys -%}
        {{ exceptions.raise_compiler_error("disclosure_keys: unknown grain " ~ grain) }}
    {%- endif -%}
    {{ return(keys[grain]) }}
{%- endmacro %}

{% macro disclosure_flags(grain) -%}
    {%- set measures = ['discharges', 'reference_discharges', 'bundled_discharges', 'indicator_discharges',
        'general_ward_discharges', 'period_2_overruns', 'stays'] -%}
    select
        {{ disclosure_keys(grain) | join(',\n        ') }},
        {%- for measure in measures %}
        max(case when measure = '{{ measure }}' and is_suppressed then 1 else 0 end) = 1
            as hides_{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_suppression__flags') }}
    where grain = '{{ grain }}'
    group by {{ disclosure_keys(grain) | join(', ') }}
{%- endmacro %}

{#- A published value: null when its cell's flag says its stays are suppressed (or the cell has no flags). -#}
{% macro disclosed(value, hidden) -%}
    case when not coalesce({{ hidden }}, true) then {{ value }} end
{%- endmacro %}
