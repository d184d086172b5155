{#-
  The reference of the DPC indicators, one row per revision × DPC code of the ministry's 診断群分類点数表
  (seed ref_dpc_code, generated from reference/masters/ by `python -m dpc.seeds`). The national figures the
  ministry's indices use are not public per code, so each has a named STAND-IN (docs/indicators.md):
    national_mean_los_stand_in                = 入院日Ⅱ (period_2_days): the national mean LOS the ministry
                                                rounded to whole days when it set the table
    national_mean_points_per_stay_stand_in    = the table's per-diem points summed over days 1 … 入院日Ⅱ
                                                = period_1_points × period_1_days
                                                  + period_2_points × (period_2_days − period_1_days)
                                                (a stand-in for the national mean 包括範囲出来高点数 per stay)
    revision_mean_points_per_stay_stand_in    = the mean of that stand-in over the revision's 包括 codes, each
                                                code counted once (the national case counts are not public);
                                                mdc_mean_points_per_stay_stand_in: over the MDC's 包括 codes
    relative_weight (mdc_relative_weight)     = the code's stand-in ÷ the revision's (the MDC's) mean
  Only 包括 codes (is_bundled) have periods, points and stand-ins; 出来高 codes count in coverage only.
-#}
with dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

stand_ins as (
    select
        revision,
        lower(dpc_code) as dpc_code,
        dpc6,
        mdc_code,
        is_bundled,
        valid_from,
        valid_to,
        period_1_days,
        period_2_days,
        period_3_days,
        period_1_points,
        period_2_points,
        period_3_points,
        case when is_bundled then period_2_days end as national_mean_los_stand_in,
        case
            when is_bundled
                then cast(period_1_points as {{ type_double() }}) * period_1_days
                    + cast(coalesce(period_2_points, period_1_points) as {{ type_double() }})
                    * (period_2_days - period_1_days)
        end as national_mean_points_per_stay_stand_in
    from dpc_codes
),

weighted as (
    select
        *,
        count(*) over (partition by revision) as revision_codes,
        sum(case when is_bundled then 1 else 0 end) over (partition by revision) as revision_bundled_codes,
        avg(national_mean_points_per_stay_stand_in) over (partition by revision)
            as revision_mean_points_per_stay_stand_in,
        count(*) over (partition by revision, mdc_code) as mdc_codes,
        avg(national_mean_points_per_stay_stand_in) over (partition by revision, mdc_code)
            as mdc_mean_points_per_stay_stand_in
    from stand_ins
),

final as (
    select
        *,
        {{ indicator_ratio('national_mean_points_per_stay_stand_in', 'revision_mean_points_per_stay_stand_in') }}
            as relative_weight,
        {{ indicator_ratio('national_mean_points_per_stay_stand_in', 'mdc_mean_points_per_stay_stand_in') }}
            as mdc_relative_weight
    from weighted
)

select * from final
