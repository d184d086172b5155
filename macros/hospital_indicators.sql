{#-
  The 病院指標's publication rule (「病院情報の公表」の集計条件, docs/hospital-indicators.md): a figure computed
  from fewer than var('hospital_indicator_min_cases') (10) cases is shown as '-' — here null, with is_masked
  true; the page writes '-'. It is the ministry's rule, not the platform's disclosure control
  (docs/decisions/0020: the 病院指標 page is exempt from complementary suppression).
-#}
{% macro hospital_indicator_value(value, cases) -%}
    case when {{ cases }} >= {{ var('hospital_indicator_min_cases') }} then {{ value }} end
{%- endmacro %}

{% macro hospital_indicator_masked(cases) -%}
    coalesce({{ cases }}, 0) < {{ var('hospital_indicator_min_cases') }}
{%- endmacro %}
