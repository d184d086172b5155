{#-
  Published DPC indicators per facility × fiscal year (efficiency, complexity, coverage, period-II overrun,
  DPC readmission), from int_indicators__facility_fiscal_year. Disclosure control (docs/decisions/0020): a cell
  with fewer than var('disclosure_min_stays') discharges is suppressed (is_suppressed, every value computed
  from its stays null); each value is also null when the stays it is computed from are fewer than the
  threshold (reference_discharges for the case-mix indices, the overrunning stays for their mean days).
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
        discharges < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('discharges', 'discharges') }} as discharges,
        {{ suppress_small_cells('reference_discharges', 'reference_discharges') }} as reference_discharges,
        {{ suppress_small_cells('mean_los_days', 'discharges') }} as mean_los_days,
        {{ suppress_small_cells('case_mix_adjusted_los', 'reference_discharges') }} as case_mix_adjusted_los,
        national_mean_los,
        {{ suppress_small_cells('efficiency_index', 'reference_discharges') }} as efficiency_index,
        {{ suppress_small_cells('expected_points_per_stay', 'reference_discharges') }} as expected_points_per_stay,
        national_mean_points_per_stay,
        {{ suppress_small_cells('complexity_index', 'reference_discharges') }} as complexity_index,
        {{ suppress_small_cells('codes_covered', 'reference_discharges') }} as codes_covered,
        reference_codes,
        {{ suppress_small_cells('coverage_rate', 'reference_discharges') }} as coverage_rate,
        {{ suppress_small_cells('period_2_overrun_rate', 'reference_discharges') }} as period_2_overrun_rate,
        {{ suppress_small_cells('mean_days_beyond_period_2', 'period_2_overruns') }} as mean_days_beyond_period_2,
        {{ suppress_small_cells('readmission_rate_4w', 'discharges') }} as readmission_rate_4w,
        {{ suppress_small_cells('readmission_rate_6w_same_dpc6', 'discharges') }} as readmission_rate_6w_same_dpc6
    from indicators
)

select * from final
