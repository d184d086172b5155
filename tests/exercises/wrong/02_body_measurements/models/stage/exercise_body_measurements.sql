{#- Exercise 2, deliberately wrong: one row per delivered A001010 row, not per stay (no latest-delivery pick). -#}
with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
    where item_code = 'A001010'
),

final as (
    select
        stay_id,
        facility_code,
        cast(payload_2 as {{ type_double() }}) as height_cm,
        cast(payload_3 as {{ type_double() }}) as weight_kg,
        cast(payload_3 as {{ type_double() }})
        / ((cast(payload_2 as {{ type_double() }}) / 100) * (cast(payload_2 as {{ type_double() }}) / 100)) as bmi
    from form1
)

select * from final
