"""The report's HTML: the rows of dpc/report/data.py and the figures of charts.py and indicators.py, laid out by
the Jinja2 templates in ``templates/`` (page and sections, one file each).

Autoescape is on: every value a template prints is escaped, except the plotly figures and the font list, which
this module marks as markup. Escaping is the standard library's (html.escape), as the report always had, so a name
with an apostrophe reads ``&#x27;`` whether it comes from a template or from a test's expectation.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import jinja2
import plotly.graph_objects as go
from markupsafe import Markup

from dpc.report.charts import dq_figure, metric_figure, shared_scales
from dpc.report.common import FONT, METRICS, SUPPRESSED
from dpc.report.indicators import IndicatorView, indicator_charts
from dpc.report.insurance_index import insurance_index_sections

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _escape(value: object) -> Markup:
    """Every printed value: markup as it is, anything else escaped by html.escape (None prints as nothing)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value)))


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dpc.report", "templates"),
    autoescape=True,
    finalize=_escape,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
TEMPLATES.globals["suppressed"] = SUPPRESSED


# ---------------------------------------------------------------------------------------------------------------
# Table cells
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    headings: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    css: str = ""
    id: str = ""


def _decimal(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _is_label(column: str) -> bool:
    """Codes, months and years print as they are (202404, not 202,404)."""
    return column.endswith(("yyyymm", "year", "_code", "_id", "_no"))


def cell(value: object, *, suppressed: bool = False, column: str = "") -> Cell:
    if suppressed and value is None:
        return Cell(SUPPRESSED, "suppressed")
    if value is None:
        return Cell("—")
    if isinstance(value, bool):
        return Cell("true" if value else "false")
    if isinstance(value, int):
        return Cell(str(value) if _is_label(column) else f"{value:,}")
    if isinstance(value, float):
        return Cell("—" if math.isnan(value) else _decimal(value))
    if isinstance(value, Decimal):
        return Cell(_decimal(float(value)))
    return Cell(str(value), "text")


def table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], *, headings: Sequence[str] = (), css: str = ""
) -> Table:
    """A table of values; a row the mart marks is_suppressed shows its missing values as 秘匿."""
    suppressed_at = list(columns).index("is_suppressed") if "is_suppressed" in columns else None
    body = []
    for row in rows:
        suppressed = bool(suppressed_at is not None and row[suppressed_at])
        body.append([cell(v, suppressed=suppressed, column=c) for c, v in zip(columns, row, strict=True)])
    return Table(list(headings or columns), body, css)


# ---------------------------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------------------------
class _Figures:
    """plotly.js goes inline exactly once (the first figure); every later figure reuses it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: go.Figure, div_id: str) -> str:
        include = self.count == 0
        self.count += 1
        return fig.to_html(full_html=False, include_plotlyjs=include, config=PLOTLY_CONFIG, div_id=div_id)


def _facilities(data: dict[str, Any], figures: _Figures) -> list[dict[str, Any]]:
    """One section per facility with KPI rows: its names, its cell counts and a chart per KPI on the colour ranges
    shared by every facility — or, when disclosure control hides every cell, a sentence saying so."""
    by_facility: dict[str, list[dict[str, Any]]] = {}
    for r in data["kpi"]:
        by_facility.setdefault(r["facility_code"], []).append(r)
    names = {f["facility_code"]: f for f in data["facilities"]}
    scales = shared_scales(data["kpi"])
    sections = []
    for code in sorted(by_facility):
        facility = names.get(code, {"facility_code": code, "facility_name_ja": code, "facility_name_en": code})
        rows = by_facility[code]
        hidden = sum(1 for r in rows if r["is_suppressed"])
        panels = []
        if hidden < len(rows):
            for metric in METRICS:
                fig = metric_figure(metric, rows, data["mdc"], scales[metric.column])
                panels.append(
                    {
                        "title": f"{metric.ja} {metric.en}",
                        "figure": Markup(figures.html(fig, f"chart-{code}-{metric.column}")),
                    }
                )
        sections.append(
            {
                "code": code,
                "name_ja": facility["facility_name_ja"],
                "name_en": facility["facility_name_en"],
                "cells": len(rows),
                "suppressed": hidden,
                "panels": panels,
            }
        )
    return sections


def _overview(data: dict[str, Any]) -> Table | None:
    columns = ["facility_code", "facility_name_ja", "facility_name_en", "beds", "first_yyyymm", "last_yyyymm", "stays"]
    rows = [[f[c] for c in columns] for f in data["facilities"] if f["stays"]]
    heading = [
        "施設コード facility",
        "施設名",
        "name",
        "病床数 beds",
        "初月 first month",
        "最終月 last month",
        "入院数 stays",
    ]
    return table(columns, rows, headings=heading) if rows else None


def _dq(dq: dict[str, Any], figures: _Figures) -> dict[str, Any]:
    view: dict[str, Any] = {"run": dq["run"], "figure": None, "problems": None, "deliveries": None}
    if dq["run"]:
        view["figure"] = Markup(figures.html(dq_figure(dq["status"]), "chart-dq"))
        if dq["problems"]:
            cols = ["check_name", "model_name", "status", "severity", "failing_rows"]
            view["problems"] = table(cols, [[p[c] for c in cols] for p in dq["problems"]])
    if dq["deliveries"]:
        cols = ["facility_code", "yyyymm", "delivered_rows", "staged_rows", "quarantined_rows", "unreconciled_rows"]
        heading = [
            "施設コード facility",
            "提出月 delivery month",
            "提出行数 delivered",
            "取込行数 staged",
            "隔離行数 quarantined",
            "不一致 unreconciled",
        ]
        body = []
        for d in dq["deliveries"]:
            bad = (d["unreconciled_rows"] or 0) != 0
            last = Cell(f"{d['unreconciled_rows']:,}", "bad") if bad else cell(d["unreconciled_rows"])
            body.append([*(cell(d[c], column=c) for c in cols[:-1]), last])
        view["deliveries"] = Table(heading, body, id="dq-deliveries")
    return view


def _indicators(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The published indicator tables, each shown up to its row limit."""
    out = []
    for ind in data["indicators"]:
        shown = len(ind["rows"])
        out.append(
            {
                "table": ind["table"],
                "ja": ind["ja"],
                "en": ind["en"],
                "more": f" (first {shown} of {ind['total']:,} rows)" if ind["total"] > shown else "",
                "rows": table(ind["columns"], ind["rows"], css="indicator") if ind["rows"] else None,
            }
        )
    return out


def _indicator_charts(data: dict[str, Any], figures: _Figures) -> list[IndicatorView]:
    """Each indicator's chart with its plain-language explanation (dpc/report/indicators.py)."""
    if not data["indicators"] or not data.get("indicator_charts"):
        return []
    views = indicator_charts(data["indicator_charts"], data["facilities"], data["mdc"], figures.html)
    return [IndicatorView(Markup(v.figure), v.title, v.text, v.formula) for v in views]


def render_report(data: dict[str, Any], *, generated_at: datetime | None = None) -> str:
    figures = _Figures()  # the figures are drawn in page order: the first one carries plotly.js
    facilities = _facilities(data, figures)
    dq = _dq(data["dq"], figures)
    charts = _indicator_charts(data, figures)
    return TEMPLATES.get_template("report.html.j2").render(
        font=Markup(FONT),  # a constant of the code, quoted for CSS: not to be escaped inside <style>
        metrics=" · ".join(f"{m.ja} {m.en}" for m in METRICS),
        generated=(generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        overview=_overview(data),
        facilities=facilities,
        dq=dq,
        indicators=_indicators(data),
        indicator_charts=charts,
        insurance_index=insurance_index_sections(data.get("insurance_index") or {"figures": [], "behind": []}),
        disclosure=data.get("disclosure", []),
    )
