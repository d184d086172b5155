{#-
  病院指標 1 年齢階級別退院患者数: discharges of the population (int_disclosure__stays.is_in_population) per
  facility × fiscal year × 10-year band of the age at admission, 90 and over as one band (0~ … 90~). Every band is
  listed; a band with fewer than var('hospital_indicator_min_cases') discharges is masked ('-'). No total is
  published: it would let a masked band be derived. A stay whose age is unknown (partly unknown birth date,
  p42) has no band and is not counted.
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population and age_at_admission is not null
),

facility_years as (
    select distinct
        facility_code,
        fiscal_year
    from population
),

bands as (
    {%- for band in range(10) %}
    select
        {{ band }} as age_band_order,
        '{{ band * 10 }}~' as age_band
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

counted as (
    select
        facility_code,
        fiscal_year,
        case when age_at_admission >= 90 then 9 else cast(floor(age_at_admission / 10) as integer) end
            as age_band_order,
        count(*) as discharges
    from population
    group by 1, 2, 3
),

final as (
    select
        facility_years.facility_code,
        facility_years.fiscal_year,
        bands.age_band_order,
        bands.age_band,
        {{ hospital_indicator_value('counted.discharges', 'counted.discharges') }} as discharges,
        {{ hospital_indicator_masked('counted.discharges') }} as is_masked
    from facility_years
    cross join bands
    left join counted
        on facility_years.facility_code = counted.facility_code
        and facility_years.fiscal_year = counted.fiscal_year
        and bands.age_band_order = counted.age_band_order
)

select * from final
