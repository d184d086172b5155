{#- Exercise 8 (reference solution): ISO weekday (Monday 1 … Sunday 7) of a date, per engine. -#}
{% macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'dpc_learning')(date_expression)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(date_expression) -%}
    cast(isodow({{ date_expression }}) as integer)
{%- endmacro %}

{#- Redshift: date_part(dow, …) is 0 on Sunday. -#}
{% macro redshift__iso_weekday(date_expression) -%}
    cast(case when date_part(dow, {{ date_expression }}) = 0 then 7 else date_part(dow, {{ date_expression }}) end as integer)
{%- endmacro %}

{#- Athena (Trino): day_of_week is already ISO. -#}
{% macro athena__iso_weekday(date_expression) -%}
    cast(day_of_week({{ date_expression }}) as integer)
{%- endmacro %}
