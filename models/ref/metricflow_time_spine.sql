{#-
  The day calendar MetricFlow needs for the semantic layer (dbt 1.11 `time_spine` config in _ref__models.yml):
  one row per day from 2003-04-01 (DPC's first fiscal year) to 2040-03-31. Reference data, so it lives in
  `ref` beside the code masters, not in the published mart. Portable: five digit tables cross-joined give the
  day numbers; dbt.dateadd is dbt's own per-engine macro.
-#}
{{ config(schema='ref', materialized='table') }}

with digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

day_numbers as (
    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
),

days as (
    select cast({{ dbt.dateadd('day', 'day_number', "cast('2003-04-01' as date)") }} as date) as date_day
    from day_numbers
),

final as (
    select date_day
    from days
    where date_day <= cast('2040-03-31' as date)
)

select * from final
