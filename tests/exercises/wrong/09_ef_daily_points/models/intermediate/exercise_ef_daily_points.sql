{#- Exercise 9, deliberately wrong: `>` misses a corrected re-delivery of the latest month. -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'service_date'],
    )
}}

with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
    {% if is_incremental() %}
    where yyyymm > (select max(yyyymm) from {{ this }})
    {% endif %}
),

final as (
    select
        facility_code,
        service_date,
        max(yyyymm) as yyyymm,
        count(*) as ef_lines,
        sum(case when is_act_row then 1 else 0 end) as act_rows,
        cast(sum(case when not is_act_row then coalesce(ffs_points, 0) * coalesce(act_count, 1) else 0 end)
            as {{ type_double() }}) as ffs_points
    from ef_lines
    group by facility_code, service_date
)

select * from final
