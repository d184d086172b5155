{#-
  Helpers of the DPC indicators (models/intermediate/indicators, models/mart/indicators).
  indicator_ratio(): a ÷ b in double precision, null when b is 0 or null. Redshift (and Trino on Athena) divide
  integers as integers, so both sides are cast before dividing.
-#}
{% macro indicator_ratio(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif(cast({{ denominator }} as {{ type_double() }}), 0)
{%- endmacro %}

{#- The mean of a numeric expression in double precision (Redshift's avg of integers is an integer). -#}
{% macro indicator_mean(expression) -%}
    avg(cast({{ expression }} as {{ type_double() }}))
{%- endmacro %}
