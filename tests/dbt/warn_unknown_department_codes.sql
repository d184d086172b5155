{#-
  Warn (does not stop publication): 診療科 codes of the published stays and billing lines that are neither in
  別紙-1 (ref_department, spec p208) nor among the hospital's own codes (ref_facility_department): the
  specification lets hospitals add their own (p53), so an unknown code is a question for the hospital, not a fault
  (docs/decisions/0025). One row per facility and unknown code, with where it was seen.
-#}
{{ config(severity='warn') }}

with admissions as (
    select * from {{ ref('fct_admissions') }}
),

billing_lines as (
    select * from {{ ref('fct_billing_lines') }}
),

national as (
    select * from {{ ref('ref_department') }}
),

own as (
    select * from {{ ref('ref_facility_department') }}
),

used as (
    select
        facility_code,
        department_code as code,
        'fct_admissions.department_code' as seen_in
    from admissions
    where department_code is not null
    union
    select
        facility_code,
        clinical_dept as code,
        'fct_billing_lines.clinical_dept' as seen_in
    from billing_lines
    where clinical_dept is not null
),

final as (
    select
        used.facility_code,
        used.code,
        used.seen_in
    from used
    left join national
        on used.code = national.code
    left join own
        on used.facility_code = own.facility_code
        and used.code = own.code
    where national.code is null and own.code is null
)

select * from final
