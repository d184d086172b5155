{#-
  Published DPC indicators per facility × the ministry's measurement period (October Y−2 … September Y−1
  for the 機能評価係数Ⅱ of fiscal year Y = coefficient_fiscal_year), from int_indicators__facility_measurement_period.
  Disclosure control (docs/decisions/0020): a cell
  with fewer than var('disclosure_min_stays') discharges is suppressed (is_suppressed, every value computed
  from its stays null); each value is also null when the stays it is computed from are fewer than the
  threshold (indicator_discharges for the efficiency and complexity indices, reference_discharges for coverage,
  bundled_discharges for the overrun rate, the overrunning stays for their mean days).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_measurement_period') }}
),

final as (
    select
        indicator_id,
        facility_code,
        coefficient_fiscal_year,
        measurement_from_yyyymm,
        measurement_to_yyyymm,
        {{ published_indicator_columns() }}
    from indicators
)

select * from final
