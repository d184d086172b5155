{#-
  Which stays each version (load) of a delivery contained: one row per delivery × load × stay, from the
  様式1, D and EF rows of that load, with the patient and the discharge month that load's 様式1 gave.
  Older versions are kept when a delivery is re-delivered (the incremental run inserts the new load next
  to them): they are the only record of a stay a corrected delivery dropped, and int_run__touched_stays
  needs them to recompute (or remove) such a stay. A full refresh keeps only the current versions.
  Older versions are kept: a load replaces only itself (delete+insert on a unique_key without the stay; where the
  engine merges instead, on the full key, so that a retried load is idempotent). Laid out like the row-level
  models: distributed by stay, sorted and partitioned by month where the engine has these.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge' if target.type == 'athena' else 'delete+insert',
        unique_key=(
            ['facility_code', 'yyyymm', 'load_id', 'stay_id'] if target.type == 'athena'
            else ['facility_code', 'yyyymm', 'load_id']
        ),
        dist='stay_id',
        sort=['yyyymm', 'facility_code'],
        partitioned_by=['yyyymm'] if target.type == 'athena' else none,
        on_schema_change='fail',
    )
}}

with form1 as (
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key,
        item_code,
        payload_1
    from {{ ref('stg_dpc__ff1') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

billing_stays as (
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key
    from {{ ref('stg_dpc__d') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
    union
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key
    from {{ ref('stg_dpc__efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

form1_stays as (
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key,
        max(case when item_code = 'A000030' then payload_1 end) as discharge_date_text
    from form1
    group by facility_code, yyyymm, load_id, stay_id, patient_key
),

all_stays as (
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key
    from form1_stays
    union
    select
        facility_code,
        yyyymm,
        load_id,
        stay_id,
        patient_key
    from billing_stays
),

final as (
    select
        all_stays.facility_code,
        all_stays.yyyymm,
        all_stays.load_id,
        all_stays.stay_id,
        all_stays.patient_key,
        form1_stays.stay_id is not null as in_form1,
        {{ yyyymm_of(parse_yyyymmdd('form1_stays.discharge_date_text')) }} as discharge_yyyymm
    from all_stays
    left join form1_stays
        on all_stays.facility_code = form1_stays.facility_code
        and all_stays.yyyymm = form1_stays.yyyymm
        and all_stays.load_id = form1_stays.load_id
        and all_stays.stay_id = form1_stays.stay_id
)

select * from final
