{#-
  What an incremental run recomputes (docs/decisions/0001 and 0005). The pipeline passes the deliveries it
  loaded as a dbt var:

      dbt build --vars '{"deliveries": [{"facility_code": "131000017", "yyyymm": 202406}]}'

  - var deliveries unset (null): every delivery — an incremental run then recomputes everything through
    the incremental path (correct, as slow as a full build); this is what a plain `dbt build` does;
  - an empty list: nothing (tests still run);
  - a list: exactly those facility-months in row-level models, and in stay-level and KPI models every stay
    and KPI month they change (int_run__touched_stays, int_run__touched_kpi_months).
  The same JSON list in the environment variable DPC_DELIVERIES (what `dpc run` uses) has the same effect when
  the var is unset; the var wins when both are given.
  Values are validated before they reach SQL (a facility code is 9 digits, a month is yyyymm).
-#}

{#- The validated deliveries: a list of {'facility_code': str, 'yyyymm': int}, or none for "every delivery". -#}
{% macro incremental_deliveries() -%}
    {%- set raw = var('deliveries', none) -%}
    {#- The pipeline passes its list in DPC_DELIVERIES instead: read only while executing, so the value is not
        recorded at parse time and a new list does not force the full re-parse a changed var does (≈ 6 s). -#}
    {%- if (raw is none or raw == '') and execute -%}
        {%- set raw = env_var('DPC_DELIVERIES', '') -%}
    {%- endif -%}
    {%- if raw is none or raw == '' -%}{{ return(none) }}{%- endif -%}
    {%- if raw is string -%}{%- set raw = fromjson(raw) -%}{%- endif -%}
    {%- set seen = [] -%}
    {%- set out = [] -%}
    {%- for item in raw -%}
        {%- set facility_code = item['facility_code'] | string -%}
        {%- set yyyymm = item['yyyymm'] | string -%}
        {%- if not modules.re.fullmatch('[0-9]{9}', facility_code) -%}
            {{ exceptions.raise_compiler_error("var deliveries: facility_code must be 9 digits, got " ~ facility_code) }}
        {%- endif -%}
        {%- if not modules.re.fullmatch('(19|20|21)[0-9]{2}(0[1-9]|1[0-2])', yyyymm) -%}
            {{ exceptions.raise_compiler_error("var deliveries: yyyymm must be a month such as 202404, got " ~ yyyymm) }}
        {%- endif -%}
        {%- set key = facility_code ~ ':' ~ yyyymm -%}
        {%- if key not in seen -%}
            {%- do seen.append(key) -%}
            {%- do out.append({'facility_code': facility_code, 'yyyymm': yyyymm | int}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | sort(attribute='yyyymm')) }}
{%- endmacro %}


{#-
  SQL predicate "this row belongs to one of the run's deliveries", with literal values so that engines
  prune partitions (Athena) and zone maps (Redshift): grouped by month,
      (yyyymm = 202406 and facility_code in ('131000017', '271000023')) or (…)
  'every delivery' renders 1 = 1, an empty list 1 = 0.
-#}
{% macro delivery_predicate(facility_column='facility_code', yyyymm_column='yyyymm') -%}
    {%- set deliveries = incremental_deliveries() -%}
    {%- if deliveries is none -%}
        1 = 1
    {%- elif deliveries | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set clauses = [] -%}
        {%- for yyyymm, items in deliveries | groupby('yyyymm') -%}
            {%- set codes = [] -%}
            {%- for item in items -%}{%- do codes.append("'" ~ item['facility_code'] ~ "'") -%}{%- endfor -%}
            {%- do clauses.append('(' ~ yyyymm_column ~ ' = ' ~ yyyymm ~ ' and ' ~ facility_column ~ ' in (' ~ codes | join(', ') ~ '))') -%}
        {%- endfor -%}
        ({{ clauses | join(' or ') }})
    {%- endif -%}
{%- endmacro %}


{#- Is this run scoped to the var's deliveries ('deliveries') or to everything ('all')? -#}
{% macro incremental_scope() -%}
    {%- if flags.FULL_REFRESH or incremental_deliveries() is none -%}
        {{ return('all') }}
    {%- else -%}
        {{ return('deliveries') }}
    {%- endif -%}
{%- endmacro %}
