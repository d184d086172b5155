{#- What fee-for-service would have billed, per stay, from the EF item rows (出来高実績点数 × 行為回数). -#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
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
