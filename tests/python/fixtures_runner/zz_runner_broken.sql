{#- A deliberately broken model for tests/python/test_runner.py: it refers to a model that does not exist, which
    dbt reports as a compilation error. Copied into a temporary copy of the project, never into the real one. -#}
with missing as (
    select * from {{ ref('no_such_model') }}
),

final as (
    select * from missing
)

select * from final
