{#-
  docs/decisions/0007 — billed points as the receipt computes them (p194, p197, p199; worked receipts p214–p216).
  A D row (and an EF act row) counts in one of two measures, never both:

  - points (円・点区分 0): 行為点数 × 行為回数 — d_row_points. 行為点数 is the act's total (手技料 + 行為薬剤料 +
    行為材料料, p197 E-11); 行為薬剤料 and 行為材料料 are re-statements (再掲) inside it (p197 E-12/E-13, p199
    D-12/D-13) and are never added again. 行為回数 is 2 or more only when 行為点数 is per time (p186, p194 D-15).
    On a 93 row (DPC包括) this is the diagnosis-group points BEFORE the 医療機関別係数 (p194 D-11); on a 94 row
    (DPC調整) it is the adjustment AFTER the coefficient, possibly negative (p194 D-11, p215).
  - yen (円・点区分 1: only meals, データ区分 97, in D, p194 D-14): 行為点数 × 行為回数 in yen — d_row_yen. Yen are
    never converted into points.

  The 93 rows are not billed row by row: the receipt sums a claim month's per-diem points and multiplies the sum
  by the coefficient, rounding to a whole point (p214: (19,474 + 2,057) × 1.1234 = 24,187.93 → 24,188; June
  5,506 × 1.1234 = 6,185.44 → 6,185). apply_hospital_coefficient does that multiplication on a month's sum; the
  coefficient is cast to an exact decimal so that x.5 rounds half up (away from zero) the same way on DuckDB,
  Redshift and Athena, never on a binary float that lands just below .5.
-#}
{% macro d_row_points(act_points, act_count, yen_point_flag) -%}
    case
        when {{ yen_point_flag }} = '1' then 0
        else coalesce({{ act_points }}, 0) * coalesce({{ act_count }}, 1)
    end
{%- endmacro %}

{% macro d_row_yen(act_points, act_count, yen_point_flag) -%}
    case
        when {{ yen_point_flag }} = '1' then coalesce({{ act_points }}, 0) * coalesce({{ act_count }}, 1)
        else 0
    end
{%- endmacro %}

{#- A claim month's Σ 93 points (before the coefficient) × 医療機関別係数, rounded to whole points (p214–p215). -#}
{% macro apply_hospital_coefficient(bundled_base_points, coefficient) -%}
    round(
        cast({{ bundled_base_points }} as decimal(18, 4))
        * cast(coalesce({{ coefficient }}, 1) as decimal(10, 4)),
        0
    )
{%- endmacro %}
