{#- Exercise 2 (reference solution): 様式1 A001010 height and weight per stay, from the latest delivery. -#}
with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
    where item_code = 'A001010'
),

latest as (
    select
        stay_id,
        facility_code,
        cast(nullif(trim(payload_2), '') as {{ type_double() }}) as height_cm,
        cast(nullif(trim(payload_3), '') as {{ type_double() }}) as weight_kg,
        row_number() over (partition by stay_id order by yyyymm desc, line_number desc) as recency
    from form1
),

final as (
    select
        stay_id,
        facility_code,
        nullif(height_cm, 0) as height_cm,
        nullif(weight_kg, 0) as weight_kg,
        case
            when height_cm > 0 and weight_kg > 0
                then weight_kg / ((height_cm / 100) * (height_cm / 100))
        end as bmi
    from latest
    where recency = 1
)

select * from final
