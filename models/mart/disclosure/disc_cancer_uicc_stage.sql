{#-
  病院指標 3 初発の5大癌のUICC病期分類別並びに再発患者数: per facility × fiscal year × cancer (胃癌 C16, 大腸癌
  C18–C20, 乳癌 C50, 肺癌 C34, 肝癌 C22 by 医療資源を最も投入した傷病名, A006030, p27), stays (延べ患者数) of the
  population: 初発 (CAN0010 ③ = 0, p29, p87) by UICC stage I–IV or 不明, and 再発 (CAN0010 ③ = 1). The stage is
  derived from CAN0020 ③–⑤ (T, N, M, p29, p88–89) by int_disclosure__cancer_stays. Each count with fewer
  than var('hospital_indicator_min_cases') stays is masked on its own; no total is published. uicc_edition is the
  latest 版 (CAN0020 ⑥) used for the cancer's 初発 stays.
-#}
with cancer_stays as (
    select * from {{ ref('int_disclosure__cancer_stays') }}
),

cancers as (
    {%- for v0, v1, v2 in [
        (1, 'stomach', '胃癌'),
        (2, 'colorectum', '大腸癌'),
        (3, 'breast', '乳癌'),
        (4, 'lung', '肺癌'),
        (5, 'liver', '肝癌')
    ] %}
    select
        {{ v0 }} as cancer_order,
        '{{ v1 }}' as cancer_site,
        '{{ v2 }}' as cancer_name_ja
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

facility_years as (
    select distinct
        facility_code,
        fiscal_year
    from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

counted as (
    select
        facility_code,
        fiscal_year,
        cancer_site,
        sum(case when is_first_onset and uicc_stage = 'I' then 1 else 0 end) as stage_1,
        sum(case when is_first_onset and uicc_stage = 'II' then 1 else 0 end) as stage_2,
        sum(case when is_first_onset and uicc_stage = 'III' then 1 else 0 end) as stage_3,
        sum(case when is_first_onset and uicc_stage = 'IV' then 1 else 0 end) as stage_4,
        sum(case when is_first_onset and uicc_stage = 'unknown' then 1 else 0 end) as stage_unknown,
        sum(case when is_recurrence then 1 else 0 end) as recurrence,
        max(case when is_first_onset then uicc_edition end) as uicc_edition
    from cancer_stays
    group by facility_code, fiscal_year, cancer_site
),

final as (
    select
        facility_years.facility_code,
        facility_years.fiscal_year,
        cancers.cancer_order,
        cancers.cancer_site,
        cancers.cancer_name_ja,
        {%- for column in ['stage_1', 'stage_2', 'stage_3', 'stage_4', 'stage_unknown', 'recurrence'] %}
        {{ hospital_indicator_value('counted.' ~ column, 'counted.' ~ column) }} as {{ column }},
        {%- endfor %}
        counted.uicc_edition
    from facility_years
    cross join cancers
    left join counted
        on facility_years.facility_code = counted.facility_code
        and facility_years.fiscal_year = counted.fiscal_year
        and cancers.cancer_site = counted.cancer_site
)

select * from final
