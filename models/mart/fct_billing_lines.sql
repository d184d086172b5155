{#-
  One row per inpatient EF line (E rows = the act, F rows = its items). ffs_points is the line's
  fee-for-service value (出来高実績点数 × 行為回数) on item rows and 0 on act rows, so that summing it over
  any set of lines never counts an act twice; act_total_points carries the act's own total on act rows.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select
        billing_line_id,
        stay_id,
        facility_code,
        yyyymm,
        service_date,
        data_category,
        sequence_no,
        detail_no,
        is_act_row,
        receipt_code,
        interpretation_no,
        item_name,
        quantity,
        unit_code,
        act_count,
        case when is_act_row then 0 else coalesce(ffs_points, 0) * coalesce(act_count, 1) end as ffs_points,
        case
            when is_act_row
                then (coalesce(act_points, 0) + coalesce(act_drug_points, 0) + coalesce(act_material_points, 0))
                    * coalesce(act_count, 1)
        end as act_total_points,
        clinical_dept,
        ward_type
    from ef_lines
)

select * from final
