{#- Exercise 6 (reference solution): nursing-necessity patient-days per ward and month, A score ≥ 2. -#}
with h_rows as (
    select * from {{ ref('stg_dpc__h') }}
    where item_code = 'ASS0013'
),

scored as (
    select
        facility_code,
        ward_code,
        patient_key,
        evaluation_date,
        {%- for i in range(1, 8) %}
        coalesce(cast(nullif(trim(payload_{{ i }}), '') as integer), 0){{ ' +' if not loop.last }}
        {%- endfor %} as a_score
    from h_rows
),

patient_days as (
    select
        facility_code,
        ward_code,
        patient_key,
        evaluation_date,
        max(a_score) as a_score
    from scored
    group by facility_code, ward_code, patient_key, evaluation_date
),

final as (
    select
        facility_code,
        ward_code,
        {{ yyyymm_of('evaluation_date') }} as evaluation_yyyymm,
        count(*) as patient_days,
        sum(case when a_score >= 2 then 1 else 0 end) as a_score_2_days,
        {{ indicator_ratio('sum(case when a_score >= 2 then 1 else 0 end)', 'count(*)') }} as share_a_score_2
    from patient_days
    group by 1, 2, 3
)

select * from final
