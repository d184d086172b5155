{#-
  The cross-facility link keys of each stay (docs/pseudonymisation.md §4), from K生成用データ without its direct
  identifiers. A change of insurance within the month gives two K records for one stay (spec p155 Q&A): they are
  one person and collapse to one row. Records of one stay that give different link keys (a name changed, a birth
  date corrected) keep every distinct key, flagged as a conflict: which one is right is not known. A stay whose
  records give no link key (a partly unknown birth date, p154) has one row with a null key. Internal schema only
  (docs/decisions/0008): nobody but the pipeline reads link keys.
-#}
{{
    config(
        schema='internal',
        materialized='table',
    )
}}

with k_records as (
    select * from {{ ref('stg_dpc__k') }}
),

per_stay as (
    select
        stay_id,
        facility_code,
        patient_key,
        admission_date,
        count(*) as k_records,
        count(distinct link_key) as distinct_link_keys
    from k_records
    group by stay_id, facility_code, patient_key, admission_date
),

stay_keys as (
    select distinct
        stay_id,
        link_key,
        kana_normalisation_version
    from k_records
    where link_key is not null
),

final as (
    select
        per_stay.stay_id,
        per_stay.facility_code,
        per_stay.patient_key,
        per_stay.admission_date,
        stay_keys.link_key,
        stay_keys.kana_normalisation_version,
        per_stay.k_records,
        per_stay.distinct_link_keys > 1 as is_link_key_conflict
    from per_stay
    left join stay_keys
        on per_stay.stay_id = stay_keys.stay_id
)

select * from final
