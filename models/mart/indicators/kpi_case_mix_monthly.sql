{#-
  Published case-mix index per facility × discharge month × MDC, from int_indicators__case_mix_monthly.
  Disclosure control (docs/decisions/0020): the cells of kpi_monthly_facility_mdc's grain, suppressed alike
  (is_suppressed, values null: fewer than var('disclosure_min_stays') discharges, or a complement); the index is
  also null when its 包括 stays (bundled_discharges) are suppressed, by their own count or as a complement of the
  fiscal-year × MDC and measurement-period margins (int_suppression__flags).
-#}
with case_mix as (
    select * from {{ ref('int_indicators__case_mix_monthly') }}
),

suppression as (
    {{ disclosure_flags('month') }}
),

final as (
    select
        case_mix.kpi_id,
        case_mix.facility_code,
        case_mix.discharge_yyyymm,
        case_mix.fiscal_year,
        case_mix.mdc_code,
        coalesce(suppression.hides_discharges, true) as is_suppressed,
        {{ disclosed('case_mix.discharges', 'suppression.hides_discharges') }} as discharges,
        {{ disclosed('case_mix.bundled_discharges', 'suppression.hides_bundled_discharges') }} as bundled_discharges,
        {{ disclosed('case_mix.expected_points_per_stay_stand_in', 'suppression.hides_bundled_discharges') }}
            as expected_points_per_stay_stand_in,
        {{ disclosed('case_mix.case_mix_index', 'suppression.hides_bundled_discharges') }} as case_mix_index
    from case_mix
    left join suppression
        on case_mix.facility_code = suppression.facility_code
        and case_mix.discharge_yyyymm = suppression.discharge_yyyymm
        and case_mix.mdc_code = suppression.mdc_code
)

select * from final
