{#- Exercise 6, deliberately wrong: counts H rows of every item as patient-days. -#}
with h_rows as (
    select * from {{ ref('stg_dpc__h') }}
),

scored as (
    select
        facility_code,
        ward_code,
        evaluation_date,
        item_code,
        {%- for i in range(1, 8) %}
        coalesce(cast(nullif(trim(payload_{{ i }}), '') as integer), 0){{ ' +' if not loop.last }}
        {%- endfor %} as a_score
    from h_rows
),

final as (
    select
        facility_code,
        ward_code,
        {{ yyyymm_of('evaluation_date') }} as evaluation_yyyymm,
        count(*) as patient_days,
        sum(case when item_code = 'ASS0013' and a_score >= 2 then 1 else 0 end) as a_score_2_days,
        {{ indicator_ratio("sum(case when item_code = 'ASS0013' and a_score >= 2 then 1 else 0 end)", 'count(*)') }}
            as share_a_score_2
    from scored
    group by 1, 2, 3
)

select * from final
