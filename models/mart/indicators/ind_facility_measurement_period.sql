{#-
  Published DPC indicators per facility × the ministry's measurement period (October Y−2 … September Y−1
  for the 機能評価係数Ⅱ of fiscal year Y = coefficient_fiscal_year), from int_indicators__facility_measurement_period.
  Disclosure control (docs/decisions/0020): a suppressed
  cell (fewer than var('disclosure_min_stays') discharges, or suppressed as a complement so that no suppressed
  cell is a margin minus visible cells) has is_suppressed true and every value null; each value is also null
  when the stays it is computed from are suppressed (published_indicator_columns(), int_suppression__flags).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_measurement_period') }}
),

suppression as (
    {{ disclosure_flags('mp') }}
),

final as (
    select
        indicators.indicator_id,
        indicators.facility_code,
        indicators.coefficient_fiscal_year,
        indicators.measurement_from_yyyymm,
        indicators.measurement_to_yyyymm,
        {{ published_indicator_columns() }}
    from indicators
    left join suppression
        on indicators.facility_code = suppression.facility_code
        and indicators.coefficient_fiscal_year = suppression.coefficient_fiscal_year
)

select * from final
