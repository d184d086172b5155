{#-
  History of every data-quality result (one row per test per run). The table is defined here and
  appended to by the on-run-end hook dq_record_results; full_refresh=false keeps the history.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}

with final as (
    select
        cast(null as {{ dbt.type_string() }}) as run_id,
        cast(null as {{ dbt.type_string() }}) as node_id,
        cast(null as {{ dbt.type_string() }}) as check_name,
        cast(null as {{ dbt.type_string() }}) as check_type,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_string() }}) as severity,
        cast(null as {{ dbt.type_bigint() }}) as failing_rows,
        cast(null as {{ dbt.type_string() }}) as message,
        cast(null as {{ dbt.type_string() }}) as target_name,
        cast(null as {{ dbt.type_timestamp() }}) as checked_at
)

select * from final
where 1 = 0
