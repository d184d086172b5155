{#-
  Warn (does not stop publication): in a facility × discharge month with at least
  var('dq_warn_min_discharges') discharges, more than var('dq_warn_share_beyond_period_iii') of the
  discharges stayed longer than period III (入院期間III) of their DPC code — beyond it a stay is billed
  fee-for-service, and a high share usually means wrong dates or codes. Fails with one row per such month.
-#}
{{ config(severity='warn') }}

with stays as (
    -- discharged stays with the periods of their code in the table in force on the code's D rows
    select * from {{ ref('int_indicators__stays') }}
),

coded as (
    select
        facility_code,
        discharge_yyyymm,
        case when los_days > period_3_days then 1 else 0 end as is_beyond_period_iii
    from stays
    where is_bundled_code
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
