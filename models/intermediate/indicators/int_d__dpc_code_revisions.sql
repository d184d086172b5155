{#-
  The DPC codes of the D file's bundled (93) rows matched to the ministry's table in force on the rows' dates:
  one row per stay × DPC code × revision. A row's date is its 実施年月日 (D-18, p199; 算定開始日 when it is
  missing); the revision in force on it is the one whose valid_from ≤ date ≤ valid_to in ref_dpc_code (the 2024
  table took effect on 2024-06-01, not in April: dpc.masters.revision_for). Codes are compared case-insensitively:
  the tables write the wildcard as 'x' (010010xx9900xx), the specification's examples as 'XX'.
  A stay from 2024-05-20 to 2024-06-10 has May rows matched to the 2022 table and June rows to the 2024 table.
  A code missing from the table in force is is_in_table = false: the warn-level check
  warn_dpc_codes_not_in_table lists it; D's own points remain the billing truth (docs/decisions/0007).
-#}
with d_rows as (
    select
        stay_id,
        facility_code,
        lower(dpc_code) as dpc_code,
        coalesce(service_date, billing_start_date) as code_date
    from {{ ref('stg_dpc__d') }}
    where is_bundled and dpc_code is not null
),

revisions as (
    select distinct
        revision,
        valid_from,
        valid_to
    from {{ ref('ref_dpc_code') }}
),

codes as (
    select
        lower(dpc_code) as dpc_code,
        revision,
        is_bundled
    from {{ ref('ref_dpc_code') }}
),

dated as (
    select
        d_rows.stay_id,
        d_rows.facility_code,
        d_rows.dpc_code,
        d_rows.code_date,
        revisions.revision
    from d_rows
    left join revisions
        on d_rows.code_date >= revisions.valid_from
        and (revisions.valid_to is null or d_rows.code_date <= revisions.valid_to)
),

grouped as (
    select
        stay_id,
        facility_code,
        dpc_code,
        revision,
        min(code_date) as first_code_date,
        max(code_date) as last_code_date,
        count(*) as d_rows
    from dated
    group by stay_id, facility_code, dpc_code, revision
),

final as (
    select
        grouped.stay_id,
        grouped.facility_code,
        grouped.dpc_code,
        grouped.revision,
        grouped.first_code_date,
        grouped.last_code_date,
        grouped.d_rows,
        codes.dpc_code is not null as is_in_table,
        codes.is_bundled
    from grouped
    left join codes
        on grouped.revision = codes.revision
        and grouped.dpc_code = codes.dpc_code
)

select * from final
