{#-
  Warn (does not stop publication): in a facility × discharge month with at least
  var('dq_warn_min_discharges') discharges, more than var('dq_warn_share_beyond_period_iii') of the
  discharges stayed longer than period III (入院期間III) of their DPC code — beyond it a stay is billed
  fee-for-service, and a high share usually means wrong dates or codes. Fails with one row per such month.
-#}
{{ config(severity='warn') }}

with admissions as (
    select * from {{ ref('fct_admissions') }}
),

dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

coded as (
    select
        admissions.facility_code,
        admissions.discharge_yyyymm,
        case when admissions.los_days > dpc_codes.period_3_days then 1 else 0 end as is_beyond_period_iii
    from admissions
    inner join dpc_codes
        on admissions.dpc_code = dpc_codes.dpc_code
        and admissions.discharge_fiscal_year = dpc_codes.fiscal_year
    where admissions.is_discharged
),

monthly as (
    select
        facility_code,
        discharge_yyyymm,
        count(*) as discharges,
        sum(is_beyond_period_iii) as beyond_period_iii
    from coded
    group by facility_code, discharge_yyyymm
),

final as (
    select
        facility_code,
        discharge_yyyymm,
        discharges,
        beyond_period_iii,
        1.0 * beyond_period_iii / discharges as share_beyond_period_iii
    from monthly
    where
        discharges >= {{ var('dq_warn_min_discharges', 20) }}
        and beyond_period_iii > {{ var('dq_warn_share_beyond_period_iii', 0.2) }} * discharges
)

select * from final
