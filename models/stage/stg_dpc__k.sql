{#- K生成用データ (spec p153–155) without its direct identifiers: the normaliser dropped カナ氏名, the insurance
    numbers and the birth date and kept only the cross-facility link key derived from them (docs/pseudonymisation.md).
    One row per delivered K row (a change of insurance within the month gives two rows for one stay, p155).
    Link keys live in the internal schema, which analysts and learners do not read (docs/decisions/0008). -#}
{{
    config(
        schema='internal',
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'k') }}
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
        service_month,
        sex,
        link_key,
        kana_normalisation_version,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
