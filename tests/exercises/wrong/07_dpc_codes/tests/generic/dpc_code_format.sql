{#- Exercise 7, deliberately wrong: checks the length only. -#}
{% test dpc_code_format(model, column_name) %}
select {{ column_name }}
from {{ model }}
where length({{ column_name }}) <> 14
{% endtest %}
