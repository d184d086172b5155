{#-
  The ward-group periods of each stay (spec p40–41): its child forms (統括診療情報番号 1, 2 …), one per stay in the
  一般病棟グループ, 精神病棟グループ or その他病棟グループ, from whichever deliveries brought them (a child form comes
  in the month of its transfer, p48, p55). A stay that never changed ward group has no child forms (p40): its
  parent form is its only period. Dates are the form's 様式1開始日/終了日 (A000031, p53); the group is the one
  A000050 marks (p54).
-#}
{{
    config(
        materialized='incremental',
        unique_key='form_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with forms as (
    select * from {{ ref('int_form1__forms') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

stays_with_children as (
    select distinct stay_id
    from forms
    where form_kind = 'child'
),

period_forms as (
    select forms.*
    from forms
    left join stays_with_children
        on forms.stay_id = stays_with_children.stay_id
    where
        forms.form_kind = 'child'
        or (forms.form_kind = 'parent' and stays_with_children.stay_id is null)
),

final as (
    select
        form_id,
        stay_id,
        facility_code,
        admission_date,
        form_no,
        form_kind,
        form_yyyymm,
        form_start_date as period_start_date,
        form_end_date as period_end_date,
        1 + {{ dbt.datediff('form_start_date', 'form_end_date', 'day') }} as period_days,  -- noqa: LT05
        ward_group,
        admission_route_code,
        discharge_destination_code,
        readmission_type_code,
        most_resource_icd10
    from period_forms
)

select * from final
