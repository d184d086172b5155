{#- Exercise 3, deliberately wrong: forgets 行為回数 (act_count) when summing item points. -#}
with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
),

categories as (
    select * from {{ ref('ref_data_category') }}
),

per_category as (
    select
        stay_id,
        data_category,
        sum(case when is_act_row then 1 else 0 end) as act_count,
        sum(case when not is_act_row then coalesce(ffs_points, 0) else 0 end) as ffs_points
    from ef_lines
    group by stay_id, data_category
),

final as (
    select
        per_category.stay_id,
        per_category.data_category,
        categories.name_ja as category_name_ja,
        per_category.act_count,
        cast(per_category.ffs_points as {{ type_double() }}) as ffs_points,
        cast(per_category.ffs_points as {{ type_double() }})
        / nullif(cast(sum(per_category.ffs_points) over (partition by per_category.stay_id) as {{ type_double() }}), 0)
            as share_of_stay
    from per_category
    left join categories
        on per_category.data_category = categories.code
)

select * from final
