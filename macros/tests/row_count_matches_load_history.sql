{#-
  Row-count check of a raw table: per delivery (facility × month), the rows present equal the rows the
  load history says were accepted by the latest load of that delivery (0 when that load had no file of this
  kind). Fails with one row per delivery whose counts differ.
-#}
{% test row_count_matches_load_history(model, kind) %}

with loaded as (
    select facility_code, yyyymm, count(*) as rows_present
    from {{ model }}
    group by facility_code, yyyymm
),

-- the latest load of the delivery, whatever kinds it has (a re-delivery without this kind expects 0 rows)
loads as (
    select
        facility_code,
        yyyymm,
        load_id,
        dense_rank() over (partition by facility_code, yyyymm order by loaded_at desc, load_id desc) as recency
    from {{ source('dpc_dq', 'load_history') }}
),

latest_load as (
    select distinct facility_code, yyyymm, load_id from loads where recency = 1
),

latest as (
    select
        latest_load.facility_code,
        latest_load.yyyymm,
        sum(case when history.kind = '{{ kind }}' then history.accepted_rows else 0 end) as accepted_rows
    from latest_load
    inner join {{ source('dpc_dq', 'load_history') }} as history
        on latest_load.facility_code = history.facility_code
        and latest_load.yyyymm = history.yyyymm
        and latest_load.load_id = history.load_id
    group by latest_load.facility_code, latest_load.yyyymm
)

select
    coalesce(l.facility_code, h.facility_code) as facility_code,
    coalesce(l.yyyymm, h.yyyymm) as yyyymm,
    coalesce(l.rows_present, 0) as rows_present,
    coalesce(h.accepted_rows, 0) as rows_expected
from loaded as l
full outer join latest as h
    on l.facility_code = h.facility_code and l.yyyymm = h.yyyymm
where coalesce(l.rows_present, 0) <> coalesce(h.accepted_rows, 0)

{% endtest %}
