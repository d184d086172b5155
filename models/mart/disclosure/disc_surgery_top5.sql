{#-
  病院指標 6 診療科別主要手術別患者数等（診療科別患者数上位5位まで）: per facility × fiscal year × the hospital's own
  department (A000040, p53), its five 点数表コード (A007010 ②, p28, p83) with the most stays of the population, counting
  each stay once under its main operation: the first operation listed (lowest 連番) that is not one of
  var('disclosure_minor_k_codes') (輸血 K920, 創傷処理 K000, 皮膚切開術 K001, 非観血的整復術 K044, 徒手整復 K061,
  加算 K930–K939). Cases; mean days before the operation (入院日 to 手術日, A007010 ①, the 手術日 not counted:
  手術日 − 入院日) and after it (手術日 to 退院日, the 手術日 not counted: 退院日 − 手術日); 転院率 (退院先 4, p49, in
  %); mean age. Ties by the code. A row with fewer than var('hospital_indicator_min_cases') cases masked; no total.
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

procedures as (
    select * from {{ ref('int_form1__procedures') }}
    where
        k_code is not null
        and operation_date is not null
        {%- for code in var('disclosure_minor_k_codes') %}
        and k_code not like '{{ code }}%'
        {%- endfor %}
),

main_operations as (
    select
        stay_id,
        k_code,
        operation_name,
        operation_date,
        row_number() over (partition by stay_id order by seq) as operation_rank
    from procedures
),

operated as (
    select
        population.*,
        main_operations.k_code,
        main_operations.operation_name,
        {{ dbt.datediff('population.admission_date', 'main_operations.operation_date', 'day') }} as days_before,  -- noqa: LT05
        {{ dbt.datediff('main_operations.operation_date', 'population.discharge_date', 'day') }} as days_after  -- noqa: LT05
    from population
    inner join main_operations
        on population.stay_id = main_operations.stay_id
        and main_operations.operation_rank = 1
),

per_code as (
    select
        facility_code,
        fiscal_year,
        department_code,
        max(department_name) as department_name,
        k_code,
        min(operation_name) as operation_name,
        count(*) as cases,
        avg(cast(days_before as {{ type_double() }})) as mean_days_before,
        avg(cast(days_after as {{ type_double() }})) as mean_days_after,
        100.0 * sum(case when is_transfer_out then 1 else 0 end) / count(*) as transfer_rate_pct,
        avg(cast(age_at_admission as {{ type_double() }})) as mean_age
    from operated
    group by facility_code, fiscal_year, department_code, k_code
),

ranked as (
    select
        *,
        row_number() over (
            partition by facility_code, fiscal_year, department_code
            order by cases desc, k_code asc
        ) as department_rank
    from per_code
),

final as (
    select
        facility_code,
        fiscal_year,
        department_code,
        department_name,
        department_rank,
        k_code,
        operation_name,
        {{ hospital_indicator_value('cases', 'cases') }} as cases,
        {{ hospital_indicator_value('round(mean_days_before, 2)', 'cases') }} as mean_days_before,
        {{ hospital_indicator_value('round(mean_days_after, 2)', 'cases') }} as mean_days_after,
        {{ hospital_indicator_value('round(transfer_rate_pct, 2)', 'cases') }} as transfer_rate_pct,
        {{ hospital_indicator_value('round(mean_age, 2)', 'cases') }} as mean_age,
        {{ hospital_indicator_masked('cases') }} as is_masked
    from ranked
    where department_rank <= 5
)

select * from final
