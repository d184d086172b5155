{#-
  The DPC indicators per facility × the ministry's measurement period — unsuppressed (internal; published as
  ind_facility_measurement_period). The ministry computes the 機能評価係数Ⅱ of fiscal year Y from the discharges
  of October Y−2 to September Y−1 (e.g. 2023-10 … 2024-09 for FY2025): coefficient_fiscal_year = Y, with
  measurement_from_yyyymm / measurement_to_yyyymm. Same definitions as int_indicators__facility_fiscal_year.
-#}
{{ dpc_facility_indicators('coefficient_fiscal_year') }}
