{#-
  病院指標 2 診断群分類別患者数等（診療科別患者数上位5位まで）: per facility × fiscal year × the hospital's own
  department (A000040, p53), its five DPC codes (the stay's 分類番号 from D, docs/decisions/0007) with the most
  discharges of the population: cases, mean length of stay here (inclusive), the national mean length of stay
  (全国の平均在院日数 = 入院期間Ⅱ of the code in the ministry's 点数表 in force, ref_dpc_code; of the latest
  discharge's revision when the year spans two), 転院率 (退院先 4 他の病院・診療所への転院, p49, in %) and mean age.
  Ties are broken by the DPC code. A row with fewer than var('hospital_indicator_min_cases') cases is masked
  except the national mean length of stay. Stays without a DPC code (出来高算定病院, no D file) are not
  ranked: the table is out of scope for them (docs/hospital-indicators.md).
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population and dpc_code is not null
),

dpc_codes as (
    select * from {{ ref('ref_dpc_code') }}
),

code_names as (
    select
        lower(dpc_code) as dpc_code,
        name_ja,
        row_number() over (partition by lower(dpc_code) order by revision desc) as recency
    from dpc_codes
),

latest_national as (
    select
        facility_code,
        fiscal_year,
        department_code,
        lower(dpc_code) as dpc_code,
        national_mean_los_stand_in,
        row_number() over (
            partition by facility_code, fiscal_year, department_code, lower(dpc_code)
            order by discharge_date desc, stay_id asc
        ) as recency
    from population
),

per_code as (
    select
        facility_code,
        fiscal_year,
        department_code,
        max(department_name) as department_name,
        lower(dpc_code) as dpc_code,
        count(*) as cases,
        avg(cast(los_days as {{ type_double() }})) as mean_los_days,
        100.0 * sum(case when is_transfer_out then 1 else 0 end) / count(*) as transfer_rate_pct,
        avg(cast(age_at_admission as {{ type_double() }})) as mean_age
    from population
    group by facility_code, fiscal_year, department_code, lower(dpc_code)
),

ranked as (
    select
        *,
        row_number() over (
            partition by facility_code, fiscal_year, department_code
            order by cases desc, dpc_code asc
        ) as department_rank
    from per_code
),

final as (
    select
        ranked.facility_code,
        ranked.fiscal_year,
        ranked.department_code,
        ranked.department_name,
        ranked.department_rank,
        ranked.dpc_code,
        code_names.name_ja as dpc_name,
        {{ hospital_indicator_value('ranked.cases', 'ranked.cases') }} as cases,
        {{ hospital_indicator_value('round(ranked.mean_los_days, 2)', 'ranked.cases') }} as mean_los_days,
        latest_national.national_mean_los_stand_in as national_mean_los_days,
        {{ hospital_indicator_value('round(ranked.transfer_rate_pct, 2)', 'ranked.cases') }} as transfer_rate_pct,
        {{ hospital_indicator_value('round(ranked.mean_age, 2)', 'ranked.cases') }} as mean_age,
        {{ hospital_indicator_masked('ranked.cases') }} as is_masked
    from ranked
    left join code_names
        on ranked.dpc_code = code_names.dpc_code
        and code_names.recency = 1
    left join latest_national
        on ranked.facility_code = latest_national.facility_code
        and ranked.fiscal_year = latest_national.fiscal_year
        and ranked.department_code = latest_national.department_code
        and ranked.dpc_code = latest_national.dpc_code
        and latest_national.recency = 1
    where ranked.department_rank <= 5
)

select * from final
