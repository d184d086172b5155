{#-
  DECISIONS item 7 — the one definition of billed points of a D-file row:
  - data category 93 (DPC bundled per-diem): 行為点数 × 行為回数 (days) × 医療機関係数 (hospital coefficient),
    because a 93 row carries points before the coefficient;
  - every other D row (fee-for-service the claim also carries): (行為点数 + 行為薬剤料 + 行為材料料) × 行為回数.
  EF is never added to this: EF answers "what would fee-for-service have billed".
-#}
{% macro billed_points(data_category, act_points, act_drug_points, act_material_points, act_count, coefficient) -%}
    case
        when {{ data_category }} = '93'
            then coalesce({{ act_points }}, 0) * coalesce({{ act_count }}, 1) * coalesce({{ coefficient }}, 1)
        else (coalesce({{ act_points }}, 0) + coalesce({{ act_drug_points }}, 0) + coalesce({{ act_material_points }}, 0))
            * coalesce({{ act_count }}, 1)
    end
{%- endmacro %}
