{#-
  Reconciliation per file kind and delivery (docs/decisions/0008): data rows delivered (title row excluded,
  from the latest load of the delivery) = rows in stage + rows quarantined. Any difference means a row
  was lost or counted twice; the test on `difference` fails the run.
-#}
{%- set kinds = {'FF1': 'ff1', 'FF4': 'ff4', 'H': 'h', 'EFn': 'efn', 'EFg': 'efg', 'D': 'd', 'K': 'k'} %}

with load_history as (
    select * from {{ source('dpc_dq', 'load_history') }}
),

-- the latest load of each delivery, whatever kinds it has: a corrected re-delivery without a kind it had before
-- empties that kind (0 rows delivered), it does not keep the earlier load's count
latest_loads as (
    select
        kind,
        facility_code,
        yyyymm,
        sum(delivered_rows) as delivered_rows
    from (
        select
            load_history.*,
            dense_rank() over (
                partition by load_history.facility_code, load_history.yyyymm
                order by load_history.loaded_at desc, load_history.load_id desc
            ) as recency
        from load_history
    ) as ranked
    where recency = 1
    group by kind, facility_code, yyyymm
),

staged as (
    {%- for kind, slug in kinds.items() %}
    select
        '{{ kind }}' as kind,
        facility_code,
        yyyymm,
        count(*) as staged_rows
    from {{ ref('stg_dpc__' ~ slug) }}
    group by facility_code, yyyymm
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

quarantined as (
    {%- for kind, slug in kinds.items() %}
    select
        '{{ kind }}' as kind,
        facility_code,
        yyyymm,
        count(*) as quarantined_rows
    from {{ source('dpc_dq', 'quarantine_' ~ slug) }}
    where disposition = 'quarantined'
    group by facility_code, yyyymm
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

deliveries as (
    {%- for part in ['latest_loads', 'staged', 'quarantined'] %}
    select
        kind,
        facility_code,
        yyyymm
    from {{ part }}
    {%- if not loop.last %}
    union
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        deliveries.kind,
        deliveries.facility_code,
        deliveries.yyyymm,
        coalesce(latest_loads.delivered_rows, 0) as delivered_rows,
        coalesce(staged.staged_rows, 0) as staged_rows,
        coalesce(quarantined.quarantined_rows, 0) as quarantined_rows,
        coalesce(latest_loads.delivered_rows, 0)
        - coalesce(staged.staged_rows, 0)
        - coalesce(quarantined.quarantined_rows, 0) as difference
    from deliveries
    left join latest_loads
        on deliveries.kind = latest_loads.kind
        and deliveries.facility_code = latest_loads.facility_code
        and deliveries.yyyymm = latest_loads.yyyymm
    left join staged
        on deliveries.kind = staged.kind
        and deliveries.facility_code = staged.facility_code
        and deliveries.yyyymm = staged.yyyymm
    left join quarantined
        on deliveries.kind = quarantined.kind
        and deliveries.facility_code = quarantined.facility_code
        and deliveries.yyyymm = quarantined.yyyymm
)

select * from final
