{#-
  Concatenate the values of a text expression over a group, separated by `delimiter`, in the order of
  `order_by` (an expression; required, because an unordered result differs between engines and runs).
  Nulls are skipped. Redshift: LISTAGG output is limited to 64K bytes, and every sort-based aggregate of a
  statement (LISTAGG, MEDIAN, PERCENTILE_CONT) must use the same ORDER BY.
-#}
{% macro string_agg(expression, delimiter, order_by) -%}
    {{ return(adapter.dispatch('string_agg', 'dpc_learning')(expression, delimiter, order_by)) }}
{%- endmacro %}

{% macro default__string_agg(expression, delimiter, order_by) -%}
    string_agg({{ expression }}, '{{ delimiter | replace("'", "''") }}' order by {{ order_by }})
{%- endmacro %}

{% macro redshift__string_agg(expression, delimiter, order_by) -%}
    listagg({{ expression }}, '{{ delimiter | replace("'", "''") }}') within group (order by {{ order_by }})
{%- endmacro %}

{#- Trino: array_agg skips nothing, array_join skips nulls; an empty group gives null like the others -#}
{% macro athena__string_agg(expression, delimiter, order_by) -%}
    nullif(array_join(array_agg({{ expression }} order by {{ order_by }}), '{{ delimiter | replace("'", "''") }}'), '')
{%- endmacro %}
