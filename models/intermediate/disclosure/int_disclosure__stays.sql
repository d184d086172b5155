{#-
  The population of the 病院指標 (病院情報の公表, docs/hospital-indicators.md): one row per discharged stay with
  every condition of the ministry's 集計条件 as its own flag, and is_in_population when all of them hold:
    - discharged in the fiscal year (April–March by 退院年月日; int_indicators__stays);
    - stayed at least once in the 一般病棟グループ (A000050 ②, p54: is_general_ward_discharge);
    - medical insurance only: 様式4 医療保険外との組合せ = 1 医科レセプトのみ (p140); a stay without a 様式4 row
      is left out (its payer is unknown);
    - not dead within 24 hours of admission (A000030 ④ = 1 or 2, p22, p52);
    - not a newborn who died within 7 days of birth (早期新生児死亡: died, A000030 ③ = 6 or 7, p51, on a day
      fewer than 7 days after birth, from neonatal_age_days_at_admission + the days in hospital; the normaliser
      keeps an age in days for newborns only, never the birth date);
    - not an organ transplant (様式1 A007010 ② 点数表コード of a transplant of var('disclosure_transplant_k_codes'),
      p28, p83).
  los_days is inclusive (入院日から退院日まで, both counted). Departments are the hospital's own codes (A000040,
  p53), named from ref_facility_department before the specification's list ref_department.
-#}
with indicator_stays as (
    select * from {{ ref('int_indicators__stays') }}
),

form_stays as (
    select * from {{ ref('int_form1__stays') }}
),

form4 as (
    select * from {{ ref('stg_dpc__ff4') }}
),

procedures as (
    select * from {{ ref('int_form1__procedures') }}
),

departments as (
    select * from {{ ref('ref_department') }}
),

facility_departments as (
    select * from {{ ref('ref_facility_department') }}
),

latest_form4 as (
    select
        stay_id,
        non_insurance_combination,
        row_number() over (partition by stay_id order by yyyymm desc, line_number desc) as recency
    from form4
),

transplants as (
    select distinct stay_id
    from procedures
    where
    {%- for code in var('disclosure_transplant_k_codes') %}
        {% if not loop.first %}or {% endif %}k_code like '{{ code }}%'
    {%- endfor %}
),

joined as (
    select
        indicator_stays.stay_id,
        indicator_stays.facility_code,
        indicator_stays.fiscal_year,
        indicator_stays.admission_date,
        indicator_stays.discharge_date,
        indicator_stays.los_days,
        indicator_stays.dpc_code,
        indicator_stays.dpc6,
        indicator_stays.national_mean_los_stand_in,
        indicator_stays.is_general_ward_discharge,
        form_stays.sex_code,
        form_stays.age_at_admission,
        form_stays.neonatal_age_days_at_admission,
        form_stays.department_code,
        coalesce(facility_departments.name_ja, departments.name_ja, form_stays.department_code) as department_name,
        form_stays.discharge_destination_code,
        form_stays.discharge_outcome_code,
        form_stays.death_within_24h_code,
        form_stays.admission_icd10,
        form_stays.most_resource_icd10,
        {{ dbt.datediff('indicator_stays.admission_date', 'indicator_stays.discharge_date', 'day') }}
            as days_in_hospital,
        latest_form4.non_insurance_combination,
        transplants.stay_id is not null as is_transplant
    from indicator_stays
    inner join form_stays
        on indicator_stays.stay_id = form_stays.stay_id
    left join latest_form4
        on indicator_stays.stay_id = latest_form4.stay_id
        and latest_form4.recency = 1
    left join transplants
        on indicator_stays.stay_id = transplants.stay_id
    left join facility_departments
        on form_stays.facility_code = facility_departments.facility_code
        and form_stays.department_code = facility_departments.code
    left join departments
        on form_stays.department_code = departments.code
),

flagged as (
    select
        *,
        coalesce(non_insurance_combination = '1', false) as is_medical_insurance_only,
        coalesce(death_within_24h_code in ('1', '2'), false) as is_death_within_24h,
        coalesce(
            discharge_outcome_code in ('6', '7')
            and neonatal_age_days_at_admission + days_in_hospital < 7,
            false
        ) as is_early_neonatal_death
    from joined
),

final as (
    select
        stay_id,
        facility_code,
        fiscal_year,
        admission_date,
        discharge_date,
        los_days,
        dpc_code,
        dpc6,
        national_mean_los_stand_in,
        sex_code,
        age_at_admission,
        department_code,
        department_name,
        discharge_destination_code,
        coalesce(discharge_destination_code = '4', false) as is_transfer_out,
        admission_icd10,
        most_resource_icd10,
        is_general_ward_discharge,
        is_medical_insurance_only,
        is_death_within_24h,
        is_early_neonatal_death,
        is_transplant,
        is_general_ward_discharge
        and is_medical_insurance_only
        and not is_death_within_24h
        and not is_early_neonatal_death
        and not is_transplant as is_in_population
    from flagged
)

select * from final
