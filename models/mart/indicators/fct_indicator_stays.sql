{#-
  One row per discharged stay with what the DPC indicators need: discharge fiscal year and measurement period,
  DPC code with the revision of the ministry's table it was matched to (in force on its D rows' dates) and that
  row's values and stand-ins, period-II overrun and the DPC readmission flags. The semantic model
  indicator_stays (models/mart/indicators/_semantic__indicators.yml) defines the additive indicators over it
  as metrics. Stay-level and pseudonymous like fct_admissions (no patient key); the aggregate indicator
  tables apply disclosure control.
-#}
with stays as (
    select * from {{ ref('int_indicators__stays') }}
),

final as (
    select
        stay_id,
        facility_code,
        discharge_date,
        discharge_yyyymm,
        fiscal_year,
        coefficient_fiscal_year,
        dpc_code,
        mdc_code,
        los_days,
        reference_revision,
        has_reference,
        is_bundled_code,
        national_mean_los_stand_in,
        relative_weight,
        period_2_days,
        is_over_period_2,
        days_beyond_period_2,
        is_general_ward_discharge,
        is_unplanned_readmitted_4w,
        is_readmitted_4w,
        is_readmitted_6w_same_dpc6
    from stays
)

select * from final
