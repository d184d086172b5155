{#- Exercise 1, deliberately wrong: counts stays by their discharge month (a stay admitted in one month and
    discharged in the next belongs to its admission month). -#}
with admissions as (
    select * from {{ ref('fct_admissions') }}
),

routes as (
    select * from {{ ref('ref_admission_route') }}
),

final as (
    select
        admissions.facility_code,
        {{ yyyymm_of('admissions.discharge_date') }} as admission_yyyymm,
        admissions.admission_route_code,
        routes.name_ja as route_name_ja,
        count(*) as stays,
        sum(case when admissions.is_emergency then 1 else 0 end) as emergency_stays,
        sum(case when admissions.is_ambulance then 1 else 0 end) as ambulance_stays
    from admissions
    left join routes
        on admissions.admission_route_code = routes.code
    group by 1, 2, 3, 4
)

select * from final
