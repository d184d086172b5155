{#-
  What a data test reads (dbt's get_where_subquery, overridden for every engine). As dbt's: the test's `where`
  config, if any. In addition, a column test on a row-level relation — a model or source with
  meta: {test_scope: run_deliveries} (stage models in dbt_project.yml, fct_billing_lines in its config, the raw and quarantine
  sources in models/raw) — reads only the rows of the deliveries this run recomputed (delivery_predicate,
  macros/incremental/deliveries.sql) when the run is scoped to deliveries. Every other delivery's rows are the
  ones the run that built them tested, so adding a month does not re-check years of billing lines. A full build
  ("every delivery") and --full-refresh test every row.
  Only checks of single rows qualify — column tests and not_null_columns: on a row-level relation each row
  belongs to one delivery, so a check of a row (not_null, accepted_values, relationships, an expression) or of a
  key that contains the delivery (billing_line_id) loses nothing. Other table-level tests (row counts against
  the load history, unique combinations) read everything.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if tested_relation_scope() == 'run_deliveries' and incremental_scope() == 'deliveries' -%}
        {%- do conditions.append(delivery_predicate()) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The test_scope meta of the model or source a row check reads ('' for other tests and singular tests). -#}
{% macro tested_relation_scope() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set generic = (model.get('test_metadata') or {}).get('name') -%}
    {%- if not model.get('column_name') and generic != 'not_null_columns' -%}{{ return('') }}{%- endif -%}
    {%- set tested = model.get('attached_node') or ((model.get('depends_on') or {}).get('nodes') or [none])[0] -%}
    {%- set node = graph.nodes.get(tested) or graph.sources.get(tested) if tested else none -%}
    {%- if node is none -%}{{ return('') }}{%- endif -%}
    {%- set meta = (node.get('config') or {}).get('meta') or node.get('meta') or {} -%}
    {{ return(meta.get('test_scope', '')) }}
{%- endmacro %}
