{#-
  The stays the DPC indicators are computed from: every DISCHARGED stay (undischarged stays are excluded,
  docs/decisions/0004), in the fiscal year (April–March) of its discharge date — a stay admitted in March and
  discharged in April belongs to the new fiscal year — with the reference row of its DPC code for THAT
  fiscal year (has_reference false when the code is missing from that year's table, or the stay has no
  DPC code), its period-II overrun and the DPC readmission flags of the one readmission model
  (int_stays__readmission_flags, docs/decisions/0006).
-#}
with stays as (
    select * from {{ ref('int_stays__assembled') }}
    where is_discharged
),

readmission_flags as (
    select * from {{ ref('int_stays__readmission_flags') }}
),

reference as (
    select * from {{ ref('int_indicators__national_reference') }}
),

discharges as (
    select
        stay_id,
        facility_code,
        admission_date,
        discharge_date,
        {{ yyyymm_of('discharge_date') }} as discharge_yyyymm,
        cast({{ fiscal_year('discharge_date') }} as integer) as fiscal_year,
        dpc_code,
        dpc6,
        coalesce(mdc_code, '00') as mdc_code,
        los_days,
        billed_points
    from stays
),

final as (
    select
        discharges.stay_id,
        discharges.facility_code,
        discharges.admission_date,
        discharges.discharge_date,
        discharges.discharge_yyyymm,
        discharges.fiscal_year,
        discharges.dpc_code,
        discharges.dpc6,
        discharges.mdc_code,
        discharges.los_days,
        discharges.billed_points,
        reference.dpc_code is not null as has_reference,
        reference.national_mean_los,
        reference.relative_weight,
        reference.period_1_days,
        reference.period_2_days,
        reference.period_3_days,
        case when reference.dpc_code is not null then discharges.los_days > reference.period_2_days end
            as is_over_period_2,
        case
            when discharges.los_days > reference.period_2_days then discharges.los_days - reference.period_2_days
            when reference.dpc_code is not null then 0
        end as days_beyond_period_2,
        coalesce(readmission_flags.is_readmitted_4w, false) as is_readmitted_4w,
        coalesce(readmission_flags.is_readmitted_6w_same_dpc6, false) as is_readmitted_6w_same_dpc6
    from discharges
    left join reference
        on discharges.fiscal_year = reference.fiscal_year
        and discharges.dpc_code = reference.dpc_code
    left join readmission_flags
        on discharges.stay_id = readmission_flags.stay_id
)

select * from final
