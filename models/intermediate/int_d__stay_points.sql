{#-
  Billed points per stay from the D file as the receipt computes them (docs/decisions/0007), summed over every
  delivery (each delivery carries only its own month's service dates, so months add up without overlap):
    bundled_points    = Σ over claim months of round(Σ the month's 93 行為点数 × 行為回数 × 医療機関別係数): the
                        coefficient applies to the month's sum and the receipt rounds that sum, not each day
                        (p194 D-11; p214–p215: June 5,506 × 1.1234 → 6,185, July (19,474 + 2,057) × 1.1234 → 24,188)
    adjustment_points = Σ 94 rows, already after the coefficient, possibly negative (p194 D-11; p215 +66)
    ffs_billed_points = Σ 行為点数 × 行為回数 of every other point row; 行為薬剤料/行為材料料 are re-statements
                        inside 行為点数 and never added (p197, p199)
    billed_points     = bundled_points + adjustment_points + ffs_billed_points (points only)
    meal_yen          = Σ 行為点数 × 行為回数 of the rows in yen (円・点区分 1: meals, p194 D-14), never points
  The stay's DPC code is that of its latest bundled (93) row.
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

with d_rows as (
    select * from {{ ref('stg_dpc__d') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

-- one receipt's bundled part: a claim month (delivery) × coefficient (D-30 is the coefficient of the 診療年月, p199)
bundled_months as (
    select
        stay_id,
        yyyymm,
        hospital_coefficient,
        sum(row_points) as bundled_base_points,
        {{ apply_hospital_coefficient('sum(row_points)', 'hospital_coefficient') }} as bundled_points
    from d_rows
    where data_category = '93'
    group by stay_id, yyyymm, hospital_coefficient
),

bundled as (
    select
        stay_id,
        sum(bundled_base_points) as bundled_base_points,
        sum(bundled_points) as bundled_points
    from bundled_months
    group by stay_id
),

rows_total as (
    select
        stay_id,
        -- 94 調整点数 (p194) corrects months billed before: it may be negative and, for a stay whose earlier
        -- months are not in the data, larger than the months that are
        sum(case when data_category = '94' then row_points else 0 end) as adjustment_points,
        sum(case when data_category not in ('93', '94') then row_points else 0 end) as ffs_billed_points,
        sum(yen_amount) as meal_yen,
        sum(case when is_bundled then act_count else 0 end) as bundled_days,
        count(*) as d_row_count
    from d_rows
    group by stay_id
),

totals as (
    select
        rows_total.stay_id,
        cast(coalesce(bundled.bundled_base_points, 0) as {{ type_double() }}) as bundled_base_points,
        cast(coalesce(bundled.bundled_points, 0) as {{ type_double() }}) as bundled_points,
        cast(rows_total.adjustment_points as {{ type_double() }}) as adjustment_points,
        cast(rows_total.ffs_billed_points as {{ type_double() }}) as ffs_billed_points,
        cast(coalesce(bundled.bundled_points, 0) as {{ type_double() }})
        + cast(rows_total.adjustment_points as {{ type_double() }})
        + cast(rows_total.ffs_billed_points as {{ type_double() }}) as billed_points,
        cast(rows_total.meal_yen as {{ type_double() }}) as meal_yen,
        rows_total.bundled_days,
        rows_total.d_row_count
    from rows_total
    left join bundled
        on rows_total.stay_id = bundled.stay_id
),

ranked_codes as (
    select
        stay_id,
        dpc_code,
        hospital_coefficient,
        row_number() over (
            partition by stay_id
            order by yyyymm desc, billing_end_date desc, line_number desc
        ) as recency
    from d_rows
    where is_bundled and dpc_code is not null
),

final as (
    select
        totals.stay_id,
        ranked_codes.dpc_code,
        ranked_codes.hospital_coefficient,
        totals.bundled_base_points,
        totals.bundled_points,
        totals.adjustment_points,
        totals.ffs_billed_points,
        totals.billed_points,
        totals.meal_yen,
        totals.bundled_days,
        totals.d_row_count
    from totals
    left join ranked_codes
        on totals.stay_id = ranked_codes.stay_id
        and ranked_codes.recency = 1
)

select * from final
