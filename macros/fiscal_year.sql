{#- Japanese fiscal year (April–March) of a date: FY2024 = 2024-04-01 … 2025-03-31. -#}
{% macro fiscal_year(date_expression) -%}
    extract(year from {{ dbt.dateadd('month', -3, date_expression) }})
{%- endmacro %}

{#- yyyymm integer of a date (the KPI month grain). -#}
{% macro yyyymm_of(date_expression) -%}
    cast(extract(year from {{ date_expression }}) * 100 + extract(month from {{ date_expression }}) as integer)
{%- endmacro %}
