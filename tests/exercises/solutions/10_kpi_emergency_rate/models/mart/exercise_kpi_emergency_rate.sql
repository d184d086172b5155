{#- Exercise 10 (reference solution): emergency admission rate per facility × discharge month × MDC, small cells
    suppressed (docs/decisions/0020). -#}
with admissions as (
    select * from {{ ref('fct_admissions') }}
    where is_discharged
),

monthly as (
    select
        facility_code,
        discharge_yyyymm,
        coalesce(mdc_code, '00') as mdc_code,
        count(*) as discharges,
        sum(case when is_emergency then 1 else 0 end) as emergency_discharges
    from admissions
    group by 1, 2, 3
),

final as (
    select
        facility_code,
        discharge_yyyymm,
        mdc_code,
        discharges < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('discharges', 'discharges') }} as discharges,
        {{ suppress_small_cells('emergency_discharges', 'discharges') }} as emergency_discharges,
        {{ suppress_small_cells(indicator_ratio('emergency_discharges', 'discharges'), 'discharges') }}
            as emergency_rate
    from monthly
)

select * from final
