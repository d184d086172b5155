{#- Exercise 5, deliberately wrong: joins ref_dpc_code on the code alone, so every revision's row of the code matches. -#}
with admissions as (
    select * from {{ ref('fct_admissions') }}
    where is_discharged
),

dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

discharges as (
    select
        admissions.dpc6,
        admissions.discharge_yyyymm,
        case when admissions.los_days > dpc_codes.period_2_days then 1 else 0 end as is_over
    from admissions
    inner join dpc_codes
        on lower(admissions.dpc_code) = lower(dpc_codes.dpc_code)
    where dpc_codes.is_bundled
),

final as (
    select
        dpc6,
        discharge_yyyymm,
        count(*) as discharges,
        sum(is_over) as over_period_2,
        {{ indicator_ratio('sum(is_over)', 'count(*)') }} as share_over_period_2
    from discharges
    group by dpc6, discharge_yyyymm
)

select * from final
