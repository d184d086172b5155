{#-
  Row-count check of a raw table: per delivery (facility × month), the rows present equal the rows the
  load history says were accepted by the latest load of that delivery. Fails with one row per delivery
  whose counts differ.
-#}
{% test row_count_matches_load_history(model, kind) %}

with loaded as (
    select facility_code, yyyymm, count(*) as rows_present
    from {{ model }}
    group by facility_code, yyyymm
),

history as (
    select facility_code, yyyymm, accepted_rows, loaded_at,
        row_number() over (partition by facility_code, yyyymm order by loaded_at desc, load_id desc) as recency
    from {{ source('dpc_dq', 'load_history') }}
    where kind = '{{ kind }}'
),

latest as (
    select facility_code, yyyymm, accepted_rows from history where recency = 1
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
