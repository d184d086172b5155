{#- Exercise 8, deliberately wrong (see the macro). -#}
with admissions as (
    select * from {{ ref('fct_admissions') }}
),

final as (
    select
        facility_code,
        {{ iso_weekday('admission_date') }} as admission_weekday,
        count(*) as stays,
        sum(case when is_emergency then 1 else 0 end) as emergency_stays
    from admissions
    group by 1, 2
)

select * from final
