{#- Facilities: the facility master joined with what the deliveries show (months delivered, stays). -#}
{{ config(dist='all') -}}

with facilities as (
    select * from {{ ref('ref_facility') }}
),

delivered as (
    select
        facility_code,
        min(latest_yyyymm) as first_yyyymm,
        max(latest_yyyymm) as last_yyyymm,
        count(*) as stays
    from {{ ref('int_stays__assembled') }}
    group by facility_code
),

final as (
    select
        coalesce(facilities.facility_code, delivered.facility_code) as facility_code,
        coalesce(facilities.name_ja, '(未登録) ' || delivered.facility_code) as facility_name_ja,
        coalesce(facilities.name_en, '(unregistered) ' || delivered.facility_code) as facility_name_en,
        facilities.prefecture,
        facilities.beds,
        facilities.hospital_coefficient,
        delivered.first_yyyymm,
        delivered.last_yyyymm,
        coalesce(delivered.stays, 0) as stays
    from facilities
    full outer join delivered
        on facilities.facility_code = delivered.facility_code
)

select * from final
