{#-
  Disclosure control (docs/decisions/0020): no published equation (int_suppression__equations) has exactly one
  suppressed member — that member would be its total minus the visible cells. Fails when the unrolled rounds of
  macros/disclosure_control.sql did not reach the fixed point; error severity, so nothing is published then.
-#}
with equations as (
    select * from {{ ref('int_suppression__equations') }}
),

suppression as (
    select * from {{ ref('int_suppression__flags') }}
),

final as (
    select
        equations.equation_id,
        sum(case when suppression.is_suppressed then 1 else 0 end) as suppressed_members
    from equations
    inner join suppression
        on equations.cell_id = suppression.cell_id
    group by equations.equation_id
    having sum(case when suppression.is_suppressed then 1 else 0 end) = 1
)

select * from final
