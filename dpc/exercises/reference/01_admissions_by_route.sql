-- Hidden reference of exercise 1 (read by `dpc exercise check`, never printed). Runs in the learner's sandbox file.
select
    a.facility_code,
    cast(year(a.admission_date) * 100 + month(a.admission_date) as integer) as admission_yyyymm,
    a.admission_route_code,
    r.name_ja as route_name_ja,
    count(*) as stays,
    count(*) filter (where a.is_emergency) as emergency_stays,
    count(*) filter (where a.is_ambulance) as ambulance_stays
from mart.fct_admissions as a
left join ref.ref_admission_route as r on a.admission_route_code = r.code
group by all
