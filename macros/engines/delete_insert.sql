{#-
  The delete half of the `delete+insert` incremental strategy on DuckDB. dbt-duckdb 1.10 deletes a composite
  unique_key with `delete … using <tmp> where tmp.k1 = target.k1 and …`: a join of every target row against
  every temp row that shares its key. Our keys are (facility_code, yyyymm), so a one-month increment joins
  half a million new EF lines against each other's key (≈ 2.5 s for stg_dpc__efn, 1.3 s for
  fct_billing_lines in the benchmark), only to find nothing — the pre-hook `replace_touched_rows` has already
  deleted those deliveries. A semi-join on the distinct keys (what dbt's default and dbt-redshift render) reads
  the temp table once and the target's key columns once (≈ 0.01 s). Same rows deleted, same insert.
  Dispatched by dbt itself (adapter.dispatch('get_delete_insert_merge_sql', 'dbt')): the root project's
  `duckdb__` macro wins over the adapter's. Redshift keeps dbt-redshift's (already a semi-join); Athena uses
  merge (DECISIONS item 11).
-#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- if unique_key -%}
        {%- set keys = [unique_key] if unique_key is string else unique_key -%}
        {%- set key_csv = keys | join(', ') -%}
    delete from {{ target }}
    where ({{ key_csv }}) in (
        select distinct {{ key_csv }}
        from {{ source }}
    )
    {%- for predicate in incremental_predicates or [] %}
        and {{ predicate }}
    {%- endfor %};
    {% endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
