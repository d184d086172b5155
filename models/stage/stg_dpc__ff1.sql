{#- 様式1 as typed code rows: one row per delivered FF1 row (pivoting into stays happens in int_form1__*). -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'ff1') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select
        {{ surrogate_key(['facility_code', 'patient_key', 'admission_date']) }} as stay_id,
        facility_code,
        patient_key,
        {{ parse_yyyymmdd('admission_date') }} as admission_date,
        admission_seq,
        parent_info_no,
        item_code,
        version,
        seq,
        payload_1,
        payload_2,
        payload_3,
        payload_4,
        payload_5,
        payload_6,
        payload_7,
        payload_8,
        payload_9,
        age_at_admission,
        neonatal_age_days_at_admission,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
