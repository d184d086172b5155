{#-
  Per discharged stay, whether a readmission followed within each window (from the one pairs model,
  docs/decisions/0006). Each rate is named for what it counts:
  - is_unplanned_readmitted_4w: the DPC measure 計画外の再入院（4週間以内）: a later admission into the
    一般病棟グループ within 4 weeks whose 様式1 A000080 says 2 計画外 (p23, p57); its population
    (is_general_ward_discharge) is the discharged stays that had a 一般病棟グループ period;
  - is_readmitted_30d and is_readmitted_4w: any cause, any ward (plain rates, not DPC definitions);
  - is_readmitted_6w_same_dpc6: the older published 6-week same-DPC6 measure.
-#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        dist='stay_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with stays as (
    select
        stay_id,
        coalesce(dpc_los_days, 0) > 0 as is_general_ward_discharge
    from {{ ref('int_stays__assembled') }}
    where is_discharged
        and {{ touched_filter('stays') }}
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
            as readmitted_6w_same_dpc6,
        max(
            case
                when gap_days <= {{ var('readmission_days_dpc_4_weeks') }} and is_general_ward_pair
                    and readmission_type_code = '2' then 1
                else 0
            end
        ) as unplanned_readmitted_4w
    from readmission_pairs
    group by index_stay_id
),

final as (
    select
        stays.stay_id,
        coalesce(windows.readmitted_30d, 0) = 1 as is_readmitted_30d,
        coalesce(windows.readmitted_4w, 0) = 1 as is_readmitted_4w,
        coalesce(windows.readmitted_6w_same_dpc6, 0) = 1 as is_readmitted_6w_same_dpc6,
        stays.is_general_ward_discharge,
        coalesce(windows.unplanned_readmitted_4w, 0) = 1 and stays.is_general_ward_discharge
            as is_unplanned_readmitted_4w
    from stays
    left join windows
        on stays.stay_id = windows.index_stay_id
)

select * from final
