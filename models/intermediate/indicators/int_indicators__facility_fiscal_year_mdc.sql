{#-
  The DPC indicators per facility × fiscal year × MDC — unsuppressed (internal; the published
  ind_facility_fiscal_year_mdc applies disclosure control). Same definitions as int_indicators__facility_fiscal_year
  restricted to the MDC's codes: complexity relative to the MDC's mean stand-in (mdc_relative_weight), coverage over
  the MDC's codes of the table. Stays without a DPC code are reported under MDC '00' (counts and readmission only).
  Formulas: macros/indicators.sql (dpc_facility_indicators) and docs/indicators.md.
-#}
{{ dpc_facility_indicators('fiscal_year', by_mdc=true) }}
