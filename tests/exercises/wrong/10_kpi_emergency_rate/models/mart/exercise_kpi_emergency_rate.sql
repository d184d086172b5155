{#- Exercise 10, deliberately wrong: a literal threshold, and no YAML (no docs, no tests). -#}
with admissions as (
    select * from {{ ref('fct_admissions') }}
    where is_discharged
),

monthly as (
    select
        facility_code,
        discharge_yyyymm,
        coalesce(mdc_code, '00') as mdc_code,
        count(*) as discharges,
        sum(case when is_emergency then 1 else 0 end) as emergency_discharges
    from admissions
    group by 1, 2, 3
),

final as (
    select
        facility_code,
        discharge_yyyymm,
        mdc_code,
        discharges < 10 as is_suppressed,
        case when discharges >= 10 then discharges end as discharges,
        case when discharges >= 10 then emergency_discharges end as emergency_discharges,
        case when discharges >= 10 then emergency_discharges * 1.0 / discharges end as emergency_rate
    from monthly
)

select * from final
