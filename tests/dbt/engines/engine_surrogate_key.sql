{#-
  Pins surrogate_key: md5 (lower-case hex) of the values joined by '|', a null spelled '∅' — the same key on
  every engine, so that keys computed on one engine match another's. The expected values are Python's
  hashlib.md5('131000017|2024-04-01'.encode()).hexdigest() and the same of '131000017|∅'.
-#}
{{ config(tags=['engine_macros']) }}

with cases as (
    select
        '131000017' as facility_code,
        '2024-04-01' as admission_date,
        '2e99616ef0e6e9816c61601b27badbf8' as expected
    union all
    select
        '131000017' as facility_code,
        cast(null as {{ dbt.type_string() }}) as admission_date,
        '4d994dba3e2ffee07a8781ac09c40ca8' as expected
),

results as (
    select
        expected,
        {{ surrogate_key(['facility_code', 'admission_date']) }} as actual
    from cases
)

select * from results
where actual != expected
