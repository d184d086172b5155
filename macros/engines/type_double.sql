{#-
  The 8-byte floating-point type. dbt.type_float() is not enough: on DuckDB it renders FLOAT, a 4-byte
  REAL, which would round indicator ratios to about 7 digits.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'dpc_learning')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro athena__type_double() -%}
    double
{%- endmacro %}
