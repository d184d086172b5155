{#-
  Which published cells are suppressed (docs/decisions/0020), one row per cell × measure of
  int_suppression__cells: primary suppression (fewer than var('disclosure_min_stays') stays) completed by
  complementary suppression over int_suppression__equations (macros/disclosure_control.sql), so that no suppressed
  cell is the only unknown of a published equation. Two rounds:
    1. discharges: a suppressed row hides every value of its cell;
    2. the other measures, starting from their own small cells and every cell of a row suppressed in round 1
       (a bundled_discharges of 12 in a suppressed row is suppressed too, and its margins must protect it).
  Every published aggregate reads its flags through disclosure_flags(grain); the singular test
  assert_no_equation_reveals_a_suppressed_cell checks the fixed point. var('disclosure_complementary_rounds')
  (12) rounds per measure; 0 switches complementary suppression off (primary suppression alone — only to show
  what it leaks, tests/python/test_suppression.py).
-#}
{{ config(schema='internal', dist='all') }}

{%- set passes = var('disclosure_complementary_rounds', 12) %}

with cells as (
    select * from {{ ref('int_suppression__cells') }}
),

equations as (
    select * from {{ ref('int_suppression__equations') }}
),

row_cells as (
    select
        cell_id,
        stay_count,
        is_primary as is_suppressed
    from cells
    where measure = 'discharges'
),

row_equations as (
    -- equations never mix discharges with another measure (int_suppression__equations)
    select equations.*
    from equations
    inner join cells
        on equations.cell_id = cells.cell_id
    where cells.measure = 'discharges'
),

{{ complementary_suppression('row_cells', 'row_equations', passes, 'row') }},

suppressed_rows as (
    select cells.row_id
    from cells
    inner join row_pass_{{ passes }} as rounds
        on cells.cell_id = rounds.cell_id
    where rounds.is_suppressed
),

value_cells as (
    select
        cells.cell_id,
        cells.stay_count,
        cells.is_primary or suppressed_rows.row_id is not null as is_suppressed
    from cells
    left join suppressed_rows
        on cells.row_id = suppressed_rows.row_id
    where cells.measure <> 'discharges'
),

value_equations as (
    select equations.*
    from equations
    inner join cells
        on equations.cell_id = cells.cell_id
    where cells.measure <> 'discharges'
),

{{ complementary_suppression('value_cells', 'value_equations', passes, 'value') }},

rounds as (
    select
        cell_id,
        is_suppressed
    from row_pass_{{ passes }}
    union all
    select
        cell_id,
        is_suppressed
    from value_pass_{{ passes }}
),

final as (
    select
        cells.cell_id,
        cells.row_id,
        cells.grain,
        cells.measure,
        cells.facility_code,
        cells.fiscal_year,
        cells.coefficient_fiscal_year,
        cells.discharge_yyyymm,
        cells.mdc_code,
        cells.billing_period,
        cells.is_primary,
        rounds.is_suppressed
    from cells
    inner join rounds
        on cells.cell_id = rounds.cell_id
)

select * from final
