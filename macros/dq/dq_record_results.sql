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


{#-
  Which deliveries each failing error-severity check blames (docs/decisions/0028): one row per failing check and
  key it located, appended to dq.dq_failure_deliveries. Runs on-run-end after dq_record_results, only for checks
  that failed, so a passing run costs nothing; it runs its own statements and returns no SQL. The keys come from
  the check's own failing rows when they carry facility_code (with yyyymm and stay_id when they have them); a
  column test whose failing rows carry only the tested value (unique, accepted_values, relationships, not_null,
  not_null_columns) is located in the tested relation. A check on a seed, or one whose rows cannot be located,
  gets one row with no facility: it blocks every publication. The DQ step (dpc/steps/dq.py) turns the keys into
  the pending deliveries to hold back.
-#}
{% macro dq_record_blame(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'test', 'run') -%}{{ return('') }}{%- endif -%}
    {%- set statements = [] -%}
    {%- for result in results if result.node.resource_type == 'test' and (result.status | string) == 'fail' -%}
        {%- set node = result.node -%}
        {%- if (node.config.severity or 'error') | lower == 'error' -%}
            {%- set located = dq_blame_select(node) -%}
            {%- set prefix = 'select ' ~ dq_sql_string(invocation_id) ~ ', ' ~ dq_sql_string(node.unique_id) ~ ', '
                ~ dq_sql_string(node.name) ~ ', ' -%}
            {%- if located.sql -%}
                {%- do statements.append(prefix ~ "blamed.facility_code, blamed.yyyymm, blamed.stay_id, "
                    ~ dq_sql_string(located.by) ~ " from (" ~ located.sql ~ ") as blamed") -%}
            {%- else -%}
                {%- do statements.append(prefix ~ "cast(null as " ~ dbt.type_string() ~ "), cast(null as "
                    ~ dbt.type_int() ~ "), cast(null as " ~ dbt.type_string() ~ "), " ~ dq_sql_string(located.by)) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if statements | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set relation = adapter.get_relation(
        database=target.database, schema=generate_schema_name('dq', none), identifier='dq_failure_deliveries') -%}
    {#- none in a learner's sandbox (dpc/sandbox.py copies dq_results only): their checks blame nothing -#}
    {%- if relation is none -%}{{ return('') }}{%- endif -%}
    {#- Run here, in one transaction committed here: locating the rows above (get_columns_in_query …) opened a
        transaction on the hook's connection, which dbt would roll back after the hooks. -#}
    {%- for statement in statements -%}
        {%- do run_query('insert into ' ~ relation
            ~ ' (run_id, node_id, check_name, facility_code, yyyymm, stay_id, located_by) ' ~ statement) -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro %}


{#- {sql, by}: a query of the distinct (facility_code, yyyymm, stay_id) a failing check blames, or sql none with the
    reason it blames no delivery (seed, unattributable). -#}
{% macro dq_blame_select(node) -%}
    {%- set attached = node.attached_node or (node.depends_on.nodes | first) or '' -%}
    {%- if attached.startswith('seed.') -%}{{ return({'sql': none, 'by': 'seed'}) }}{%- endif -%}
    {%- if not node.compiled_code -%}{{ return({'sql': none, 'by': 'unattributable'}) }}{%- endif -%}
    {%- set failing_columns = get_columns_in_query(node.compiled_code) | map('lower') | list -%}
    {%- if 'facility_code' in failing_columns -%}
        {{ return({'sql': dq_blame_keys('failing', failing_columns, '(' ~ node.compiled_code ~ ')', '1 = 1'),
                   'by': 'failing_rows'}) }}
    {%- endif -%}
    {#- a column test: find its failing values in the tested relation -#}
    {%- set tested = graph.nodes.get(attached) or graph.sources.get(attached) if attached else none -%}
    {%- set test_name = node.test_metadata.name if node.test_metadata else none -%}
    {%- set kwargs = (node.test_metadata.kwargs if node.test_metadata else none) or {} -%}
    {%- set column = node.column_name or kwargs.get('column_name') -%}
    {%- if tested is none or (not column and test_name != 'not_null_columns') -%}
        {{ return({'sql': none, 'by': 'unattributable'}) }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=tested.database, schema=tested.schema, identifier=tested.alias or tested.identifier or tested.name) -%}
    {%- if relation is none -%}{{ return({'sql': none, 'by': 'unattributable'}) }}{%- endif -%}
    {%- set tested_columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if 'facility_code' not in tested_columns -%}{{ return({'sql': none, 'by': 'unattributable'}) }}{%- endif -%}
    {%- if test_name == 'not_null_columns' -%}
        {%- set nulls = [] -%}
        {%- for c in kwargs.get('columns') or [] -%}{%- do nulls.append(c ~ ' is null') -%}{%- endfor -%}
        {%- set predicate = '(' ~ (nulls | join(' or ') or '1 = 0') ~ ')' -%}
    {%- elif test_name == 'not_null' -%}
        {%- set predicate = column ~ ' is null' -%}
    {%- else -%}
        {#- unique, accepted_values, relationships: the first column of a failing row is a value of the column -#}
        {%- set predicate = column ~ ' in (select failing.' ~ failing_columns[0] ~ ' from ('
            ~ node.compiled_code ~ ') as failing)' -%}
    {%- endif -%}
    {%- if node.config.where -%}{%- set predicate = predicate ~ ' and (' ~ node.config.where ~ ')' -%}{%- endif -%}
    {{ return({'sql': dq_blame_keys('tested', tested_columns, relation, predicate), 'by': 'tested_rows'}) }}
{%- endmacro %}


{% macro dq_blame_keys(alias, columns, from, predicate) -%}
    select distinct
        cast({{ alias }}.facility_code as {{ dbt.type_string() }}) as facility_code,
        {{ 'cast(' ~ alias ~ '.yyyymm as ' ~ dbt.type_int() ~ ')' if 'yyyymm' in columns else 'cast(null as ' ~ dbt.type_int() ~ ')' }} as yyyymm,
        {{ 'cast(' ~ alias ~ '.stay_id as ' ~ dbt.type_string() ~ ')' if 'stay_id' in columns else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as stay_id
    from {{ from }} as {{ alias }}
    where {{ predicate }}
{%- endmacro %}
