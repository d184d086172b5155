{#-
  Every stay this run recomputes: all stays — in every delivery and every version of it — of each patient
  who appears in one of the run's deliveries (int_stays__delivery_versions). Patient-wide, so that it
  covers what a delivery changes beyond its own month: a readmission delivered in April changes the
  readmission flag of the patient's March stay, and a stay a corrected re-delivery dropped is found in the
  delivery's previous version and removed. Stay-level models delete and recompute these stays.
-#}
{{ config(dist='stay_id') -}}

with versions as (
    select * from {{ ref('int_stays__delivery_versions') }}
),

touched_patients as (
    select distinct
        facility_code,
        patient_key
    from versions
    {%- if incremental_scope() == 'deliveries' %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select distinct
        versions.facility_code,
        versions.patient_key,
        versions.stay_id
    from versions
    inner join touched_patients
        on versions.facility_code = touched_patients.facility_code
        and versions.patient_key = touched_patients.patient_key
)

select * from final
