{#-
  医療の質指標 published beside the 病院指標, the ones the DPC files support: those whose inputs are 様式1 items the
  specification marks ＊ 機能評価係数Ⅱの評価項目 (p24–25) or the operation's 予防的抗菌薬投与 (A007010 ⑦, p28), per
  facility × fiscal year over the 病院指標 population (int_disclosure__stays), with numerator, denominator and rate:
    falls                    転倒・転落発生率 = Σ A004040 ② ÷ Σ inclusive days in hospital, ‰ (p25, p67);
    falls_level_3b           レベル3b以上の転倒・転落発生率 = Σ A004040 ③ ÷ Σ days, ‰ (p25, p67);
    prophylactic_antibiotics 手術開始前1時間以内の予防的抗菌薬投与率 = operations under general anaesthesia
                             (A007010 ⑥ 1 or 6) with ⑦ = 1 ÷ those with ⑦ 1–3 (an antibiotic given), % (p28, p85);
    pressure_ulcer_d2        d2以上の褥瘡発生率 = stays whose 入院中の最大深度 (A001040 ⑤, DESIGN-R depth digit) is
                             2–6 ÷ Σ days, over stays without a d2+ ulcer at admission (③), % (p24, p62–63);
    nutrition_assessment     65歳以上の患者の入院早期の栄養アセスメント実施割合 = stays aged 65+ with A004030 ⑨ = 1 ÷
                             those with ⑨ entered, % (p25, p66);
    restraint                身体的拘束の実施率 = Σ A004050 ② ÷ Σ days, % (p25, p68).
  A stay counts in an indicator only when the hospital entered its item (they are optional, asked from admissions
  of 2024-06-01, p63–68). A row whose denominator is under var('hospital_indicator_min_cases') is masked whole.
  Out of scope (they need data the DPC files do not carry in a usable form, docs/hospital-indicators.md): 肺血栓塞栓症
  の予防対策 (the surgery risk levels), 血液培養2セット and 広域スペクトル抗菌薬使用時の細菌培養 (drug and test
  classifications not in this repository).
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

items as (
    select * from {{ ref('int_disclosure__stay_items') }}
),

procedures as (
    select * from {{ ref('int_form1__procedures') }}
),

stays as (
    select
        population.facility_code,
        population.fiscal_year,
        population.stay_id,
        population.los_days,
        population.age_at_admission,
        case
            when {{ regex_matches('items.falls_text', '^[0-9]+$') }} then cast(items.falls_text as integer)
        end as falls,
        case
            when {{ regex_matches('items.falls_level_3b_text', '^[0-9]+$') }}
                then cast(items.falls_level_3b_text as integer)
        end as falls_level_3b,
        case
            when {{ regex_matches('items.restraint_days_text', '^[0-9]+$') }}
                then cast(items.restraint_days_text as integer)
        end as restraint_days,
        case
            when {{ regex_matches('items.pressure_ulcer_worst', '^[0-9]{7}$') }}
                then substr(items.pressure_ulcer_worst, 1, 1)
        end as ulcer_worst_depth,
        case
            when {{ regex_matches('items.pressure_ulcer_at_admission', '^[0-9]{7}$') }}
                then substr(items.pressure_ulcer_at_admission, 1, 1)
        end as ulcer_admission_depth,
        items.nutrition_assessment_48h_code
    from population
    left join items
        on population.stay_id = items.stay_id
),

per_year as (
    select
        facility_code,
        fiscal_year,
        sum(falls) as falls,
        sum(case when falls is not null then los_days end) as falls_days,
        sum(falls_level_3b) as falls_level_3b,
        sum(case when falls_level_3b is not null then los_days end) as falls_level_3b_days,
        sum(restraint_days) as restraint_days,
        sum(case when restraint_days is not null then los_days end) as restraint_stay_days,
        sum(
            case
                when ulcer_worst_depth is not null
                    and coalesce(ulcer_admission_depth, '0') not in ('2', '3', '4', '5', '6')
                    then los_days
            end
        ) as ulcer_days,
        sum(
            case when age_at_admission >= 65 and nutrition_assessment_48h_code = '1' then 1 else 0 end
        ) as nutrition_assessed,
        sum(
            case when age_at_admission >= 65 and nutrition_assessment_48h_code in ('0', '1') then 1 else 0 end
        ) as nutrition_asked
    from stays
    group by facility_code, fiscal_year
),

ulcer_numerators as (
    select
        facility_code,
        fiscal_year,
        sum(
            case
                when ulcer_worst_depth in ('2', '3', '4', '5', '6')
                    and coalesce(ulcer_admission_depth, '0') not in ('2', '3', '4', '5', '6')
                    then 1
                else 0
            end
        ) as ulcer_new_d2
    from stays
    group by facility_code, fiscal_year
),

operations as (
    select
        population.facility_code,
        population.fiscal_year,
        sum(case when procedures.prophylactic_antibiotics_code = '1' then 1 else 0 end) as within_1h,
        count(*) as given
    from population
    inner join procedures
        on population.stay_id = procedures.stay_id
    where
        procedures.anaesthesia_code in ('1', '6')
        and procedures.prophylactic_antibiotics_code in ('1', '2', '3')
    group by population.facility_code, population.fiscal_year
),

indicators as (
    select
        per_year.facility_code,
        per_year.fiscal_year,
        1 as indicator_order,
        'falls' as indicator,
        '転倒・転落発生率' as indicator_ja,
        per_year.falls as numerator,
        per_year.falls_days as denominator,
        1000 as per,
        '‰' as unit
    from per_year
    union all
    select
        per_year.facility_code,
        per_year.fiscal_year,
        2 as indicator_order,
        'falls_level_3b' as indicator,
        '転倒転落によるインシデント影響度分類レベル3b以上の発生率' as indicator_ja,
        per_year.falls_level_3b as numerator,
        per_year.falls_level_3b_days as denominator,
        1000 as per,
        '‰' as unit
    from per_year
    union all
    select
        per_year.facility_code,
        per_year.fiscal_year,
        3 as indicator_order,
        'prophylactic_antibiotics' as indicator,
        '手術開始前1時間以内の予防的抗菌薬投与率' as indicator_ja,
        coalesce(operations.within_1h, 0) as numerator,
        coalesce(operations.given, 0) as denominator,
        100 as per,
        '%' as unit
    from per_year
    left join operations
        on
        per_year.facility_code = operations.facility_code
        and per_year.fiscal_year = operations.fiscal_year
    union all
    select
        per_year.facility_code,
        per_year.fiscal_year,
        4 as indicator_order,
        'pressure_ulcer_d2' as indicator,
        'd2（真皮までの損傷）以上の褥瘡発生率' as indicator_ja,
        ulcer_numerators.ulcer_new_d2 as numerator,
        per_year.ulcer_days as denominator,
        100 as per,
        '%' as unit
    from per_year
    inner join ulcer_numerators
        on
        per_year.facility_code = ulcer_numerators.facility_code
        and per_year.fiscal_year = ulcer_numerators.fiscal_year
    union all
    select
        per_year.facility_code,
        per_year.fiscal_year,
        5 as indicator_order,
        'nutrition_assessment' as indicator,
        '65歳以上の患者の入院早期の栄養アセスメント実施割合' as indicator_ja,
        per_year.nutrition_assessed as numerator,
        per_year.nutrition_asked as denominator,
        100 as per,
        '%' as unit
    from per_year
    union all
    select
        per_year.facility_code,
        per_year.fiscal_year,
        6 as indicator_order,
        'restraint' as indicator,
        '身体的拘束の実施率' as indicator_ja,
        per_year.restraint_days as numerator,
        per_year.restraint_stay_days as denominator,
        100 as per,
        '%' as unit
    from per_year
),

final as (
    select
        facility_code,
        fiscal_year,
        indicator_order,
        indicator,
        indicator_ja,
        {{ hospital_indicator_value('numerator', 'denominator') }} as numerator,
        {{ hospital_indicator_value('denominator', 'denominator') }} as denominator,
        {{ hospital_indicator_value(
            'round(cast(numerator as ' ~ type_double() ~ ') * per / denominator, 2)', 'denominator'
        ) }} as rate,
        unit,
        {{ hospital_indicator_masked('denominator') }} as is_masked
    from indicators
)

select * from final
