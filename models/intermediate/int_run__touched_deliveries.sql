{#-
  The deliveries (facility × month) this run recomputes: those of var deliveries, or every delivery ever
  loaded when the var is unset or the run is a full refresh. Rebuilt on every run; the publish step reads it
  (with int_run__touched_stays and int_run__touched_kpi_months) to copy exactly what the run changed into mart.
-#}
{{ config(dist='all') -}}

with load_history as (
    select * from {{ source('dpc_dq', 'load_history') }}
),

final as (
    select distinct
        facility_code,
        yyyymm
    from load_history
    {%- if incremental_scope() == 'deliveries' %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
)

select * from final
