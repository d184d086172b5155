{#- Findings per delivery, kind, reason and disposition (rows quarantined, or kept with a field nulled): what a data
    engineer reads first when a delivery has bad rows. -#}
{%- set slugs = ['ff1', 'ff4', 'h', 'efn', 'efg', 'd', 'k'] %}

with quarantined as (
    {%- for slug in slugs %}
    select
        kind,
        facility_code,
        yyyymm,
        source_file,
        reason_code,
        disposition,
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
        disposition,
        count(*) as quarantined_rows,
        min(line_number) as first_line_number
    from quarantined
    group by kind, facility_code, yyyymm, source_file, reason_code, disposition
)

select * from final
