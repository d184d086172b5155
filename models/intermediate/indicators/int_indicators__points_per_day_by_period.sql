{#-
  Billed points per inpatient day by billing period (入院期間 I, II, III and beyond III) per facility ×
  fiscal year — unsuppressed (internal; the published kpi_points_per_day_by_period applies disclosure
  control). Discharged stays whose code is a 包括 code of the table in force on its D rows (is_bundled_code).
  Day n of a stay (admission day = day 1) falls in period I when n ≤ period_1_days, II when
  n ≤ period_2_days, III when n ≤ period_3_days, and beyond III (billed fee-for-service) after that.
    inpatient_days  = the stay's days in the period (from its length of stay and its code's thresholds)
    billed points   = its D rows (docs/decisions/0007) attributed by day: a bundled (93) row to the period of its
                      算定開始日 (the D file starts a new 93 row at every period and month), any other row to
                      the period of its 実施年月日
    points_per_day  = Σ billed points ÷ Σ inpatient days of the period
-#}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
    where is_bundled_code
),

d_rows as (
    select * from {{ ref('stg_dpc__d') }}
),

period_days as (
    select
        stay_id,
        facility_code,
        fiscal_year,
        1 as billing_period,
        least(los_days, period_1_days) as inpatient_days
    from stays
    union all
    select
        stay_id,
        facility_code,
        fiscal_year,
        2 as billing_period,
        greatest(0, least(los_days, period_2_days) - period_1_days) as inpatient_days
    from stays
    union all
    select
        stay_id,
        facility_code,
        fiscal_year,
        3 as billing_period,
        greatest(0, least(los_days, period_3_days) - period_2_days) as inpatient_days
    from stays
    union all
    select
        stay_id,
        facility_code,
        fiscal_year,
        4 as billing_period,
        greatest(0, los_days - period_3_days) as inpatient_days
    from stays
),

row_days as (
    select
        stays.stay_id,
        d_rows.is_bundled,
        d_rows.billed_points,
        {{ dbt.datediff(
            'stays.admission_date',
            'coalesce(case when d_rows.is_bundled then d_rows.billing_start_date end, d_rows.service_date)',
            'day') }} + 1 as day_number,
        stays.period_1_days,
        stays.period_2_days,
        stays.period_3_days
    from stays
    inner join d_rows
        on stays.stay_id = d_rows.stay_id
),

row_periods as (
    select
        stay_id,
        case
            when day_number <= period_1_days then 1
            when day_number <= period_2_days then 2
            when day_number <= period_3_days then 3
            else 4
        end as billing_period,
        case when is_bundled then billed_points else 0 end as bundled_points,
        case when is_bundled then 0 else billed_points end as ffs_points
    from row_days
),

stay_period_points as (
    select
        stay_id,
        billing_period,
        sum(bundled_points) as bundled_points,
        sum(ffs_points) as ffs_points
    from row_periods
    group by stay_id, billing_period
),

stay_periods as (
    select
        period_days.facility_code,
        period_days.fiscal_year,
        period_days.billing_period,
        period_days.inpatient_days,
        coalesce(stay_period_points.bundled_points, 0) as bundled_points,
        coalesce(stay_period_points.ffs_points, 0) as ffs_points
    from period_days
    left join stay_period_points
        on period_days.stay_id = stay_period_points.stay_id
        and period_days.billing_period = stay_period_points.billing_period
    where period_days.inpatient_days > 0 or stay_period_points.stay_id is not null
),

cells as (
    select
        facility_code,
        fiscal_year,
        billing_period,
        sum(case when inpatient_days > 0 then 1 else 0 end) as stays,
        sum(inpatient_days) as inpatient_days,
        sum(bundled_points) as bundled_points,
        sum(ffs_points) as ffs_points,
        sum(bundled_points + ffs_points) as billed_points
    from stay_periods
    group by facility_code, fiscal_year, billing_period
),

final as (
    select
        {{ surrogate_key(['facility_code', 'fiscal_year', 'billing_period']) }} as kpi_id,
        facility_code,
        fiscal_year,
        billing_period,
        case billing_period when 1 then 'I' when 2 then 'II' when 3 then 'III' else 'beyond III' end
            as billing_period_name,
        stays,
        inpatient_days,
        bundled_points,
        ffs_points,
        billed_points,
        {{ indicator_ratio('billed_points', 'inpatient_days') }} as points_per_day,
        {{ indicator_ratio('bundled_points', 'inpatient_days') }} as bundled_points_per_day,
        {{ indicator_ratio('ffs_points', 'inpatient_days') }} as ffs_points_per_day
    from cells
)

select * from final
