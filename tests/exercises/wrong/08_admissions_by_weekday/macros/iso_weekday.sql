{#- Exercise 8, deliberately wrong: one variant only, and DuckDB's dayofweek counts Sunday as 0. -#}
{% macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'dpc_learning')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expression) -%}
    cast(dayofweek({{ date_expression }}) as integer)
{%- endmacro %}
