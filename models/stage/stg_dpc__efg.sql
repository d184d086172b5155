{#- Outpatient EF itemised billing lines, typed. Column 3 carries the birth date in this file kind; the normaliser
    reduced it to age_at_visit, and column 4 is the visit date. Outpatient lines belong to no stay: they are
    distributed evenly, not by stay_id as the other stage models. -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        dist='even',
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
        -- SY (傷病名) rows carry the visit month only, yyyymm00 (spec p201 (3))
        cast(substring(visit_date, 1, 6) as integer) as visit_yyyymm,
        data_category,
        data_category = 'SY' as is_diagnosis_row,
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
        -- 実施年月日, or on SY rows the 診療開始日, which may be before the month (p202 (8))
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
