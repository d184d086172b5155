{#-
  The items behind every data-quality figure of the 保険診療指数 (docs/insurance-index-quality.md): one row per item
  a figure counts in its denominator, is_offending on those it counts in its numerator. Every figure is dated by
  the stay's discharge (退院年月日): the month of discharge and its fiscal year.
  - unspecified_main_diagnosis: per discharged stay (parent form, 統括診療情報番号 0), its 医療資源を最も投入した
    傷病名 (A006030 ②, p76); offending when ref_icd10_caution marks the code 部位不明・詳細不明コード (p157–p180).
  - uncoded_diagnosis: every 様式1 diagnosis item (A006010 … A006050) of every form of a discharged stay;
    offending when its 傷病名コード is 0000999 (未コード化傷病名, p76).
  - consistency between the files (one row per discharged stay the check looks at):
    form1_without_ef (a 様式1 parent form, no 入院EF row), ef_without_form1 (入院EF with a discharge, no 様式1
    stay), d_without_form1 (D with a discharge, no 様式1 stay), form1_without_form4 (様式4 covers every discharge,
    p140), form4_without_form1, form4_no_claim_with_ef (様式4 3 保険請求なし while 入院EF bills the stay, p140),
    discharge_date_mismatch (様式1's 退院年月日 differs from 入院EF's).
-#}

with stays as (
    select
        stay_id,
        facility_code,
        discharge_date,
        most_resource_icd10
    from {{ ref('int_form1__stays') }}
    where has_parent_form and discharge_date is not null
),

forms as (
    select * from {{ ref('int_form1__forms') }}
),

form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
),

unspecified_codes as (
    select distinct icd10_code
    from {{ ref('ref_icd10_caution') }}
    where is_unspecified
),

ef_stays as (
    select
        stay_id,
        facility_code,
        max(discharge_date) as discharge_date
    from {{ ref('stg_dpc__efn') }}
    group by stay_id, facility_code
),

d_stays as (
    select
        stay_id,
        facility_code,
        max(discharge_date) as discharge_date
    from {{ ref('stg_dpc__d') }}
    group by stay_id, facility_code
),

form4 as (
    select
        stay_id,
        facility_code,
        max(discharge_date) as discharge_date,
        max(non_insurance_combination) as non_insurance_combination
    from {{ ref('stg_dpc__ff4') }}
    group by stay_id, facility_code
),

diagnosis_items as (
    select
        stays.stay_id,
        stays.facility_code,
        stays.discharge_date,
        form1.item_code,
        form1.payload_4 as disease_name_code
    from form1
    inner join forms
        on form1.stay_id = forms.stay_id
        and form1.admission_seq = forms.admission_seq
        and form1.parent_info_no = forms.form_no
        and form1.yyyymm = forms.form_yyyymm
    inner join stays
        on forms.stay_id = stays.stay_id
    where form1.item_code in ('A006010', 'A006020', 'A006030', 'A006031', 'A006040', 'A006050')
),

unspecified_main_diagnosis as (
    select
        'unspecified_main_diagnosis' as figure,
        stays.facility_code,
        stays.discharge_date,
        stays.stay_id,
        stays.most_resource_icd10 as code,
        unspecified_codes.icd10_code is not null as is_offending
    from stays
    left join unspecified_codes
        on replace(stays.most_resource_icd10, '.', '') = unspecified_codes.icd10_code
),

uncoded_diagnosis as (
    select
        'uncoded_diagnosis' as figure,
        facility_code,
        discharge_date,
        stay_id,
        item_code as code,
        coalesce(disease_name_code = '0000999', false) as is_offending
    from diagnosis_items
),

form1_without_ef as (
    select
        'form1_without_ef' as figure,
        stays.facility_code,
        stays.discharge_date,
        stays.stay_id,
        cast(null as {{ dbt.type_string() }}) as code,
        ef_stays.stay_id is null as is_offending
    from stays
    left join ef_stays
        on stays.stay_id = ef_stays.stay_id
),

ef_without_form1 as (
    select
        'ef_without_form1' as figure,
        ef_stays.facility_code,
        ef_stays.discharge_date,
        ef_stays.stay_id,
        cast(null as {{ dbt.type_string() }}) as code,
        stays.stay_id is null as is_offending
    from ef_stays
    left join stays
        on ef_stays.stay_id = stays.stay_id
    where ef_stays.discharge_date is not null
),

d_without_form1 as (
    select
        'd_without_form1' as figure,
        d_stays.facility_code,
        d_stays.discharge_date,
        d_stays.stay_id,
        cast(null as {{ dbt.type_string() }}) as code,
        stays.stay_id is null as is_offending
    from d_stays
    left join stays
        on d_stays.stay_id = stays.stay_id
    where d_stays.discharge_date is not null
),

form1_without_form4 as (
    select
        'form1_without_form4' as figure,
        stays.facility_code,
        stays.discharge_date,
        stays.stay_id,
        cast(null as {{ dbt.type_string() }}) as code,
        form4.stay_id is null as is_offending
    from stays
    left join form4
        on stays.stay_id = form4.stay_id
),

form4_without_form1 as (
    select
        'form4_without_form1' as figure,
        form4.facility_code,
        form4.discharge_date,
        form4.stay_id,
        form4.non_insurance_combination as code,
        stays.stay_id is null as is_offending
    from form4
    left join stays
        on form4.stay_id = stays.stay_id
    where form4.discharge_date is not null
),

form4_no_claim_with_ef as (
    select
        'form4_no_claim_with_ef' as figure,
        form4.facility_code,
        form4.discharge_date,
        form4.stay_id,
        form4.non_insurance_combination as code,
        form4.non_insurance_combination = '3' and ef_stays.stay_id is not null as is_offending
    from form4
    left join ef_stays
        on form4.stay_id = ef_stays.stay_id
    where form4.discharge_date is not null
),

discharge_date_mismatch as (
    select
        'discharge_date_mismatch' as figure,
        stays.facility_code,
        stays.discharge_date,
        stays.stay_id,
        cast(null as {{ dbt.type_string() }}) as code,
        coalesce(ef_stays.discharge_date <> stays.discharge_date, true) as is_offending
    from stays
    inner join ef_stays
        on stays.stay_id = ef_stays.stay_id
),

unioned as (
    select * from unspecified_main_diagnosis
    union all
    select * from uncoded_diagnosis
    union all
    select * from form1_without_ef
    union all
    select * from ef_without_form1
    union all
    select * from d_without_form1
    union all
    select * from form1_without_form4
    union all
    select * from form4_without_form1
    union all
    select * from form4_no_claim_with_ef
    union all
    select * from discharge_date_mismatch
),

final as (
    select
        figure,
        facility_code,
        cast({{ fiscal_year('discharge_date') }} as integer) as fiscal_year,
        {{ yyyymm_of('discharge_date') }} as yyyymm,
        stay_id,
        code,
        is_offending
    from unioned
)

select * from final
