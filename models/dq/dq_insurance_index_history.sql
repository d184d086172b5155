{#-
  History of the 保険診療指数 data-quality figures: one row per run × facility × month of discharge × figure, with
  its numerator and denominator as that run computed them, appended every build (full_refresh=false keeps the
  history, like dq_results). A hospital sees how a month's figures moved as it corrected and resubmitted its data.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='append_new_columns',
    )
}}

with cases as (
    select * from {{ ref('int_insurance_index__cases') }}
),

final as (
    select
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
        figure,
        facility_code,
        fiscal_year,
        yyyymm,
        cast(sum(case when is_offending then 1 else 0 end) as integer) as numerator,
        cast(count(*) as integer) as denominator,
        {{ dbt.current_timestamp() }} as recorded_at
    from cases
    group by figure, facility_code, fiscal_year, yyyymm
)

select * from final
