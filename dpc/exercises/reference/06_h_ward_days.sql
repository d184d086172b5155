-- Hidden reference of exercise 6.
with a_items as (
    select
        facility_code,
        ward_code,
        patient_key,
        evaluation_date,
        coalesce(try_cast(payload_1 as integer), 0) + coalesce(try_cast(payload_2 as integer), 0)
        + coalesce(try_cast(payload_3 as integer), 0) + coalesce(try_cast(payload_4 as integer), 0)
        + coalesce(try_cast(payload_5 as integer), 0) + coalesce(try_cast(payload_6 as integer), 0)
        + coalesce(try_cast(payload_7 as integer), 0) as a_score
    from stage.stg_dpc__h
    where item_code = 'ASS0013'
),

patient_days as (
    select facility_code, ward_code, patient_key, evaluation_date, max(a_score) as a_score
    from a_items
    group by all
)

select
    facility_code,
    ward_code,
    cast(year(evaluation_date) * 100 + month(evaluation_date) as integer) as evaluation_yyyymm,
    count(*) as patient_days,
    count(*) filter (where a_score >= 2) as a_score_2_days,
    count(*) filter (where a_score >= 2) / count(*) as share_a_score_2
from patient_days
group by all
