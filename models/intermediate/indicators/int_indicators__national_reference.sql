{#-
  The national reference of the DPC indicators, one row per fiscal year × DPC code (seed ref_dpc_code,
  revised every April). Each code's national case share, and the national means the indices divide by,
  derived from the same table as case-weighted means so that a facility with the national case mix and
  the national length of stay per code scores exactly 1.0:
    national mean LOS         = Σ cases_c × mean LOS_c ÷ Σ cases_c
    national mean points/stay = Σ cases_c × mean bundled-range FFS points_c ÷ Σ cases_c
  over every code of the fiscal year (fy_*) and over the codes of the code's MDC (mdc_*).
  ref_national_summary publishes the same fiscal-year means; a data test checks that they agree.
-#}
with dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

typed as (
    -- products in double precision: cases × points exceed a 32-bit integer
    select
        *,
        cast(national_cases as {{ type_double() }}) * national_mean_los as national_los_days,
        cast(national_cases as {{ type_double() }}) * national_mean_ffs_points_per_stay as national_points
    from dpc_codes
),

weighted as (
    select
        fiscal_year,
        dpc_code,
        dpc6,
        mdc_code,
        period_1_days,
        period_2_days,
        period_3_days,
        national_cases,
        national_mean_los,
        national_mean_ffs_points_per_stay,
        sum(national_cases) over (partition by fiscal_year) as fy_national_cases,
        sum(national_los_days) over (partition by fiscal_year) as fy_national_los_days,
        sum(national_points) over (partition by fiscal_year) as fy_national_points,
        count(*) over (partition by fiscal_year) as fy_reference_codes,
        sum(national_cases) over (partition by fiscal_year, mdc_code) as mdc_national_cases,
        sum(national_los_days) over (partition by fiscal_year, mdc_code) as mdc_national_los_days,
        sum(national_points) over (partition by fiscal_year, mdc_code) as mdc_national_points,
        count(*) over (partition by fiscal_year, mdc_code) as mdc_reference_codes
    from typed
),

means as (
    select
        fiscal_year,
        dpc_code,
        dpc6,
        mdc_code,
        period_1_days,
        period_2_days,
        period_3_days,
        national_cases,
        national_mean_los,
        national_mean_ffs_points_per_stay,
        {{ indicator_ratio('national_cases', 'fy_national_cases') }} as national_case_share,
        {{ indicator_ratio('national_cases', 'mdc_national_cases') }} as mdc_case_share,
        fy_national_cases,
        {{ indicator_ratio('fy_national_los_days', 'fy_national_cases') }} as fy_national_mean_los,
        {{ indicator_ratio('fy_national_points', 'fy_national_cases') }} as fy_national_mean_points_per_stay,
        fy_reference_codes,
        mdc_national_cases,
        {{ indicator_ratio('mdc_national_los_days', 'mdc_national_cases') }} as mdc_national_mean_los,
        {{ indicator_ratio('mdc_national_points', 'mdc_national_cases') }} as mdc_national_mean_points_per_stay,
        mdc_reference_codes
    from weighted
),

final as (
    select
        *,
        -- the code's weight in the case-mix index: its national mean points per stay ÷ the fiscal year's
        {{ indicator_ratio('national_mean_ffs_points_per_stay', 'fy_national_mean_points_per_stay') }}
            as relative_weight
    from means
)

select * from final
