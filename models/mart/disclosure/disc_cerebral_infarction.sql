{#-
  病院指標 5 脳梗塞の患者数等: stays of the population whose 医療資源を最も投入した傷病名 (A006030, p27) is I63
  脳梗塞, by the time from onset to admission (M010010 ③ 脳卒中の発症時期, p31, p98): 1 発症3日目以内 → '3日以内',
  every other value (4日目以降, 無症候, not entered) → 'その他'. Cases, mean length of stay (inclusive), mean age and
  転院率 (退院先 4, p49, in %); both rows listed; a row with fewer than var('hospital_indicator_min_cases') cases
  masked; no total.
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

items as (
    select * from {{ ref('int_disclosure__stay_items') }}
),

onsets as (
    {%- for v0, v1, v2 in [
        (1, 'within_3_days', '3日以内'),
        (2, 'other', 'その他')
    ] %}
    select
        {{ v0 }} as onset_order,
        '{{ v1 }}' as onset,
        '{{ v2 }}' as onset_ja
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

infarctions as (
    select
        population.*,
        case when items.stroke_onset_code = '1' then 'within_3_days' else 'other' end as onset
    from population
    left join items
        on population.stay_id = items.stay_id
    where population.most_resource_icd10 like 'I63%'
),

counted as (
    select
        facility_code,
        fiscal_year,
        onset,
        count(*) as cases,
        avg(cast(los_days as {{ type_double() }})) as mean_los_days,
        avg(cast(age_at_admission as {{ type_double() }})) as mean_age,
        100.0 * sum(case when is_transfer_out then 1 else 0 end) / count(*) as transfer_rate_pct
    from infarctions
    group by 1, 2, 3
),

final as (
    select
        facility_years.facility_code,
        facility_years.fiscal_year,
        onsets.onset_order,
        onsets.onset,
        onsets.onset_ja,
        {{ hospital_indicator_value('counted.cases', 'counted.cases') }} as cases,
        {{ hospital_indicator_value('round(counted.mean_los_days, 2)', 'counted.cases') }} as mean_los_days,
        {{ hospital_indicator_value('round(counted.mean_age, 2)', 'counted.cases') }} as mean_age,
        {{ hospital_indicator_value('round(counted.transfer_rate_pct, 2)', 'counted.cases') }} as transfer_rate_pct,
        {{ hospital_indicator_masked('counted.cases') }} as is_masked
    from facility_years
    cross join onsets
    left join counted
        on facility_years.facility_code = counted.facility_code
        and facility_years.fiscal_year = counted.fiscal_year
        and onsets.onset = counted.onset
)

select * from final
