{#-
  病院指標 7 その他（DIC、敗血症、その他の真菌症および手術・術後の合併症の発生率）: per facility × fiscal year, the
  stays of the population whose DPC6 (the stay's 分類番号 from D) is 130100 播種性血管内凝固症候群, 180010 敗血症,
  180035 その他の真菌感染症 or 180040 手術・処置等の合併症, split by whether the 入院の契機となった傷病名 (A006020,
  p26) is the same as the 医療資源を最も投入した傷病名 (A006030, p27): 'same' when both ICD-10 codes share their
  3-character category — a stand-in for "same DPC6" until the ministry's ICD→DPC6 table is seeded
  (docs/hospital-indicators.md). Cases and 発生率 = cases ÷ the population's discharges of the year (in %, 2
  decimals). Every row listed; a row with fewer than var('hospital_indicator_min_cases') cases masked. Stays
  without a DPC code (出来高算定病院) cannot be placed and are out of scope.
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

conditions as (
    {%- for v0, v1, v2 in [
        (1, '130100', '播種性血管内凝固症候群'),
        (2, '180010', '敗血症'),
        (3, '180035', 'その他の真菌感染症'),
        (4, '180040', '手術・処置等の合併症')
    ] %}
    select
        {{ v0 }} as condition_order,
        '{{ v1 }}' as dpc6,
        '{{ v2 }}' as condition_ja
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

admission_relations as (
    {%- for v0, v1, v2 in [
        (1, 'same', '同一'),
        (2, 'different', '異なる')
    ] %}
    select
        {{ v0 }} as relation_order,
        '{{ v1 }}' as admission_relation,
        '{{ v2 }}' as admission_relation_ja
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

facility_years as (
    select
        facility_code,
        fiscal_year,
        count(*) as discharges
    from population
    group by facility_code, fiscal_year
),

classified as (
    select
        facility_code,
        fiscal_year,
        dpc6,
        case
            when substr(admission_icd10, 1, 3) = substr(most_resource_icd10, 1, 3) then 'same'
            else 'different'
        end as admission_relation
    from population
    where dpc6 in ('130100', '180010', '180035', '180040')
),

counted as (
    select
        facility_code,
        fiscal_year,
        dpc6,
        admission_relation,
        count(*) as cases
    from classified
    group by facility_code, fiscal_year, dpc6, admission_relation
),

final as (
    select
        facility_years.facility_code,
        facility_years.fiscal_year,
        conditions.condition_order * 10 + admission_relations.relation_order as row_order,
        conditions.dpc6,
        conditions.condition_ja,
        admission_relations.admission_relation,
        admission_relations.admission_relation_ja,
        {{ hospital_indicator_value('counted.cases', 'counted.cases') }} as cases,
        {{ hospital_indicator_value(
            'round(100.0 * counted.cases / facility_years.discharges, 2)', 'counted.cases'
        ) }} as incidence_pct,
        {{ hospital_indicator_masked('counted.cases') }} as is_masked
    from facility_years
    cross join conditions
    cross join admission_relations
    left join counted
        on facility_years.facility_code = counted.facility_code
        and facility_years.fiscal_year = counted.fiscal_year
        and conditions.dpc6 = counted.dpc6
        and admission_relations.admission_relation = counted.admission_relation
)

select * from final
