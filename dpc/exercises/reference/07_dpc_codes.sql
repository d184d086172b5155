-- Hidden reference of exercise 7.
select dpc_code, min(dpc6) as dpc6, count(*) as stays
from mart.fct_admissions
where is_discharged and dpc_code is not null
group by dpc_code
