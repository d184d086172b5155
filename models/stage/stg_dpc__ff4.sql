{#- 様式4 (spec p140–142): one row per discharge, saying whether the stay combined medical insurance with
    anything else (dental, no insurance claim, other schemes such as 労災/自賠責, …). -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'ff4') }}
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
        {{ parse_yyyymmdd('discharge_date') }} as discharge_date,
        non_insurance_combination,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
