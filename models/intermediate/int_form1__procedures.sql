{#- Operations of each stay from 様式1 item A007010 (one row per 連番, up to 10, p81), from the stay's own form
    (int_form1__stays.source_form_id: the parent form, which lists every operation of the stay, p81). The payloads
    as p28 defines them: ① 手術日, ② 点数表コード, ③ 手術基幹コード (STEM7), ④ 手術回数, ⑤ 手術側数, ⑥ 麻酔,
    ⑦ 予防的抗菌薬投与, ⑨ 手術名. -#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
        dist='stay_id',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_run__touched_stays') }}

with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

forms as (
    select * from {{ ref('int_form1__forms') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

stays as (
    select
        stay_id,
        source_form_id
    from {{ ref('int_form1__stays') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

source_forms as (
    select
        forms.stay_id,
        forms.admission_seq,
        forms.form_no,
        forms.form_yyyymm
    from forms
    inner join stays
        on forms.form_id = stays.source_form_id
),

final as (
    select
        {{ surrogate_key(['form1.stay_id', 'form1.seq']) }} as procedure_id,
        form1.stay_id,
        form1.seq,
        {{ parse_yyyymmdd('form1.payload_1') }} as operation_date,
        form1.payload_2 as k_code,
        form1.payload_3 as stem7_code,
        form1.payload_4 as surgery_count_code,
        form1.payload_5 as surgery_side_code,
        form1.payload_6 as anaesthesia_code,
        form1.payload_7 as prophylactic_antibiotics_code,
        form1.payload_9 as operation_name
    from form1
    inner join source_forms
        on form1.stay_id = source_forms.stay_id
        and form1.admission_seq = source_forms.admission_seq
        and form1.parent_info_no = source_forms.form_no
        and form1.yyyymm = source_forms.form_yyyymm
    where form1.item_code = 'A007010'
)

select * from final
