{#-
  Published DPC indicators per facility × fiscal year × MDC, from int_indicators__facility_fiscal_year_mdc.
  Disclosure control (docs/decisions/0020): a cell
  with fewer than var('disclosure_min_stays') discharges is suppressed (is_suppressed, every value computed
  from its stays null); each value is also null when the stays it is computed from are fewer than the
  threshold (indicator_discharges for the efficiency and complexity indices, reference_discharges for coverage,
  bundled_discharges for the overrun rate, the overrunning stays for their mean days).
  Numerator counts of patients (readmissions, overruns) are not published: rates are.
-#}
with indicators as (
    select * from {{ ref('int_indicators__facility_fiscal_year_mdc') }}
),

final as (
    select
        indicator_id,
        facility_code,
        fiscal_year,
        mdc_code,
        discharges < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('discharges', 'discharges') }} as discharges,
        {{ suppress_small_cells('reference_discharges', 'reference_discharges') }} as reference_discharges,
        {{ suppress_small_cells('bundled_discharges', 'bundled_discharges') }} as bundled_discharges,
        {{ suppress_small_cells('mean_los_days', 'discharges') }} as mean_los_days,
        {{ suppress_small_cells('indicator_codes', 'indicator_discharges') }} as indicator_codes,
        {{ suppress_small_cells('indicator_discharges', 'indicator_discharges') }} as indicator_discharges,
        {{ suppress_small_cells('indicator_mean_los_days', 'indicator_discharges') }} as indicator_mean_los_days,
        {{ suppress_small_cells('national_mean_los_at_case_mix_stand_in', 'indicator_discharges') }}
            as national_mean_los_at_case_mix_stand_in,
        {{ suppress_small_cells('efficiency_index', 'indicator_discharges') }} as efficiency_index,
        {{ suppress_small_cells('expected_points_per_stay_stand_in', 'indicator_discharges') }}
            as expected_points_per_stay_stand_in,
        {{ suppress_small_cells('complexity_index', 'indicator_discharges') }} as complexity_index,
        {{ suppress_small_cells('codes_covered', 'reference_discharges') }} as codes_covered,
        coverage_revision,
        reference_codes,
        {{ suppress_small_cells('coverage_rate', 'reference_discharges') }} as coverage_rate,
        {{ suppress_small_cells('period_2_overrun_rate', 'bundled_discharges') }} as period_2_overrun_rate,
        {{ suppress_small_cells('mean_days_beyond_period_2', 'period_2_overruns') }} as mean_days_beyond_period_2,
        {{ suppress_small_cells('general_ward_discharges', 'general_ward_discharges') }} as general_ward_discharges,
        {{ suppress_small_cells('unplanned_readmission_rate_4w', 'general_ward_discharges') }}
            as unplanned_readmission_rate_4w,
        {{ suppress_small_cells('any_cause_readmission_rate_4w', 'discharges') }} as any_cause_readmission_rate_4w,
        {{ suppress_small_cells('readmission_rate_6w_same_dpc6', 'discharges') }} as readmission_rate_6w_same_dpc6
    from indicators
)

select * from final
