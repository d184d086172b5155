{#- Operations of each stay from 様式1 item A007010 (one row per 連番): from the stay's form of its latest
    delivery (int_form1__stays). -#}
{{
    config(
        materialized='incremental',
        unique_key='stay_id',
        pre_hook="{{ replace_touched_rows('stays') }}",
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

stays as (
    select
        stay_id,
        latest_yyyymm,
        form_no
    from {{ ref('int_form1__stays') }}
    {%- if is_incremental() %}
    where {{ touched_predicate('stays') }}
    {%- endif %}
),

final as (
    select
        {{ surrogate_key(['form1.stay_id', 'form1.seq']) }} as procedure_id,
        form1.stay_id,
        form1.seq,
        {{ parse_yyyymmdd('form1.payload_1') }} as operation_date,
        form1.payload_2 as k_code,
        form1.payload_3 as anaesthesia_code
    from form1
    inner join stays
        on form1.stay_id = stays.stay_id
        and form1.yyyymm = stays.latest_yyyymm
        and form1.parent_info_no = stays.form_no
    where form1.item_code = 'A007010'
)

select * from final
