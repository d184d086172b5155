{#-
  Disclosure control (docs/decisions/0020): a value computed from fewer than var('disclosure_min_stays')
  stays is published as null. The unsuppressed value stays in the internal int_ model.
-#}
{% macro suppress_small_cells(value, stays) -%}
    case when {{ stays }} >= {{ var('disclosure_min_stays') }} then {{ value }} end
{%- endmacro %}
