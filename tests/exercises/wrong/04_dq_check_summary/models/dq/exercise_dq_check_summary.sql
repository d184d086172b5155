{#- Exercise 4, deliberately wrong: counts unit tests among the data tests. -#}
with results as (
    select * from {{ ref('dq_results') }}
),

latest_run as (
    select run_id
    from results
    order by checked_at desc
    limit 1
),

final as (
    select
        results.model_name,
        count(*) as data_tests,
        sum(case when results.check_type = 'unit_test' then 1 else 0 end) as unit_tests,
        sum(case when results.status = 'pass' then 1 else 0 end) as passed,
        sum(case when results.status <> 'pass' then 1 else 0 end) as not_passed,
        coalesce(sum(results.failing_rows), 0) as failing_rows
    from results
    inner join latest_run
        on results.run_id = latest_run.run_id
    group by results.model_name
)

select * from final
