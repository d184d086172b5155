{#-
  The DPC indicators per facility × fiscal year (April–March, by discharge date) — unsuppressed (internal; the
  published ind_facility_fiscal_year applies disclosure control): 効率性指数, 複雑性指数 and カバー率 as the ministry
  defines them for FY2024 (12-case rule, 包括 codes; national figures by named stand-ins), period-II overrun and
  DPC readmission. Formulas: macros/indicators.sql (dpc_facility_indicators) and docs/indicators.md.
-#}
{{ dpc_facility_indicators('fiscal_year') }}
