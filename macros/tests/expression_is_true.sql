{#- Rows for which `expression` is not true (packages are not installed: the project builds offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
