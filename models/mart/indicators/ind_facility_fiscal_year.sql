{#-
  Published DPC indicators per facility × fiscal year (効率性指数, 複雑性指数, カバー率 as the ministry
  defines them for FY2024 with named stand-ins, period-II overrun, the DPC unplanned readmission rate and two
  plain readmission rates), from int_indicators__facility_fiscal_year. Disclosure control (docs/decisions/0020): a cell
  with fewer than var('disclosure_min_stays') discharges is suppressed (is_suppressed, every value computed
  from its stays null); each value is also null when the stays it is computed from are fewer than the
  threshold (indicator_discharges for the efficiency and complexity indices, reference_discharges for coverage,
  bundled_discharges for the overrun rate, the overrunning stays for their mean days).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_fiscal_year') }}
),

final as (
    select
        indicator_id,
        facility_code,
        fiscal_year,
        {{ published_indicator_columns() }}
    from indicators
)

select * from final
