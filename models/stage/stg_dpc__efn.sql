{#- Inpatient EF itemised billing lines, typed: E rows (detail_no 0, the act) and F rows (its items).
    The 行為明細区分情報 digits the points measures need are split out (positions: p188, dpc/specdata/detail_flags.json;
    null when the field is not the 12-digit FY2025 form, e.g. empty on act rows). is_yen_act marks the rows of an act
    billed in yen (円・点区分 1 on its E row: meals 97 and 先進医療, p185); an item row's own 円・点区分 says only that
    its drug/material price (EF-14) is in yen, while its 出来高実績点数 stays in points (p185, p198 F-17/F-18). -#}
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
        data_category = '97' or max(case when detail_no = 0 and yen_point_flag = '1' then 1 else 0 end) over (
            partition by facility_code, patient_key, admission_date, yyyymm, data_category, sequence_no
        ) = 1 as is_yen_act,
        ffs_points,
        detail_flags,
        -- ① 退院時処方区分, ② 入院料包括項目区分, ③ 持参薬区分, ⑥ 基本的検体検査実施料及び基本的エックス線診断料包括項目区分 (p188)
        case when length(detail_flags) = 12 then substring(detail_flags, 1, 1) end as discharge_prescription_flag,
        case when length(detail_flags) = 12 then substring(detail_flags, 2, 1) end as inpatient_fee_bundle_flag,
        case when length(detail_flags) = 12 then substring(detail_flags, 3, 1) end as brought_in_drug_flag,
        case when length(detail_flags) = 12 then substring(detail_flags, 6, 1) end as basic_test_xray_bundle_flag,
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
