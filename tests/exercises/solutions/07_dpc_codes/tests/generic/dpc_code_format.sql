{#- Exercise 7 (reference solution): rows whose value is not a 14-character DPC code (2 digits, then 12 of [0-9x]). -#}
{% test dpc_code_format(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not regexp_matches({{ column_name }}, '^[0-9]{2}[0-9x]{12}$')
{% endtest %}
