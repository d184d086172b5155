{#-
  Case-mix index per facility × discharge month × MDC — unsuppressed (internal; the published
  kpi_case_mix_monthly applies disclosure control).
    case_mix_index = mean over the cell's stays of the code's relative weight
                   = mean national points per stay of the stays' codes ÷ fy_national_mean_points_per_stay
  relative to the WHOLE fiscal year's national mean (not the MDC's), so MDCs compare with each other and a
  cell of 1.0 treats stays as resource-intensive as the national average stay. Only stays whose code is
  in the reference table of their discharge fiscal year count (reference_discharges).
-#}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
),

reference as (
    select * from {{ ref('int_indicators__national_reference') }}
),

fy_reference as (
    select distinct
        fiscal_year,
        fy_national_mean_points_per_stay
    from reference
),

weighted_stays as (
    select
        stays.facility_code,
        stays.discharge_yyyymm,
        stays.fiscal_year,
        stays.mdc_code,
        stays.has_reference,
        reference.national_mean_ffs_points_per_stay,
        reference.relative_weight
    from stays
    left join reference
        on stays.fiscal_year = reference.fiscal_year
        and stays.dpc_code = reference.dpc_code
),

cells as (
    select
        facility_code,
        discharge_yyyymm,
        fiscal_year,
        mdc_code,
        count(*) as discharges,
        sum(case when has_reference then 1 else 0 end) as reference_discharges,
        {{ indicator_mean('national_mean_ffs_points_per_stay') }} as expected_points_per_stay,
        {{ indicator_mean('relative_weight') }} as case_mix_index
    from weighted_stays
    group by facility_code, discharge_yyyymm, fiscal_year, mdc_code
),

final as (
    select
        {{ surrogate_key(['cells.facility_code', 'cells.discharge_yyyymm', 'cells.mdc_code']) }} as kpi_id,
        cells.facility_code,
        cells.discharge_yyyymm,
        cells.fiscal_year,
        cells.mdc_code,
        cells.discharges,
        cells.reference_discharges,
        cells.expected_points_per_stay,
        fy_reference.fy_national_mean_points_per_stay as national_mean_points_per_stay,
        cells.case_mix_index
    from cells
    left join fy_reference
        on cells.fiscal_year = fy_reference.fiscal_year
)

select * from final
