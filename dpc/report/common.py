"""What every part of the report shares: the schemas it reads, the 秘匿 mark, the font, the KPI metrics and the
indicator tables it shows, and the small value helpers the charts use. Imports nothing of the report's own."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MART = "mart"
DQ = "dq"
SUPPRESSED = "秘匿"
FONT = '"Noto Sans CJK JP", "IPAGothic", "IPAPGothic", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif'
NO_MDC = ("00", "DPCコードなし", "No DPC code")


@dataclass(frozen=True)
class Metric:
    column: str
    ja: str
    en: str
    fmt: str
    colour: str  # the dark end of a light sequential scale: black cell text stays readable

    @property
    def colorscale(self) -> list[list[object]]:
        return [[0.0, "#f7f9fb"], [1.0, self.colour]]


# The KPI columns the report charts, as kpi_monthly_facility_mdc defines them (one definition, in dbt).
METRICS = (
    Metric("discharges", "退院患者数", "Discharges", ",.0f", "#4a90c8"),
    Metric("mean_los_days", "平均在院日数", "Mean length of stay (days)", ".1f", "#e8893a"),
    Metric("points_per_day", "1日当たり請求点数", "Billed points per day", ",.0f", "#4daf63"),
    Metric(
        "readmission_rate_30d", "30日以内再入院率（全原因）", "30-day readmission rate, any cause", ".1%", "#9a7cc4"
    ),
)

# Indicator tables (issue 12) that get a section when published, with their Japanese title and English gloss.
INDICATOR_TABLES = (
    ("ind_facility_fiscal_year", "施設別・年度別指標", "Indicators per facility and fiscal year"),
    ("ind_facility_fiscal_year_mdc", "施設別・年度別・MDC別指標", "Indicators per facility, fiscal year and MDC"),
    (
        "ind_facility_measurement_period",
        "施設別・係数評価期間別指標",
        "Indicators per facility and the ministry's measurement period (October–September)",
    ),
    ("kpi_case_mix_monthly", "月別患者構成（ケースミックス）", "Monthly case mix"),
    ("kpi_points_per_day_by_period", "入院期間別 1日当たり点数", "Points per day by DPC billing period"),
)
INDICATOR_ROW_LIMIT = 500


def month_label(yyyymm: int) -> str:
    return f"{yyyymm // 100}-{yyyymm % 100:02d}"


def mdc_names(code: str, mdc: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(Japanese, English) name of an MDC; the axis shows code + Japanese, the hover adds the English gloss."""
    if code == NO_MDC[0]:
        return NO_MDC[1], NO_MDC[2]
    row = mdc.get(code)
    return (row["mdc_name_ja"], row["mdc_name_en"]) if row else ("", "")


def number(value: object) -> float | None:
    if value is None:
        return None
    result = float(value)  # type: ignore[arg-type]
    return None if math.isnan(result) else result
