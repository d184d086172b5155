{#-
  Published case-mix index per facility × discharge month × MDC, from int_indicators__case_mix_monthly.
  Disclosure control (docs/decisions/0020): a cell with fewer than var('disclosure_min_stays') discharges is
  suppressed (is_suppressed, values null); the index is also null when fewer stays than that carry a
  包括 code of the table (bundled_discharges).
-#}
with case_mix as (
    select * from {{ ref('int_indicators__case_mix_monthly') }}
),

final as (
    select
        kpi_id,
        facility_code,
        discharge_yyyymm,
        fiscal_year,
        mdc_code,
        discharges < {{ var('disclosure_min_stays') }} as is_suppressed,
        {{ suppress_small_cells('discharges', 'discharges') }} as discharges,
        {{ suppress_small_cells('bundled_discharges', 'bundled_discharges') }} as bundled_discharges,
        {{ suppress_small_cells('expected_points_per_stay_stand_in', 'bundled_discharges') }}
            as expected_points_per_stay_stand_in,
        {{ suppress_small_cells('case_mix_index', 'bundled_discharges') }} as case_mix_index
    from case_mix
)

select * from final
