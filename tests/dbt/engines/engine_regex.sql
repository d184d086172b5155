{#- Pins regex_matches and regex_extract: unanchored search, group 0 and 1, null (never '') when nothing matches. -#}
{{ config(tags=['engine_macros']) }}

with cases as (
    select
        'K549-00' as code_text,
        true as expected_matches,
        'K549' as expected_code,
        '549' as expected_number
    union all
    select
        'D4132' as code_text,
        false as expected_matches,
        cast(null as {{ dbt.type_string() }}) as expected_code,
        cast(null as {{ dbt.type_string() }}) as expected_number
    union all
    select
        'xK6xK7' as code_text,
        true as expected_matches,
        'K6' as expected_code,
        '6' as expected_number
    union all
    select
        cast(null as {{ dbt.type_string() }}) as code_text,
        cast(null as boolean) as expected_matches,
        cast(null as {{ dbt.type_string() }}) as expected_code,
        cast(null as {{ dbt.type_string() }}) as expected_number
),

results as (
    select
        code_text,
        expected_matches,
        expected_code,
        expected_number,
        {{ regex_matches('code_text', 'K[0-9]+') }} as actual_matches,
        {{ regex_extract('code_text', 'K[0-9]+') }} as actual_code,
        {{ regex_extract('code_text', 'K([0-9]+)', 1) }} as actual_number
    from cases
)

select * from results
where
    not (actual_matches = expected_matches or (actual_matches is null and expected_matches is null))
    or not (actual_code = expected_code or (actual_code is null and expected_code is null))
    or not (actual_number = expected_number or (actual_number is null and expected_number is null))
