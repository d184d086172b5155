{#-
  One row per stay with 様式1 forms (docs/decisions/0004), from int_form1__forms:
  - the stay's attributes come from its parent form (統括診療情報番号 0, p40), which covers admission to
    discharge; until the parent arrives (it comes with the discharge month, p48, p55) from the first child form,
    which carries the attributes at admission (p43) — such a stay is not discharged yet;
  - its ward-group periods are its child forms across deliveries (int_form1__ward_periods); the DPC-billed part
    is the 一般病棟グループ (p41, p54): dpc_los_days counts its days and dpc_most_resource_icd10 is the
    医療資源を最も投入した傷病名 of its first 一般病棟グループ form (a child form chooses within its own period, p76);
  - an aggregate form A/B (p40, p125: 一連となる 7 日以内の再入院) shares the first admission's 入院年月日: every
    stay of the patient that it spans is one 一連 episode, keyed by the first stay (serial_episode_stay_id).
  Same-day stays (回数管理番号 1, 2 … for 1日入院, p39) cannot be told apart in D and EF (no 回数管理番号, p199–200):
  they are one stay here, the parent form of the last one, with their number in same_day_admission_count.
-#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        dist='stay_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with forms as (
    select * from {{ ref('int_form1__forms') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

periods as (
    select * from {{ ref('int_form1__ward_periods') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

-- aggregate forms of the patient (a readmission's stay is touched with its patient, docs/engines.md)
aggregate_forms as (
    select
        facility_code,
        patient_key,
        stay_id as serial_episode_stay_id,
        admission_date as episode_start_date,
        coalesce(discharge_date, form_end_date) as episode_end_date
    from forms
    where form_kind = 'aggregate'
),

source_forms as (
    select
        *,
        row_number() over (
            partition by stay_id
            order by
                case form_kind when 'parent' then 0 else 1 end asc,
                case when form_kind = 'parent' then admission_seq else 0 end desc,
                form_start_date asc,
                form_no asc
        ) as preference
    from forms
    where form_kind in ('parent', 'child')
),

same_day as (
    select
        stay_id,
        count(*) as same_day_admission_count
    from forms
    where form_kind = 'parent' and admission_seq > 0
    group by stay_id
),

dpc_periods as (
    select
        stay_id,
        sum(period_days) as dpc_los_days,
        count(*) as dpc_period_count
    from periods
    where ward_group = 'general'
    group by stay_id
),

first_dpc_form as (
    select
        stay_id,
        most_resource_icd10 as dpc_most_resource_icd10,
        readmission_type_code,
        row_number() over (partition by stay_id order by period_start_date, form_no) as dpc_form_rank
    from periods
    where ward_group = 'general'
),

period_counts as (
    select
        stay_id,
        count(*) as ward_period_count,
        max(form_yyyymm) as latest_period_yyyymm
    from periods
    group by stay_id
),

stays as (
    select * from source_forms
    where preference = 1
),

final as (
    select
        stays.stay_id,
        stays.form_id as source_form_id,
        stays.facility_code,
        stays.patient_key,
        stays.admission_date,
        case when stays.form_kind = 'parent' then stays.discharge_date end as discharge_date,
        greatest(stays.form_yyyymm, coalesce(period_counts.latest_period_yyyymm, stays.form_yyyymm))
            as latest_yyyymm,
        stays.form_no,
        stays.form_kind = 'parent' as has_parent_form,
        coalesce(same_day.same_day_admission_count, 1) as same_day_admission_count,
        coalesce(same_day.same_day_admission_count, 0) > 1 as has_same_day_repeat,
        stays.sex_code,
        stays.age_at_admission,
        stays.neonatal_age_days_at_admission,
        stays.admission_route_code,
        stays.admission_type_code,
        stays.ambulance_code,
        stays.discharge_destination_code,
        stays.discharge_outcome_code,
        stays.death_within_24h_code,
        stays.department_code,
        -- A000080 is asked on the form (parent or child) of a readmission whose only group is 一般 (p57)
        coalesce(stays.readmission_type_code, first_dpc_form.readmission_type_code) as readmission_type_code,
        stays.main_icd10,
        stays.main_diagnosis_name,
        stays.admission_icd10,
        stays.most_resource_icd10,
        first_dpc_form.dpc_most_resource_icd10,
        coalesce(period_counts.ward_period_count, 0) as ward_period_count,
        dpc_periods.dpc_los_days,
        coalesce(dpc_periods.dpc_period_count, 0) as dpc_period_count,
        coalesce(aggregate_forms.serial_episode_stay_id, stays.stay_id) as serial_episode_stay_id,
        stays.comorbidity_count,
        stays.complication_count,
        stays.operation_count
    from stays
    left join same_day
        on stays.stay_id = same_day.stay_id
    left join period_counts
        on stays.stay_id = period_counts.stay_id
    left join dpc_periods
        on stays.stay_id = dpc_periods.stay_id
    left join first_dpc_form
        on stays.stay_id = first_dpc_form.stay_id
        and first_dpc_form.dpc_form_rank = 1
    left join aggregate_forms
        on stays.facility_code = aggregate_forms.facility_code
        and stays.patient_key = aggregate_forms.patient_key
        and stays.admission_date between aggregate_forms.episode_start_date and aggregate_forms.episode_end_date
)

select * from final
