{#- Pins string_agg: ordered by the order_by expression, nulls skipped, a group of nulls gives null. -#}
{{ config(tags=['engine_macros']) }}

with cases as (
    select
        'a' as group_code,
        'x' as item,
        2 as sort_order
    union all
    select
        'a' as group_code,
        'y' as item,
        1 as sort_order
    union all
    select
        'a' as group_code,
        cast(null as {{ dbt.type_string() }}) as item,
        3 as sort_order
    union all
    select
        'a' as group_code,
        'z' as item,
        4 as sort_order
    union all
    select
        'b' as group_code,
        cast(null as {{ dbt.type_string() }}) as item,
        1 as sort_order
),

expected as (
    select
        'a' as group_code,
        'y|x|z' as items
    union all
    select
        'b' as group_code,
        cast(null as {{ dbt.type_string() }}) as items
),

results as (
    select
        group_code,
        {{ string_agg('item', '|', 'sort_order') }} as items
    from cases
    group by group_code
)

select
    results.group_code,
    results.items as actual,
    expected.items as expected
from results
inner join expected
    on results.group_code = expected.group_code
where not (results.items = expected.items or (results.items is null and expected.items is null))
