{#-
  'yyyymmdd' text → date. '00000000' (a stay not yet discharged), a date with an unknown day (an outpatient SY
  row's visit month yyyymm00, spec p201; a partly unknown birth date), empty and null → null. The normaliser has
  already rejected impossible dates, so a plain parse is safe here.
-#}
{% macro parse_yyyymmdd(column) -%}
    {{ return(adapter.dispatch('parse_yyyymmdd', 'dpc_learning')(column)) }}
{%- endmacro %}

{% macro default__parse_yyyymmdd(column) -%}
    case when {{ column }} is null or {{ column }} in ('', '00000000') or substring({{ column }}, 7, 2) = '00' then null
         else to_date({{ column }}, 'YYYYMMDD') end
{%- endmacro %}

{% macro duckdb__parse_yyyymmdd(column) -%}
    case when {{ column }} is null or {{ column }} in ('', '00000000') or substring({{ column }}, 7, 2) = '00' then null
         else cast(strptime({{ column }}, '%Y%m%d') as date) end
{%- endmacro %}

{% macro athena__parse_yyyymmdd(column) -%}
    case when {{ column }} is null or {{ column }} in ('', '00000000') or substring({{ column }}, 7, 2) = '00' then null
         else cast(date_parse({{ column }}, '%Y%m%d') as date) end
{%- endmacro %}
