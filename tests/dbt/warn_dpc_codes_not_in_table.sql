{#-
  Warn-level (tests/dbt/_dq_warnings.yml): DPC codes on D bundled (93) rows that the ministry's table in force on
  the rows' 実施年月日 does not list (int_d__dpc_code_revisions: matched case-insensitively to ref_dpc_code of the
  revision valid on that date), or rows dated outside every vendored revision (revision null). D's own points are
  the billing truth, so this never stops publication: such stays simply have no reference row (no indices,
  coverage or overrun). One row per facility × code × revision.
-#}
select
    facility_code,
    dpc_code,
    revision,
    count(distinct stay_id) as stays,
    sum(d_rows) as d_rows,
    min(first_code_date) as first_code_date,
    max(last_code_date) as last_code_date
from {{ ref('int_d__dpc_code_revisions') }}
where not is_in_table
group by facility_code, dpc_code, revision
