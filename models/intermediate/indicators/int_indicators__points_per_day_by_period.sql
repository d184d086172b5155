{#-
  Billed points per inpatient day by billing period (入院期間 I, II, III and beyond III) per facility ×
  fiscal year — unsuppressed (internal; the published kpi_points_per_day_by_period applies disclosure
  control). Discharged stays whose code is a 包括 code of the table in force on its D rows (is_bundled_code).
  Day n of a stay (admission day = day 1) falls in period I when n ≤ period_1_days, II when
  n ≤ period_2_days, III when n ≤ period_3_days, and beyond III (billed fee-for-service) after that.
    inpatient_days  = the stay's days in the period (from its length of stay and its code's thresholds)
    billed points   = its D rows (docs/decisions/0007) attributed by day, each row to the period of its 実施年月日:
                      93 rows too — real 93 rows all carry the 算定開始日 (DPC 適用開始日) of the whole bundled
                      stretch (p194 D-26, p215: every row 20250629), so 算定開始日 would put every day in period I.
                      The bundled part of a claim month is round(Σ 93 points × 医療機関別係数) (p214); it is shared
                      among the month's periods by cumulative rounding (period k gets round(Σ points of periods ≤ k ×
                      coefficient) − round(Σ points of periods < k × coefficient)), so the periods add up exactly to
                      the month's billed amount. 94 adjustment rows (p194, dated the discharge day, p215) count in the
                      bundled part of their 実施年月日's period; yen rows (meals) are not points and count nowhere
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
        d_rows.yyyymm,
        d_rows.hospital_coefficient,
        d_rows.data_category,
        d_rows.row_points,
        {{ dbt.datediff(
            'stays.admission_date',
            'coalesce(d_rows.service_date, d_rows.billing_start_date)',
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
        yyyymm,
        hospital_coefficient,
        data_category,
        row_points,
        case
            when day_number <= period_1_days then 1
            when day_number <= period_2_days then 2
            when day_number <= period_3_days then 3
            else 4
        end as billing_period
    from row_days
),

-- a claim month's 93 points (before the coefficient) per period
bundled_month_periods as (
    select
        stay_id,
        yyyymm,
        hospital_coefficient,
        billing_period,
        sum(row_points) as base_points
    from row_periods
    where data_category = '93'
    group by stay_id, yyyymm, hospital_coefficient, billing_period
),

bundled_cumulative as (
    select
        stay_id,
        billing_period,
        hospital_coefficient,
        sum(base_points) over (
            partition by stay_id, yyyymm, hospital_coefficient
            order by billing_period
            rows between unbounded preceding and current row
        ) as base_through,
        sum(base_points) over (
            partition by stay_id, yyyymm, hospital_coefficient
            order by billing_period
            rows between unbounded preceding and 1 preceding
        ) as base_before
    from bundled_month_periods
),

bundled_periods as (
    select
        stay_id,
        billing_period,
        cast({{ apply_hospital_coefficient('base_through', 'hospital_coefficient') }} as {{ type_double() }})
        - coalesce(
            cast({{ apply_hospital_coefficient('base_before', 'hospital_coefficient') }} as {{ type_double() }}), 0
        ) as bundled_points,
        cast(0 as {{ type_double() }}) as ffs_points
    from bundled_cumulative
),

other_periods as (
    select
        stay_id,
        billing_period,
        cast(case when data_category = '94' then row_points else 0 end as {{ type_double() }}) as bundled_points,
        cast(case when data_category = '94' then 0 else row_points end as {{ type_double() }}) as ffs_points
    from row_periods
    where data_category <> '93'
),

stay_period_points as (
    select
        stay_id,
        billing_period,
        sum(bundled_points) as bundled_points,
        sum(ffs_points) as ffs_points
    from (
        select * from bundled_periods
        union all
        select * from other_periods
    ) as period_rows
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
