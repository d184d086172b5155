{#-
  EF (inpatient) per stay, two measures (docs/decisions/0007); EF is never added to D:
    ef_billed_points         = as billed: Σ 行為点数 × 行為回数 of the act rows (行為明細番号 000) in points. 行為点数
                               already holds 行為薬剤料 and 行為材料料 (p197 E-11/E-12/E-13); acts in yen (meals 97,
                               先進医療: 円・点区分 1 on the act, p185) are left out
    ef_ffs_equivalent_points = 出来高換算, what fee-for-service would have billed: Σ 出来高実績点数 × 行為回数 of the
                               item rows (p187 F-18/EF-16). 出来高実績点数 is one time's points (the items of an act add
                               up to its 行為点数, p187, which is per time when 行為回数 ≥ 2, p186; 行為回数 is on every
                               row, p200 EF-21), hence × 行為回数. Items bundled into an inpatient fee (入院料包括項目区分
                               ② = 1 or 2, p187–p189) are INCLUDED: their 出来高実績点数 is the fee-for-service value
                               of what the fee bundles. 持参薬 (持参薬区分 ③ ≠ 0, p191: 行為点数 0 but 出来高実績点数
                               set) and acts in yen are EXCLUDED.
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

with ef_lines as (
    select * from {{ ref('stg_dpc__efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

final as (
    select
        stay_id,
        cast(sum(
            case
                when is_act_row and not is_yen_act
                    then {{ d_row_points('act_points', 'act_count', "'0'") }}
                else 0
            end
        ) as {{ type_double() }}) as ef_billed_points,
        cast(sum(
            case
                when not is_act_row and not is_yen_act and coalesce(brought_in_drug_flag, '0') = '0'
                    then coalesce(ffs_points, 0) * coalesce(act_count, 1)
                else 0
            end
        ) as {{ type_double() }}) as ef_ffs_equivalent_points,
        sum(case when is_act_row then 1 else 0 end) as ef_act_count,
        count(*) as ef_line_count
    from ef_lines
    group by stay_id
)

select * from final
