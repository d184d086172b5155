{#- Outpatient EF itemised billing lines, typed. Column 3 carries the birth date in this file kind; the normaliser
    reduced it to age_at_visit, and column 4 is the visit date. -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'efg') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('deliveries') }}
    {%- endif %}
),

final as (
    select
        {{ surrogate_key(['facility_code', 'yyyymm', 'source_file', 'line_number']) }} as billing_line_id,
        facility_code,
        patient_key,
        age_at_visit,
        {{ parse_yyyymmdd('visit_date') }} as visit_date,
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
        act_points,
        act_drug_points,
        act_material_points,
        act_count,
        {{ parse_yyyymmdd('service_date') }} as service_date,
        clinical_dept,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
