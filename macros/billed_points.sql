{#-
  docs/decisions/0007 — the one definition of billed points of a D-file row:
  - data category 93 (DPC bundled per-diem): round(行為点数 × 医療機関係数) × 行為回数 (days) — a 93 row carries
    the per-diem points before the hospital coefficient, and the per-day amount is rounded to whole points
    (1点未満四捨五入) before it is multiplied by the days;
  - every other D row (fee-for-service the claim also carries): (行為点数 + 行為薬剤料 + 行為材料料) × 行為回数;
  - rows in yen (円・点区分 1, e.g. meals, データ区分 97) are converted at 1 point = 10 yen.
  EF is never added to this: EF answers "what would fee-for-service have billed".
-#}
{% macro billed_points(data_category, act_points, act_drug_points, act_material_points, act_count, coefficient, yen_point_flag) -%}
    case
        when {{ data_category }} = '93'
            then round(coalesce({{ act_points }}, 0) * coalesce({{ coefficient }}, 1), 0) * coalesce({{ act_count }}, 1)
        else (coalesce({{ act_points }}, 0) + coalesce({{ act_drug_points }}, 0) + coalesce({{ act_material_points }}, 0))
            * coalesce({{ act_count }}, 1)
    end
    / case when {{ yen_point_flag }} = '1' then 10 else 1 end
{%- endmacro %}
