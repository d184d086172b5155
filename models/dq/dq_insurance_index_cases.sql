{#- The rows behind the 保険診療指数 data-quality figures (fct_insurance_index_quality): every offending item,
    with the facility, fiscal year and month of discharge it counts in, the stay (pseudonymous key) and the code
    (the ICD-10 for unspecified_main_diagnosis, the 様式1 item for uncoded_diagnosis, the 様式4 code for the 様式4
    checks). What a coder opens to correct the data (docs/insurance-index-quality.md). -#}

with cases as (
    select * from {{ ref('int_insurance_index__cases') }}
),

final as (
    select
        figure,
        facility_code,
        fiscal_year,
        yyyymm,
        stay_id,
        code
    from cases
    where is_offending
)

select * from final
