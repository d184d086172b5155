{#-
  The stays the DPC indicators are computed from: every DISCHARGED stay (undischarged stays are excluded,
  docs/decisions/0004), in the fiscal year (April–March) of its discharge date — a stay admitted in March and
  discharged in April belongs to the new fiscal year — and in the ministry's measurement period of its discharge
  (coefficient_fiscal_year: October of year Y−2 to September of Y−1 feeds the 機能評価係数Ⅱ of fiscal year Y).
  The stay's DPC code (that of its latest bundled D row) is matched to the table in force on the dates of the
  D rows that carry it (int_d__dpc_code_revisions: the latest such date decides, case-insensitively), not to the
  fiscal year: a stay from 2024-05-20 to 2024-06-10 whose June rows carry the code is matched to the 2024 table.
  has_reference is false when the code is not in that table or the stay has no DPC code; is_bundled_code is true
  for 包括 codes (they alone have periods, national stand-ins and count in the case-mix indices). With the
  period-II overrun and the DPC readmission flags of int_stays__readmission_flags (docs/decisions/0006).
-#}
with stays as (
    select * from {{ ref('int_stays__assembled') }}
    where is_discharged
),

code_revisions as (
    select * from {{ ref('int_d__dpc_code_revisions') }}
),

readmission_flags as (
    select * from {{ ref('int_stays__readmission_flags') }}
),

reference as (
    select * from {{ ref('int_indicators__national_reference') }}
),

stay_revision as (
    -- the revision in force on the latest date the stay's code was billed
    select
        stay_id,
        dpc_code,
        revision,
        row_number() over (partition by stay_id, dpc_code order by last_code_date desc) as recency
    from code_revisions
    where revision is not null
),

discharges as (
    select
        stays.stay_id,
        stays.facility_code,
        stays.admission_date,
        stays.discharge_date,
        {{ yyyymm_of('stays.discharge_date') }} as discharge_yyyymm,
        cast({{ fiscal_year('stays.discharge_date') }} as integer) as fiscal_year,
        cast(extract(year from {{ dbt.dateadd('month', 3, 'stays.discharge_date') }}) as integer) + 1
            as coefficient_fiscal_year,
        stays.dpc_code,
        stays.dpc6,
        coalesce(stays.mdc_code, '00') as mdc_code,
        stays.los_days,
        stays.billed_points,
        stay_revision.revision as reference_revision
    from stays
    left join stay_revision
        on stays.stay_id = stay_revision.stay_id
        and lower(stays.dpc_code) = stay_revision.dpc_code
        and stay_revision.recency = 1
),

final as (
    select
        discharges.stay_id,
        discharges.facility_code,
        discharges.admission_date,
        discharges.discharge_date,
        discharges.discharge_yyyymm,
        discharges.fiscal_year,
        discharges.coefficient_fiscal_year,
        discharges.dpc_code,
        discharges.dpc6,
        discharges.mdc_code,
        discharges.los_days,
        discharges.billed_points,
        discharges.reference_revision,
        reference.dpc_code is not null as has_reference,
        coalesce(reference.is_bundled, false) as is_bundled_code,
        reference.national_mean_los_stand_in,
        reference.national_mean_points_per_stay_stand_in,
        reference.relative_weight,
        reference.mdc_relative_weight,
        reference.period_1_days,
        reference.period_2_days,
        reference.period_3_days,
        case when reference.is_bundled then discharges.los_days > reference.period_2_days end
            as is_over_period_2,
        case
            when reference.is_bundled and discharges.los_days > reference.period_2_days
                then discharges.los_days - reference.period_2_days
            when reference.is_bundled then 0
        end as days_beyond_period_2,
        coalesce(readmission_flags.is_general_ward_discharge, false) as is_general_ward_discharge,
        coalesce(readmission_flags.is_unplanned_readmitted_4w, false) as is_unplanned_readmitted_4w,
        coalesce(readmission_flags.is_readmitted_4w, false) as is_readmitted_4w,
        coalesce(readmission_flags.is_readmitted_6w_same_dpc6, false) as is_readmitted_6w_same_dpc6
    from discharges
    left join reference
        on discharges.reference_revision = reference.revision
        and lower(discharges.dpc_code) = reference.dpc_code
    left join readmission_flags
        on discharges.stay_id = readmission_flags.stay_id
)

select * from final
