{#-
  病院指標 4 成人市中肺炎の重症度別患者数等: stays of the population aged 20 or over whose 入院の契機となった傷病名
  (A006020) and 医療資源を最も投入した傷病名 (A006030) are both J13–J18 (p26–27), 市中肺炎 (M040020 ②'s 7th character,
  factor 8 院内/市中, = 5, p100) and not 医療・介護関連肺炎 (M040020 ③ = 1, p100), by A-DROP severity: one point each for
  A 男性70歳以上・女性75歳以上 (from A000010, p21: the 1st factor is not entered, p100), D BUN (1st digit = 1),
  R SpO2 (2nd digit 1 or 2), O 意識障害 (3rd digit = 1), P 血圧 (4th digit = 1); 0 軽症, 1–2 中等症, 3 重症,
  4–5 超重症; 不明 when M040020 ② is missing or not 7 digits (ショック, which the guideline counts as 超重症,
  is not a 様式1 item). Cases, mean length of stay (inclusive) and mean age; every severity listed; a row with
  fewer than var('hospital_indicator_min_cases') cases masked; no total.
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

items as (
    select * from {{ ref('int_disclosure__stay_items') }}
),

severities as (
    {%- for v0, v1, v2 in [
        (1, 'mild', '軽症'),
        (2, 'moderate', '中等症'),
        (3, 'severe', '重症'),
        (4, 'extremely_severe', '超重症'),
        (5, 'unknown', '不明')
    ] %}
    select
        {{ v0 }} as severity_order,
        '{{ v1 }}' as severity,
        '{{ v2 }}' as severity_ja
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

facility_years as (
    select distinct
        facility_code,
        fiscal_year
    from population
),

pneumonia as (
    select
        population.*,
        items.pneumonia_severity_digits as digits
    from population
    inner join items
        on population.stay_id = items.stay_id
    where
        population.age_at_admission >= 20
        and substr(population.admission_icd10, 1, 3) in ('J13', 'J14', 'J15', 'J16', 'J17', 'J18')
        and substr(population.most_resource_icd10, 1, 3) in ('J13', 'J14', 'J15', 'J16', 'J17', 'J18')
        and coalesce(items.healthcare_associated_pneumonia_code, '0') != '1'
        and (items.pneumonia_severity_digits is null or substr(items.pneumonia_severity_digits, 7, 1) = '5')
),

scored as (
    select
        *,
        case
            when digits is null or length(digits) != 7 then null
            else
                case
                    when (sex_code = '1' and age_at_admission >= 70) or (sex_code = '2' and age_at_admission >= 75)
                        then 1
                    else 0
                end
                + case when substr(digits, 1, 1) = '1' then 1 else 0 end
                + case when substr(digits, 2, 1) in ('1', '2') then 1 else 0 end
                + case when substr(digits, 3, 1) = '1' then 1 else 0 end
                + case when substr(digits, 4, 1) = '1' then 1 else 0 end
        end as adrop_score
    from pneumonia
),

counted as (
    select
        facility_code,
        fiscal_year,
        case
            when adrop_score is null then 'unknown'
            when adrop_score = 0 then 'mild'
            when adrop_score <= 2 then 'moderate'
            when adrop_score = 3 then 'severe'
            else 'extremely_severe'
        end as severity,
        count(*) as cases,
        avg(cast(los_days as {{ type_double() }})) as mean_los_days,
        avg(cast(age_at_admission as {{ type_double() }})) as mean_age
    from scored
    group by 1, 2, 3
),

final as (
    select
        facility_years.facility_code,
        facility_years.fiscal_year,
        severities.severity_order,
        severities.severity,
        severities.severity_ja,
        {{ hospital_indicator_value('counted.cases', 'counted.cases') }} as cases,
        {{ hospital_indicator_value('round(counted.mean_los_days, 2)', 'counted.cases') }} as mean_los_days,
        {{ hospital_indicator_value('round(counted.mean_age, 2)', 'counted.cases') }} as mean_age,
        {{ hospital_indicator_masked('counted.cases') }} as is_masked
    from facility_years
    cross join severities
    left join counted
        on facility_years.facility_code = counted.facility_code
        and facility_years.fiscal_year = counted.fiscal_year
        and severities.severity = counted.severity
)

select * from final
