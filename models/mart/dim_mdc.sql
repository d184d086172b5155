{#- The 18 major diagnostic categories (主要診断群, MDC). -#}
{{ config(dist='all') -}}

with mdc as (
    select * from {{ ref('ref_mdc') }}
),

final as (
    select
        mdc_code,
        name_ja as mdc_name_ja,
        name_en as mdc_name_en
    from mdc
)

select * from final
