{#- Pins parse_yyyymmdd on the engine it runs on: '00000000', empty and null are unknown (null); a date parses. -#}
{{ config(tags=['engine_macros']) }}

with cases as (
    select
        '20240401' as date_text,
        cast('2024-04-01' as date) as expected
    union all
    select
        '20241231' as date_text,
        cast('2024-12-31' as date) as expected
    union all
    select
        '20240229' as date_text,
        cast('2024-02-29' as date) as expected
    union all
    select
        '00000000' as date_text,
        cast(null as date) as expected
    union all
    select
        '' as date_text,
        cast(null as date) as expected
    union all
    select
        cast(null as {{ dbt.type_string() }}) as date_text,
        cast(null as date) as expected
),

results as (
    select
        date_text,
        expected,
        {{ parse_yyyymmdd('date_text') }} as actual
    from cases
)

select * from results
where not (actual = expected or (actual is null and expected is null))
