{#-
  Case-mix index per facility × discharge month × MDC — unsuppressed (internal; the published
  kpi_case_mix_monthly applies disclosure control).
    case_mix_index = mean over the cell's 包括 stays of their code's relative_weight
                   = the code's national_mean_points_per_stay_stand_in ÷ the mean of that stand-in over the
                     revision's 包括 codes (int_indicators__national_reference)
  relative to the WHOLE table (not the MDC), so MDCs and months compare with each other. Every 包括 stay counts (no
  12-case rule: this is the project's monthly view, not the ministry's 複雑性指数). bundled_discharges: stays whose
  code is a 包括 code of the table in force on its D rows.
-#}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
),

cells as (
    select
        facility_code,
        discharge_yyyymm,
        fiscal_year,
        mdc_code,
        count(*) as discharges,
        sum(case when is_bundled_code then 1 else 0 end) as bundled_discharges,
        {{ indicator_mean('national_mean_points_per_stay_stand_in') }} as expected_points_per_stay_stand_in,
        {{ indicator_mean('relative_weight') }} as case_mix_index
    from stays
    group by facility_code, discharge_yyyymm, fiscal_year, mdc_code
),

final as (
    select
        {{ surrogate_key(['facility_code', 'discharge_yyyymm', 'mdc_code']) }} as kpi_id,
        facility_code,
        discharge_yyyymm,
        fiscal_year,
        mdc_code,
        discharges,
        bundled_discharges,
        expected_points_per_stay_stand_in,
        case_mix_index
    from cells
)

select * from final
