{#-
  Every facility × discharge month whose KPIs this run recomputes: the discharge months that any version
  of any delivery gave for a touched stay (int_run__touched_stays) — the month a stay is discharged in
  now, the month it was discharged in before a correction, and the months of the patient's earlier stays
  whose readmission flags the run may change.
-#}
{{ config(dist='all') -}}

with versions as (
    select * from {{ ref('int_stays__delivery_versions') }}
),

touched_stays as (
    select * from {{ ref('int_run__touched_stays') }}
),

final as (
    select distinct
        versions.facility_code,
        versions.discharge_yyyymm
    from versions
    inner join touched_stays
        on versions.stay_id = touched_stays.stay_id
    where versions.discharge_yyyymm is not null
)

select * from final
