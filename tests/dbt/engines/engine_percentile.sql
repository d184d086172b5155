{#-
  Pins percentile and median: continuous (interpolated) percentiles, median = the 0.5 percentile. Where the
  engine's percentile is approximate (Athena: approx_percentile returns a value of the column,
  percentile_is_exact() is false), a result between the two neighbouring values is accepted.
-#}
{{ config(tags=['engine_macros']) }}

with cases as (
    select 1 as los_days
    union all
    select 2 as los_days
    union all
    select 3 as los_days
    union all
    select 4 as los_days
    union all
    select 10 as los_days
),

results as (
    select
        {{ percentile('los_days', 0.5) }} as p50,
        {{ percentile('los_days', 0.25) }} as p25,
        {{ percentile('los_days', 0.9) }} as p90,
        {{ median('los_days') }} as median_los_days
    from cases
)

select * from results
where
    p50 != 3
    or median_los_days != 3
    or p25 < 2 or p25 > 3
    or p90 < 4 or p90 > 10
    {%- if percentile_is_exact() %}
    or p25 != 2
    or abs(p90 - 7.6) > 0.000001
    {%- endif %}
