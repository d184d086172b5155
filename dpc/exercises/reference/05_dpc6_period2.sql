-- Hidden reference of exercise 5.
with discharges as (
    select a.dpc6, a.discharge_yyyymm, a.los_days > r.period_2_days as is_over
    from mart.fct_admissions as a
    inner join ref.ref_dpc_code as r
        on lower(a.dpc_code) = lower(r.dpc_code)
        and a.discharge_date >= r.valid_from
        and (r.valid_to is null or a.discharge_date <= r.valid_to)
    where a.is_discharged and r.is_bundled
)

select
    dpc6,
    discharge_yyyymm,
    count(*) as discharges,
    count(*) filter (where is_over) as over_period_2,
    count(*) filter (where is_over) / count(*) as share_over_period_2
from discharges
group by all
