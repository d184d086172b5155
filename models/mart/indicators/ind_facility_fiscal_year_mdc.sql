{#-
  Published DPC indicators per facility × fiscal year × MDC, from int_indicators__facility_fiscal_year_mdc.
  Disclosure control (docs/decisions/0020): a suppressed
  cell (fewer than var('disclosure_min_stays') discharges, or suppressed as a complement so that no suppressed
  cell is a margin minus visible cells) has is_suppressed true and every value null; each value is also null
  when the stays it is computed from are suppressed (published_indicator_columns(), int_suppression__flags).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_fiscal_year_mdc') }}
),

suppression as (
    {{ disclosure_flags('fy_mdc') }}
),

final as (
    select
        indicators.indicator_id,
        indicators.facility_code,
        indicators.fiscal_year,
        indicators.mdc_code,
        {{ published_indicator_columns() }}
    from indicators
    left join suppression
        on indicators.facility_code = suppression.facility_code
        and indicators.fiscal_year = suppression.fiscal_year
        and indicators.mdc_code = suppression.mdc_code
)

select * from final
