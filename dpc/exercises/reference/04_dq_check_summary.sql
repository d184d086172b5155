-- Hidden reference of exercise 4.
with latest_run as (
    select run_id from dq.dq_results order by checked_at desc, run_id desc limit 1
)

select
    model_name,
    count(*) filter (where check_type = 'test') as data_tests,
    count(*) filter (where check_type = 'unit_test') as unit_tests,
    count(*) filter (where status = 'pass') as passed,
    count(*) filter (where status <> 'pass') as not_passed,
    coalesce(sum(failing_rows), 0) as failing_rows
from dq.dq_results
where run_id = (select run_id from latest_run)
group by model_name
