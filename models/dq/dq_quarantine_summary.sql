{#- Quarantined rows per delivery, kind and reason: what a data engineer reads first when a delivery has bad rows. -#}
{%- set slugs = ['ff1', 'efn', 'efg', 'd', 'h'] %}

with quarantined as (
    {%- for slug in slugs %}
    select
        kind,
        facility_code,
        yyyymm,
        source_file,
        reason_code,
        line_number
    from {{ source('dpc_dq', 'quarantine_' ~ slug) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        kind,
        facility_code,
        yyyymm,
        source_file,
        reason_code,
        count(*) as quarantined_rows,
        min(line_number) as first_line_number
    from quarantined
    group by kind, facility_code, yyyymm, source_file, reason_code
)

select * from final
