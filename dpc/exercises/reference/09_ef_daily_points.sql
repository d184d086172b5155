-- Hidden reference of exercise 9.
select
    facility_code,
    service_date,
    max(yyyymm) as yyyymm,
    count(*) as ef_lines,
    count(*) filter (where is_act_row) as act_rows,
    cast(sum(case when not is_act_row then coalesce(ffs_points, 0) * coalesce(act_count, 1) else 0 end) as double)
        as ffs_points
from stage.stg_dpc__efn
group by facility_code, service_date
