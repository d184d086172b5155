{#-
  Null cells of the listed columns, one row per column that has any (column_name, null_rows); failures = null
  cells. One scan checks every required column of a model, where one dbt not_null test per column costs a query
  and ≈ 20 ms of dbt's own bookkeeping each: 300 of them were a third of an incremental run (bench/README.md).
  A column test with its own config (a `where`, a severity) stays a plain not_null beside it.
-#}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc='coalesce(sum(null_rows), 0)') }}

with counts as (
    select
    {%- for column in columns %}
        count(*) - count({{ column }}) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

by_column as (
{%- for column in columns %}
    select '{{ column }}' as column_name, {{ column }} as null_rows from counts
    {{- ' union all' if not loop.last }}
{%- endfor %}
)

select column_name, null_rows
from by_column
where null_rows > 0

{% endtest %}
