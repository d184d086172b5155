-- Hidden reference of exercise 10. {min_stays} is var('disclosure_min_stays') of the sandbox project.
with monthly as (
    select
        facility_code,
        discharge_yyyymm,
        coalesce(mdc_code, '00') as mdc_code,
        count(*) as discharges,
        count(*) filter (where is_emergency) as emergency_discharges
    from mart.fct_admissions
    where is_discharged
    group by all
)

select
    facility_code,
    discharge_yyyymm,
    mdc_code,
    discharges < {min_stays} as is_suppressed,
    case when discharges >= {min_stays} then discharges end as discharges,
    case when discharges >= {min_stays} then emergency_discharges end as emergency_discharges,
    case when discharges >= {min_stays} then emergency_discharges / discharges end as emergency_rate
from monthly
