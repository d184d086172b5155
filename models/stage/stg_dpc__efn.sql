{#- Inpatient EF itemised billing lines, typed: E rows (detail_no 0, the act) and F rows (its items). -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'efn') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select
        {{ surrogate_key(['facility_code', 'patient_key', 'admission_date']) }} as stay_id,
        {{ surrogate_key(['facility_code', 'yyyymm', 'source_file', 'line_number']) }} as billing_line_id,
        facility_code,
        patient_key,
        {{ parse_yyyymmdd('admission_date') }} as admission_date,
        {{ parse_yyyymmdd('discharge_date') }} as discharge_date,
        data_category,
        sequence_no,
        detail_no,
        detail_no = 0 as is_act_row,
        hospital_master_code,
        receipt_code,
        interpretation_no,
        item_name,
        quantity,
        unit_code,
        item_points,
        yen_point_flag,
        ffs_points,
        detail_flags,
        act_points,
        act_drug_points,
        act_material_points,
        act_count,
        insurer_class,
        receipt_type,
        {{ parse_yyyymmdd('service_date') }} as service_date,
        receipt_dept,
        clinical_dept,
        doctor_code,
        ward_code,
        ward_type,
        in_out_flag,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
