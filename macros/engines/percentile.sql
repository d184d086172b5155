{#-
  The continuous percentile (0 ≤ fraction ≤ 1) of a numeric expression, as an aggregate: linear
  interpolation between the two nearest values, as percentile_cont does. Athena (Trino) has no exact
  percentile: approx_percentile returns a value of the column close to it (documented difference).
-#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'dpc_learning')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro athena__percentile(expression, fraction) -%}
    approx_percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Whether percentile() interpolates exactly on this engine (false: approximate, a value of the column). -#}
{% macro percentile_is_exact() -%}
    {{ return(adapter.dispatch('percentile_is_exact', 'dpc_learning')()) }}
{%- endmacro %}

{% macro default__percentile_is_exact() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro athena__percentile_is_exact() -%}
    {{ return(false) }}
{%- endmacro %}
