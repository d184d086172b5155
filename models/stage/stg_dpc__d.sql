{#- D file (the claim as billed): bundled per-diem rows (data category 93), adjustment rows (94) and
    fee-for-service rows, typed, with each row's points and yen from macros/billed_points.sql (docs/decisions/0007).
    row_points on a 93 row is BEFORE the 医療機関別係数 (p194 D-11): the coefficient applies to a claim month's sum
    (int_d__stay_points), never to a row. -#}
{{
    config(
        materialized='incremental',
        unique_key=['facility_code', 'yyyymm'],
        pre_hook="{{ replace_touched_rows('deliveries') }}",
        on_schema_change='fail',
    )
}}

with source as (
    select * from {{ source('dpc_raw', 'd') }}
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
        data_category,
        data_category = '93' as is_bundled,
        sequence_no,
        hospital_master_code,
        receipt_code,
        interpretation_no,
        act_name,
        act_points,
        act_drug_points,
        act_material_points,
        yen_point_flag,
        act_count,
        insurer_class,
        receipt_type,
        {{ parse_yyyymmdd('service_date') }} as service_date,
        clinical_dept,
        ward_code,
        ward_type,
        {{ parse_yyyymmdd('billing_start_date') }} as billing_start_date,
        {{ parse_yyyymmdd('billing_end_date') }} as billing_end_date,
        {{ parse_yyyymmdd('billing_origin_date') }} as billing_origin_date,
        dpc_code,
        hospital_coefficient,
        -- 行為点数 × 行為回数 of a point row (p194, p199); 行為薬剤料/行為材料料 are inside 行為点数 (再掲, p199)
        {{ d_row_points('act_points', 'act_count', 'yen_point_flag') }} as row_points,
        -- 円・点区分 1 (meals, data category 97, p194 D-14): yen, never points
        {{ d_row_yen('act_points', 'act_count', 'yen_point_flag') }} as yen_amount,
        yyyymm,
        source_file,
        line_number,
        load_id,
        loaded_at
    from source
)

select * from final
