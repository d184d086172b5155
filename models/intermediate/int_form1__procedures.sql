{#- Operations of each stay from 様式1 item A007010 (one row per 連番), latest delivery of the stay. -#}
with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
),

stays as (
    select stay_id, latest_yyyymm from {{ ref('int_form1__stays') }}
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
    where form1.item_code = 'A007010'
)

select * from final
