{#-
  Warn (does not stop publication): in a facility × discharge month with at least
  var('dq_warn_min_discharges') discharges, more than var('dq_warn_share_without_dpc_code') of the
  discharged stays have no DPC code — the D file of a month is missing rows, or stays were never coded.
  Fails with one row per such facility-month.
-#}
{{ config(severity='warn') }}

with admissions as (
    select * from {{ ref('fct_admissions') }}
),

monthly as (
    select
        facility_code,
        discharge_yyyymm,
        count(*) as discharges,
        sum(case when dpc_code is null then 1 else 0 end) as without_dpc_code
    from admissions
    where is_discharged
    group by facility_code, discharge_yyyymm
),

final as (
    select
        facility_code,
        discharge_yyyymm,
        discharges,
        without_dpc_code,
        1.0 * without_dpc_code / discharges as share_without_dpc_code
    from monthly
    where
        discharges >= {{ var('dq_warn_min_discharges', 20) }}
        and without_dpc_code > {{ var('dq_warn_share_without_dpc_code', 0.05) }} * discharges
)

select * from final
