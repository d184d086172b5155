{#-
  Every stay the claim files know of: D and 入院EF rows attach to a stay by (facility, patient, 入院年月日)
  (docs/decisions/0004; they carry no 回数管理番号, p199–200). A stay billed before its 様式1 arrives (the parent
  form comes with the discharge month, p48) is carried from here. billing_discharge_date is the latest 退院年月日
  the claim rows give (00000000 while the patient is in hospital, p199).
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
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        discharge_date,
        yyyymm
    from {{ ref('stg_dpc__d') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

ef_rows as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        discharge_date,
        yyyymm
    from {{ ref('stg_dpc__efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

claim_rows as (
    select * from d_rows
    union all
    select * from ef_rows
),

final as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        max(discharge_date) as billing_discharge_date,
        max(yyyymm) as latest_billing_yyyymm
    from claim_rows
    group by stay_id, facility_code, patient_key, admission_date
)

select * from final
