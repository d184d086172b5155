{#-
  Incremental models replace what the run touched: the pre-hook deletes the touched rows, the model's
  incremental branch selects exactly the same keys again, and the insert puts them back. Deleting first
  (rather than relying only on delete+insert, whose delete sees only keys that come back) is what removes
  rows a corrected re-delivery no longer has — a stay dropped from a delivery, a facility-month whose file
  kind is now empty. On Athena it is the only way: Iceberg tables take append or merge, never
  insert_overwrite, and merge cannot remove rows (docs/decisions/0011).

  Scopes (the same predicate serves the delete and the model's filter):
  - 'deliveries': the run's facility-months, as literals (partition pruning) — row-level models;
  - 'stays':      every stay the run touched (int_run__touched_stays), by `column` (default stay_id);
  - 'kpi_months': every facility × discharge month the run touched (int_run__touched_kpi_months), by
                  facility_code and `column` (default discharge_yyyymm). Facilities and months are matched
                  separately (a superset of the touched pairs): unchanged cells are recomputed identically;
  - 'kpi_facilities': every month of the facilities the run touched (int_run__touched_kpi_months) — published
                  KPI tables whose complementary suppression depends on the facility's other months
                  (docs/decisions/0020).
  A model using 'stays', 'kpi_months' or 'kpi_facilities' declares `-- depends_on: {{ ref('int_run__touched_…') }}`.
-#}
{% macro touched_predicate(scope, column=none) -%}
    {%- if scope == 'deliveries' -%}
        {{ delivery_predicate('facility_code', column or 'yyyymm') }}
    {%- elif scope == 'stays' -%}
        {{ column or 'stay_id' }} in (select touched.stay_id from {{ ref('int_run__touched_stays') }} as touched)
    {%- elif scope == 'kpi_months' -%}
        {%- set touched = ref('int_run__touched_kpi_months') -%}
        facility_code in (select touched.facility_code from {{ touched }} as touched)
        and {{ column or 'discharge_yyyymm' }} in (select touched.discharge_yyyymm from {{ touched }} as touched)
    {%- elif scope == 'kpi_facilities' -%}
        facility_code in (select touched.facility_code from {{ ref('int_run__touched_kpi_months') }} as touched)
    {%- else -%}
        {{ exceptions.raise_compiler_error("touched_predicate: unknown scope " ~ scope ~ " (deliveries, stays, kpi_months, kpi_facilities)") }}
    {%- endif -%}
{%- endmacro %}


{#-
  A condition to AND into a WHERE clause: the run's touched rows when the model runs incrementally, every row
  (1 = 1) in a full build. One expression in both renderings, so the model's SQL has the same layout whichever
  branch dbt renders, and sqlfluff gives the same answer before and after the tables exist (docs/decisions/0038).
      where is_discharged
          and {{ touched_filter('stays') }}
-#}
{% macro touched_filter(scope, column=none) -%}
    {%- if is_incremental() -%}
        {{ touched_predicate(scope, column) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{#-
  The pre-hook of every incremental model: `pre_hook="{{ replace_touched_rows('stays') }}"`. Renders nothing
  unless the model runs incrementally. `relation` lets the offline proof (analyses/incremental_statements.sql)
  render the same statement for a model without running it.
-#}
{% macro replace_touched_rows(scope, column=none, relation=none) -%}
    {%- if relation is none -%}
        {%- if not is_incremental() -%}{{ return('') }}{%- endif -%}
        {%- set relation = this -%}
    {%- endif -%}
    delete from {{ relation }} where {{ touched_predicate(scope, column) }}
{%- endmacro %}
