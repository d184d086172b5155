{#-
  Published DPC indicators per facility × fiscal year (効率性指数, 複雑性指数, カバー率 as the ministry
  defines them for FY2024 with named stand-ins, period-II overrun, the DPC unplanned readmission rate and two
  plain readmission rates), from int_indicators__facility_fiscal_year. Disclosure control (docs/decisions/0020): a suppressed
  cell (fewer than var('disclosure_min_stays') discharges, or suppressed as a complement so that no suppressed
  cell is a margin minus visible cells) has is_suppressed true and every value null; each value is also null
  when the stays it is computed from are suppressed (published_indicator_columns(), int_suppression__flags).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_fiscal_year') }}
),

suppression as (
    {{ disclosure_flags('fy') }}
),

final as (
    select
        indicators.indicator_id,
        indicators.facility_code,
        indicators.fiscal_year,
        {{ published_indicator_columns() }}
    from indicators
    left join suppression
        on indicators.facility_code = suppression.facility_code
        and indicators.fiscal_year = suppression.fiscal_year
)

select * from final
