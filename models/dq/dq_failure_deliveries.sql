{#-
  Which deliveries each failing error-severity check blames (docs/decisions/0028): one row per failing check and
  located key (facility, delivery month, stay), appended by the on-run-end hook dq_record_blame; a row without a
  facility marks a check that blames no delivery and blocks every publication. full_refresh=false keeps the history.
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
        cast(null as {{ dbt.type_string() }}) as facility_code,
        cast(null as {{ dbt.type_int() }}) as yyyymm,
        cast(null as {{ dbt.type_string() }}) as stay_id,
        cast(null as {{ dbt.type_string() }}) as located_by
)

select * from final
where 1 = 0
