{#- Per discharged stay, whether a readmission followed within each published window (from the one pairs model). -#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with stays as (
    select stay_id from {{ ref('int_stays__assembled') }}
    where is_discharged
    {%- if is_incremental() %}
        and {{ touched_predicate('stays') }}
    {%- endif %}
),

readmission_pairs as (
    select * from {{ ref('int_stays__readmission_pairs') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays', 'index_stay_id') }}
    {%- endif %}
),

windows as (
    select
        index_stay_id,
        max(case when gap_days <= {{ var('readmission_days_all_cause') }} then 1 else 0 end) as readmitted_30d,
        max(case when gap_days <= {{ var('readmission_days_dpc_4_weeks') }} then 1 else 0 end) as readmitted_4w,
        max(case when gap_days <= {{ var('readmission_days_dpc_6_weeks') }} and is_same_dpc6 then 1 else 0 end)
            as readmitted_6w_same_dpc6
    from readmission_pairs
    group by index_stay_id
),

final as (
    select
        stays.stay_id,
        coalesce(windows.readmitted_30d, 0) = 1 as is_readmitted_30d,
        coalesce(windows.readmitted_4w, 0) = 1 as is_readmitted_4w,
        coalesce(windows.readmitted_6w_same_dpc6, 0) = 1 as is_readmitted_6w_same_dpc6
    from stays
    left join windows
        on stays.stay_id = windows.index_stay_id
)

select * from final
