{#-
  One row per inpatient EF line (E rows = the act, F rows = its items), with the two EF measures of
  docs/decisions/0007 at line level, so that summing either over a stay's lines gives int_efn__stay_ffs:
    act_billed_points      = as billed, on act rows: 行為点数 × 行為回数 (行為薬剤料/行為材料料 are inside 行為点数,
                             p197); 0 for an act in yen (円・点区分 1: meals, 先進医療, p185); null on item rows
    ffs_equivalent_points  = 出来高換算, on item rows: 出来高実績点数 × 行為回数 (p187, p200 EF-21), items bundled into an
                             inpatient fee included (② = 1/2, p187–p189), 持参薬 (③ ≠ 0, p191) and acts in yen 0;
                             0 on act rows, so that no act counts twice
  Row level like the stage models: its column tests read only the run's deliveries (meta test_scope); distributed
  by stay, sorted and partitioned by month where the engine has these.
-#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        meta={'test_scope': 'run_deliveries'},
        dist='stay_id',
        sort=['yyyymm', 'facility_code'],
        partitioned_by=['yyyymm'] if target.type == 'athena' else none,
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
        inpatient_fee_bundle_flag,
        brought_in_drug_flag,
        is_yen_act,
        case
            when is_act_row or is_yen_act or coalesce(brought_in_drug_flag, '0') <> '0' then 0
            else coalesce(ffs_points, 0) * coalesce(act_count, 1)
        end as ffs_equivalent_points,
        case
            when is_act_row and is_yen_act then 0
            when is_act_row then {{ d_row_points('act_points', 'act_count', "'0'") }}
        end as act_billed_points,
        clinical_dept,
        ward_type
    from ef_lines
)

select * from final
