{#- What fee-for-service would have billed, per stay, from the EF item rows (出来高実績点数 × 行為回数). -#}
with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
),

final as (
    select
        stay_id,
        sum(case when not is_act_row then coalesce(ffs_points, 0) * coalesce(act_count, 1) else 0 end) as ef_ffs_points,
        sum(case when is_act_row then 1 else 0 end) as ef_act_count,
        count(*) as ef_line_count
    from ef_lines
    group by stay_id
)

select * from final
