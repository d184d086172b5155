{#-
  Persist every test result of a run into dq.dq_results (history kept across runs).
  The DQ step and the run summary read this table: each check is defined once, as a dbt test.
  Runs on-run-end of build/test; compile, docs and parse do nothing here.
-#}
{% macro dq_record_results(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'test', 'run') -%}{{ return('') }}{%- endif -%}
    {%- set rows = [] -%}
    {%- for result in results if result.node.resource_type in ('test', 'unit_test') -%}
        {%- set node = result.node -%}
        {%- set severity = (node.config.severity or 'error') | lower -%}
        {%- set attached = node.attached_node or (node.depends_on.nodes | first) or '' -%}
        {%- set failures = result.failures if result.failures is not none else 0 -%}
        {%- set message = (result.message or '') | string -%}
        {%- do rows.append([
            dq_sql_string(invocation_id),
            dq_sql_string(node.unique_id),
            dq_sql_string(node.name),
            dq_sql_string(node.resource_type),
            dq_sql_string(attached.split('.')[-1] if attached else ''),
            dq_sql_string(result.status | string),
            dq_sql_string(severity),
            failures | int,
            dq_sql_string(message[:1000]),
            dq_sql_string(target.name),
        ]) -%}
    {%- endfor -%}
    {%- if rows | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set relation = dq_results_relation() -%}
    {%- for chunk in rows | batch(500) %}
    insert into {{ relation }}
        (run_id, node_id, check_name, check_type, model_name, status, severity, failing_rows, message, target_name, checked_at)
    values
    {%- for row in chunk %}
        ({{ row | join(', ') }}, {{ dbt.current_timestamp() }}){{ ',' if not loop.last }}
    {%- endfor %};
    {%- endfor %}
{%- endmacro %}

{% macro dq_results_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=generate_schema_name('dq', none), identifier='dq_results')) }}
{%- endmacro %}

{% macro dq_sql_string(value) -%}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{%- endmacro %}
