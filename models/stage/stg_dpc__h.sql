{#- H file (重症度、医療・看護必要度, nursing necessity; spec p144–152): one row per patient × ward × evaluation day ×
    item. Header part + コード/バージョン/連番 + ペイロード1–20 (p146). -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'h') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select
        {{ surrogate_key(['facility_code', 'patient_key', 'admission_date']) }} as stay_id,
        facility_code,
        ward_code,
        patient_key,
        {{ parse_yyyymmdd('admission_date') }} as admission_date,
        {{ parse_yyyymmdd('discharge_date') }} as discharge_date,
        {{ parse_yyyymmdd('service_date') }} as evaluation_date,
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
        payload_10,
        payload_11,
        payload_12,
        payload_13,
        payload_14,
        payload_15,
        payload_16,
        payload_17,
        payload_18,
        payload_19,
        payload_20,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
