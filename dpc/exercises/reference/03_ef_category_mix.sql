-- Hidden reference of exercise 3.
with per_category as (
    select
        stay_id,
        data_category,
        count(*) filter (where is_act_row) as act_count,
        sum(case when not is_act_row then coalesce(ffs_points, 0) * coalesce(act_count, 1) else 0 end) as ffs_points
    from stage.stg_dpc__efn
    group by all
)

select
    p.stay_id,
    p.data_category,
    c.name_ja as category_name_ja,
    p.act_count,
    cast(p.ffs_points as double) as ffs_points,
    cast(p.ffs_points as double) / nullif(sum(p.ffs_points) over (partition by p.stay_id), 0) as share_of_stay
from per_category as p
left join ref.ref_data_category as c on p.data_category = c.code
