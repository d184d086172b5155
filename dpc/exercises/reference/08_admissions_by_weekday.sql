-- Hidden reference of exercise 8.
select
    facility_code,
    cast(isodow(admission_date) as integer) as admission_weekday,
    count(*) as stays,
    count(*) filter (where is_emergency) as emergency_stays
from mart.fct_admissions
group by all
