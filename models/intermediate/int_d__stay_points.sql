{#-
  Billed points per stay from the D file, summed over every delivery (each delivery carries only its own
  month's service dates, so months add up without overlap). The stay's DPC code is that of its latest
  bundled (93) row.
-#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
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

totals as (
    select
        stay_id,
        sum(case when is_bundled then billed_points else 0 end) as bundled_points,
        sum(case when not is_bundled then billed_points else 0 end) as ffs_billed_points,
        sum(billed_points) as billed_points,
        -- 94 調整点数 (p194) corrects months billed before: it may be negative and, for a stay whose earlier
        -- months are not in the data, larger than the months that are
        sum(case when data_category = '94' then billed_points else 0 end) as adjustment_points,
        sum(case when is_bundled then act_count else 0 end) as bundled_days,
        count(*) as d_row_count
    from d_rows
    group by stay_id
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
        totals.bundled_points,
        totals.ffs_billed_points,
        totals.billed_points,
        totals.adjustment_points,
        totals.bundled_days,
        totals.d_row_count
    from totals
    left join ranked_codes
        on totals.stay_id = ranked_codes.stay_id
        and ranked_codes.recency = 1
)

select * from final
