{#-
  Not run by dbt build: compiled by the offline proof (tests/python/test_engines.py) so that the statements
  the incremental pre-hooks execute are parsed in each engine's dialect like the models are. For every
  model whose pre-hook calls replace_touched_rows(…), the same macro renders the same DELETE for the model's
  relation, with the arguments read from the hook itself.
-#}
-- depends_on: {{ ref('int_run__touched_stays') }}
-- depends_on: {{ ref('int_run__touched_kpi_months') }}
{%- if execute %}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | sort(attribute='name') %}
        {%- for hook in node.config.get('pre-hook', []) %}
            {%- set call = modules.re.search('replace_touched_rows[(]([^)]*)[)]', hook.sql) %}
            {%- if call %}
                {%- set args = call.group(1).replace("'", '').replace('"', '').split(',') | map('trim') | list %}
                {%- set relation = api.Relation.create(
                    database=node.database, schema=node.schema, identifier=node.alias
                ) %}
{{ replace_touched_rows(args[0], args[1] if args | length > 1 else none, relation) }};
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endif %}
