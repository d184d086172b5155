{#- Japanese fiscal year (April–March) of a date: FY2024 = 2024-04-01 … 2025-03-31. -#}
{% macro fiscal_year(date_expression) -%}
    {{ dbt.date_part('year', dbt.dateadd('month', -3, date_expression)) }}
{%- endmacro %}

{#- yyyymm integer of a date (the KPI month grain). -#}
{% macro yyyymm_of(date_expression) -%}
    ({{ dbt.date_part('year', date_expression) }} * 100 + {{ dbt.date_part('month', date_expression) }})
{%- endmacro %}
