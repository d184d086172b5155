{#- Exercise 5 (reference solution): share of discharges beyond 入院期間Ⅱ per DPC6 group and discharge month. -#}
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
        and admissions.discharge_date >= dpc_codes.valid_from
        and (dpc_codes.valid_to is null or admissions.discharge_date <= dpc_codes.valid_to)
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
