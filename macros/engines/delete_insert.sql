{#-
  The delete half of the `delete+insert` incremental strategy on DuckDB. dbt-duckdb 1.10 deletes a composite
  unique_key with `delete … using <tmp> where tmp.k1 = target.k1 and …`: a join of every target row with every
  temp row that shares its key. After our pre-hook (`replace_touched_rows`) no key matches and it is cheap, but
  in any model without the hook it joins each of a month's half a million EF lines with each other (measured:
  still running after 2 minutes, where this takes 0.04 s). A semi-join on the distinct keys, as dbt's default
  and dbt-redshift render it, reads the temp table once and the target's key columns once. Same rows deleted,
  same insert.
  Dispatched by dbt itself (adapter.dispatch('get_delete_insert_merge_sql', 'dbt')): the root project's
  `duckdb__` macro wins over the adapter's. Redshift keeps dbt-redshift's (already a semi-join); Athena appends
  after the pre-hook (docs/decisions/0011).
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
