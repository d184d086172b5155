{#-
  The DPC indicators per facility × fiscal year × MDC — unsuppressed (internal; the published
  ind_facility_fiscal_year_mdc applies disclosure control). Within an MDC the "national" is the national
  MDC: the codes of that MDC in the fiscal year's reference table, weighted by their national cases.
    efficiency_index  = mdc_national_mean_los ÷ Σ_c share_c × mean LOS_c ÷ Σ_c share_c
                        (c: the MDC's codes the facility treats; share_c: the code's national share in the MDC)
    complexity_index  = mean over the facility's stays of the code's national mean points per stay
                        ÷ mdc_national_mean_points_per_stay
    coverage_rate     = codes of the MDC with ≥ var('coverage_min_cases', 1) stays ÷ codes of the MDC in the table
  Stays without a DPC code are reported under MDC '00' (counts and readmission only).
  Formulas and sources: models/intermediate/indicators/_int_indicators__models.yml and docs/indicators.md.
-#}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
),

reference as (
    select * from {{ ref('int_indicators__national_reference') }}
),

mdc_reference as (
    select distinct
        fiscal_year,
        mdc_code,
        mdc_national_mean_los,
        mdc_national_mean_points_per_stay,
        mdc_reference_codes
    from reference
),

code_stays as (
    -- one row per facility × fiscal year × DPC code treated (stays whose code is in that year's table)
    select
        stays.facility_code,
        stays.fiscal_year,
        stays.mdc_code,
        stays.dpc_code,
        reference.mdc_case_share as case_share,
        reference.national_mean_ffs_points_per_stay,
        count(*) as discharges,
        {{ indicator_mean('stays.los_days') }} as mean_los_days
    from stays
    inner join reference
        on stays.fiscal_year = reference.fiscal_year
        and stays.dpc_code = reference.dpc_code
    group by
        stays.facility_code,
        stays.fiscal_year,
        stays.mdc_code,
        stays.dpc_code,
        reference.mdc_case_share,
        reference.national_mean_ffs_points_per_stay
),

code_totals as (
    select
        facility_code,
        fiscal_year,
        mdc_code,
        sum(discharges) as reference_discharges,
        count(*) as codes_treated,
        sum(case when discharges >= {{ var('coverage_min_cases', 1) }} then 1 else 0 end) as codes_covered,
        {{ indicator_ratio('sum(case_share * mean_los_days)', 'sum(case_share)') }} as case_mix_adjusted_los,
        {{ indicator_ratio('sum(discharges * national_mean_ffs_points_per_stay)', 'sum(discharges)') }}
            as expected_points_per_stay
    from code_stays
    group by facility_code, fiscal_year, mdc_code
),

stay_totals as (
    select
        facility_code,
        fiscal_year,
        mdc_code,
        count(*) as discharges,
        {{ indicator_mean('los_days') }} as mean_los_days,
        sum(case when is_over_period_2 then 1 else 0 end) as period_2_overruns,
        sum(case when is_over_period_2 then days_beyond_period_2 else 0 end) as days_beyond_period_2,
        sum(case when is_readmitted_4w then 1 else 0 end) as readmissions_4w,
        sum(case when is_readmitted_6w_same_dpc6 then 1 else 0 end) as readmissions_6w_same_dpc6
    from stays
    group by facility_code, fiscal_year, mdc_code
),

final as (
    select
        {{ surrogate_key(['stay_totals.facility_code', 'stay_totals.fiscal_year', 'stay_totals.mdc_code']) }}
            as indicator_id,
        stay_totals.facility_code,
        stay_totals.fiscal_year,
        stay_totals.mdc_code,
        stay_totals.discharges,
        coalesce(code_totals.reference_discharges, 0) as reference_discharges,
        stay_totals.mean_los_days,
        code_totals.case_mix_adjusted_los,
        mdc_reference.mdc_national_mean_los as national_mean_los,
        {{ indicator_ratio('mdc_reference.mdc_national_mean_los', 'code_totals.case_mix_adjusted_los') }}
            as efficiency_index,
        code_totals.expected_points_per_stay,
        mdc_reference.mdc_national_mean_points_per_stay as national_mean_points_per_stay,
        {{ indicator_ratio('code_totals.expected_points_per_stay', 'mdc_reference.mdc_national_mean_points_per_stay') }}
            as complexity_index,
        coalesce(code_totals.codes_treated, 0) as codes_treated,
        coalesce(code_totals.codes_covered, 0) as codes_covered,
        mdc_reference.mdc_reference_codes as reference_codes,
        {{ indicator_ratio('coalesce(code_totals.codes_covered, 0)', 'mdc_reference.mdc_reference_codes') }}
            as coverage_rate,
        stay_totals.period_2_overruns,
        {{ indicator_ratio('stay_totals.period_2_overruns', 'code_totals.reference_discharges') }}
            as period_2_overrun_rate,
        {{ indicator_ratio('stay_totals.days_beyond_period_2', 'stay_totals.period_2_overruns') }}
            as mean_days_beyond_period_2,
        stay_totals.readmissions_4w,
        {{ indicator_ratio('stay_totals.readmissions_4w', 'stay_totals.discharges') }} as readmission_rate_4w,
        stay_totals.readmissions_6w_same_dpc6,
        {{ indicator_ratio('stay_totals.readmissions_6w_same_dpc6', 'stay_totals.discharges') }}
            as readmission_rate_6w_same_dpc6
    from stay_totals
    left join code_totals
        on stay_totals.facility_code = code_totals.facility_code
        and stay_totals.fiscal_year = code_totals.fiscal_year
        and stay_totals.mdc_code = code_totals.mdc_code
    left join mdc_reference
        on stay_totals.fiscal_year = mdc_reference.fiscal_year
        and stay_totals.mdc_code = mdc_reference.mdc_code
)

select * from final
