{#- Median of a numeric expression, as an aggregate. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'dpc_learning')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro redshift__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{#- Trino has no exact median; approx_percentile is exact enough for LOS in days on Athena -#}
{% macro athena__median(expression) -%}
    approx_percentile({{ expression }}, 0.5)
{%- endmacro %}
