{#- Diagnoses of each stay from 様式1, one row per diagnosis item and 連番, from the stay's own form
    (int_form1__stays.source_form_id: the parent form, chosen over the whole stay, p76). -#}
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

diagnosis_rows as (
    select
        form1.stay_id,
        form1.item_code,
        form1.seq,
        form1.payload_2 as icd10_code,
        form1.payload_4 as disease_name_code,
        form1.payload_9 as disease_name
    from form1
    inner join source_forms
        on form1.stay_id = source_forms.stay_id
        and form1.admission_seq = source_forms.admission_seq
        and form1.parent_info_no = source_forms.form_no
        and form1.yyyymm = source_forms.form_yyyymm
    where form1.item_code in ('A006010', 'A006020', 'A006030', 'A006031', 'A006040', 'A006050')
),

final as (
    select
        {{ surrogate_key(['stay_id', 'item_code', 'seq']) }} as diagnosis_id,
        stay_id,
        item_code,
        case item_code
            when 'A006010' then 'main'
            when 'A006020' then 'prompting_admission'
            when 'A006030' then 'most_resources'
            when 'A006031' then 'second_most_resources'
            when 'A006040' then 'comorbidity'
            when 'A006050' then 'complication'
        end as diagnosis_role,
        seq,
        icd10_code,
        disease_name_code,
        disease_name
    from diagnosis_rows
)

select * from final
