"""The Indicators section's charts: each DPC indicator per facility against the group, with the short
plain-language explanation and formula shown beside its chart (docs/indicators.md has the full definitions).

The rows come from the published ``mart`` indicator tables (dpc/report/data.py reads them); a cell the mart
suppresses is drawn as 秘匿, never recomputed. A chart whose table or column is not published is left out.

    indicator_charts(data, facilities, mdc, figure_html) -> [IndicatorView]   # rendered by dpc/report/render.py
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from dpc.report.common import FONT, SUPPRESSED, mdc_names, month_label, number

FigureHtml = Callable[[go.Figure, str], str]


@dataclass(frozen=True)
class IndicatorChart:
    column: str  # of mart.ind_facility_fiscal_year
    ja: str
    en: str
    fmt: str
    national: float | None  # the national value when it is a constant (the indices are 1.0 by construction)
    explanation: str
    formula: str


CHARTS = (
    IndicatorChart(
        "efficiency_index",
        "効率性指数",
        "Efficiency index",
        ".2f",
        1.0,
        "How short the hospital's stays are compared with the whole country, for the same mix of diseases "
        "(DPC codes with 12 or more stays). 1.0 is the national length of stay (入院日Ⅱ, a stand-in for the national "
        "mean); above 1 means patients go home sooner than elsewhere for the same illnesses.",
        "the nation's mean LOS at the hospital's case mix (Σ cases × 入院日Ⅱ) ÷ the hospital's mean LOS",
    ),
    IndicatorChart(
        "complexity_index",
        "複雑性指数",
        "Complexity index",
        ".2f",
        1.0,
        "How resource-intensive the hospital's patients are: what its stays (DPC codes with 12 or more stays) would "
        "be paid per stay for their DPC codes, compared with the average code. Above 1 means heavier patients. "
        "The national figures are stand-ins from the ministry's point table.",
        "mean over the stays of (the code's points for a stay of 入院日Ⅱ days ÷ the mean over all 包括 codes)",
    ),
    IndicatorChart(
        "coverage_rate",
        "カバー率",
        "Coverage",
        ".0%",
        None,
        "How broad the hospital's care is: the share of all DPC codes in the ministry's table that it treated at "
        "least 12 times (once a month) during the year. A general hospital covers many; a specialised one few.",
        "DPC codes with 12 or more stays ÷ every DPC code of the table (包括 and 出来高)",
    ),
    IndicatorChart(
        "period_2_overrun_rate",
        "入院期間II超え率",
        "Stays beyond period II",
        ".0%",
        None,
        "The share of stays that lasted longer than period II of their DPC code (about the national average length "
        "of stay for that illness). After period II a day earns less, so lower usually means smoother discharge.",
        "stays with LOS > period-II threshold ÷ stays",
    ),
    IndicatorChart(
        "unplanned_readmission_rate_4w",
        "計画外の再入院の割合（4週間以内）",
        "Unplanned readmission within 4 weeks (DPC measure)",
        ".1%",
        None,
        "The DPC measure published today: of the patients who left the general wards, the share who came back to "
        "them within 4 weeks when the hospital had not planned it (様式1 A000080, spec p23, p57).",
        "discharges with a 一般病棟グループ period followed within 28 days by an unplanned (A000080 = 2) "
        "readmission into it ÷ those discharges",
    ),
    IndicatorChart(
        "any_cause_readmission_rate_4w",
        "4週間以内再入院率（全原因）",
        "Readmission within 4 weeks, any cause",
        ".1%",
        None,
        "The share of discharged patients who came back to the same hospital within 4 weeks, for any reason, "
        "planned or not: a plain rate, not a DPC definition.",
        "discharges followed by an admission within 28 days ÷ discharges",
    ),
    IndicatorChart(
        "readmission_rate_6w_same_dpc6",
        "6週間以内同一疾患再入院率",
        "Readmission for the same illness within 6 weeks",
        ".1%",
        None,
        "The share of discharged patients readmitted within 6 weeks for the same disease group (first 6 characters "
        "of the DPC code): a possible sign that the first treatment was not complete.",
        "discharges followed within 42 days by an admission in the same DPC6 group ÷ discharges",
    ),
)

PERIODS_TEXT = (
    "Billed points earned per inpatient day in each DPC billing period (入院期間). The per-diem falls from "
    "period I to period III, and after period III only fee-for-service items are billed: this is why stays "
    "beyond period II earn less per day."
)
MIN_INDEX_SPAN = 0.25  # an index axis spans at least 0.75–1.25
ALL_SUPPRESSED = (
    '<p class="empty all-suppressed">Every value of this chart is suppressed (秘匿: fewer stays than the disclosure '
    "threshold), so it is not drawn.</p>"
)
CASE_MIX_TEXT = (
    "The case-mix index per diagnostic category (MDC) and discharge month: the average national cost of the "
    "month's patients relative to the national average stay. 1.0 (white) is the national average; blue cells "
    "had heavier patients, red lighter ones."
)


# ---------------------------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------------------------
def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def indicator_figure(chart: IndicatorChart, rows: list[dict[str, Any]], names: dict[str, str]) -> go.Figure:
    """One marker per facility and fiscal year; the group mean (of the latest fiscal year's published values)
    and, for the indices, the national value 1.0 as lines; suppressed cells marked 秘匿."""
    facilities = sorted({r["facility_code"] for r in rows})
    years = sorted({r["fiscal_year"] for r in rows})
    x = [f"{names.get(f, f)}<br>{f}" for f in facilities]
    cell = {(r["facility_code"], r["fiscal_year"]): r for r in rows}
    fig = go.Figure()
    for year in years:
        values = [number(cell[(f, year)][chart.column]) if (f, year) in cell else None for f in facilities]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=values,
                name=f"FY{year}",
                mode="markers+text",
                marker={"size": 14},
                text=["" if v is None else format(v, chart.fmt) for v in values],
                textposition="middle right",
                hovertemplate=f"%{{x}}<br>FY{year} {chart.ja} {chart.en}: %{{text}}<extra></extra>",
            )
        )
        hidden = [
            xi for xi, f in zip(x, facilities, strict=True) if (f, year) in cell and cell[(f, year)]["is_suppressed"]
        ]
        if hidden:
            fig.add_trace(
                go.Scatter(
                    x=hidden,
                    y=[chart.national or 0] * len(hidden),
                    mode="text",
                    text=[f"{SUPPRESSED} FY{year}"] * len(hidden),
                    showlegend=False,
                    hovertemplate=f"{SUPPRESSED} suppressed (fewer stays than the disclosure threshold)<extra></extra>",
                )
            )
    latest = [number(cell[(f, years[-1])][chart.column]) for f in facilities if (f, years[-1]) in cell]
    shown = [v for v in latest if v is not None]
    if shown:
        fig.add_hline(
            y=sum(shown) / len(shown),
            line_dash="dash",
            line_color="#555",
            annotation_text=f"施設平均 group mean FY{years[-1]}",
            annotation_position="top left",
        )
    if chart.national is not None:
        fig.add_hline(
            y=chart.national,
            line_dash="dot",
            line_color="#c0392b",
            annotation_text=f"全国 national = {chart.national:g}",
            annotation_position="bottom left",
        )
    # ticks one digit finer than the labels, so that close values do not share a tick label
    every = [number(r[chart.column]) for r in rows]
    fig.update_yaxes(tickformat=".1%" if chart.fmt.endswith("%") else ".3~f", range=value_range(chart, every))
    fig.update_xaxes(type="category")
    fig.update_layout(title_text=f"{chart.ja} {chart.en}")
    return _layout(fig, 320)


def value_range(chart: IndicatorChart, values: list[float | None]) -> list[float]:
    """The y axis a reader expects: an index centred on the national 1.0 with at least ±0.25 (so that a 0.01
    difference looks like one), a rate or a count from 0 (never below it, even when every cell is suppressed)."""
    shown = [v for v in values if v is not None]
    if chart.national is not None:
        span = max([MIN_INDEX_SPAN, *(abs(v - chart.national) * 1.25 for v in shown)])
        return [chart.national - span, chart.national + span]
    top = max(shown, default=0.0)
    if chart.fmt.endswith("%"):
        return [0.0, min(1.0, max(top * 1.25, 0.05))]
    return [0.0, top * 1.25 if top > 0 else 1.0]


def all_suppressed(rows: list[dict[str, Any]], column: str) -> bool:
    """Whether disclosure control hides every value of a chart (then a sentence says so, instead of an empty chart)."""
    return all(number(r[column]) is None for r in rows)


def periods_figure(rows: list[dict[str, Any]], names: dict[str, str]) -> go.Figure:
    """Points per inpatient day by billing period, one bar group per facility (latest fiscal year)."""
    year = max(r["fiscal_year"] for r in rows)
    latest = sorted((r for r in rows if r["fiscal_year"] == year), key=lambda r: r["billing_period"])
    periods = list(dict.fromkeys(r["billing_period_name"] for r in latest))
    fig = go.Figure()
    for facility in sorted({r["facility_code"] for r in latest}):
        cell = {r["billing_period_name"]: r for r in latest if r["facility_code"] == facility}
        values = [number(cell[p]["points_per_day"]) if p in cell else None for p in periods]
        fig.add_trace(
            go.Bar(
                x=periods,
                y=values,
                name=f"{names.get(facility, facility)} ({facility})",
                text=[SUPPRESSED if p in cell and cell[p]["is_suppressed"] else "" for p in periods],
                textposition="outside",
                hovertemplate="入院期間 %{x}<br>%{y:,.0f} points/day<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_xaxes(title_text="入院期間 billing period", type="category")
    fig.update_yaxes(title_text="点/日 points per day", tickformat=",.0f")
    fig.update_layout(
        title_text=f"入院期間別 1日当たり点数 Points per day by billing period (FY{year})", barmode="group"
    )
    return _layout(fig, 360)


def case_mix_span(rows: list[dict[str, Any]]) -> float:
    """Half the colour range of every facility's case-mix panel, around 1.0: one scale, so that a colour means the
    same index in every panel (at least ±0.25)."""
    shown = [v for r in rows if (v := number(r["case_mix_index"])) is not None]
    return max([MIN_INDEX_SPAN, *(abs(v - 1.0) for v in shown)])


def case_mix_figure(
    rows: list[dict[str, Any]], facility: str, months: list[int], mdc: dict[str, Any], span: float
) -> go.Figure:
    """Case-mix index of one facility, MDC × discharge month; 1.0 white on the report's shared range, suppressed
    grey (秘匿). The facility's name is a heading of the page, not a title inside the figure."""
    cell = {(r["mdc_code"], r["discharge_yyyymm"]): r for r in rows if r["facility_code"] == facility}
    codes = sorted({c for c, _ in cell})
    y = [f"{c} {mdc_names(c, mdc)[0]}" for c in codes]
    x = [month_label(m) for m in months]
    values = [[number(cell[(c, m)]["case_mix_index"]) if (c, m) in cell else None for m in months] for c in codes]
    mask = [[1 if (c, m) in cell and cell[(c, m)]["is_suppressed"] else None for m in months] for c in codes]
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=values,
            x=x,
            y=y,
            zmin=1.0 - span,
            zmax=1.0 + span,
            colorscale="RdBu",
            xgap=1,
            ygap=1,
            text=[["" if v is None else f"{v:.2f}" for v in line] for line in values],
            texttemplate="%{text}",
            colorbar={"title": {"text": "CMI"}, "thickness": 10},
            hovertemplate="%{y}<br>%{x}<br>CMI %{text}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=mask,
            x=x,
            y=y,
            colorscale=[[0, "#d9d9d9"], [1, "#d9d9d9"]],
            showscale=False,
            xgap=1,
            ygap=1,
            text=[[SUPPRESSED if v else "" for v in line] for line in mask],
            texttemplate="%{text}",
            hovertemplate=f"%{{y}}<br>%{{x}}<br>{SUPPRESSED} suppressed<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(type="category", automargin=True)
    fig = _layout(fig, 100 + 22 * len(codes))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 40})
    return fig


def case_mix_html(
    rows: list[dict[str, Any]], names: dict[str, str], mdc: dict[str, Any], figure_html: FigureHtml
) -> str:
    """A heading and a panel per facility (a sentence for a facility whose cells are all suppressed)."""
    months = sorted({r["discharge_yyyymm"] for r in rows})
    span = case_mix_span(rows)
    parts = []
    for facility in sorted({r["facility_code"] for r in rows}):
        mine = [r for r in rows if r["facility_code"] == facility]
        parts.append(f"<h4>{html.escape(names.get(facility, facility))} ({html.escape(facility)})</h4>")
        if all_suppressed(mine, "case_mix_index"):
            parts.append(ALL_SUPPRESSED)
        else:
            fig = case_mix_figure(rows, facility, months, mdc, span)
            parts.append(figure_html(fig, f"chart-ind-case-mix-{facility}"))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# The section's charts, each with its explanation (templates/indicators.html.j2 lays them out)
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorView:
    figure: str  # the chart's HTML, from figure_html
    title: str
    text: str
    formula: str = ""


def indicator_charts(
    data: dict[str, list[dict[str, Any]]],
    facilities: list[dict[str, Any]],
    mdc: dict[str, Any],
    figure_html: FigureHtml,
) -> list[IndicatorView]:
    """Every indicator chart the published tables allow, each with its explanation; [] when there are none."""
    names = {f["facility_code"]: f["facility_name_ja"] for f in facilities}
    views = []
    fiscal_year = data.get("fiscal_year") or []
    for chart in CHARTS:
        if fiscal_year and chart.column in fiscal_year[0]:
            if all_suppressed(fiscal_year, chart.column):
                drawn = ALL_SUPPRESSED
            else:
                drawn = figure_html(indicator_figure(chart, fiscal_year, names), f"chart-ind-{chart.column}")
            views.append(
                IndicatorView(
                    drawn,
                    f"{chart.ja} {chart.en}",
                    chart.explanation,
                    chart.formula,
                )
            )
    periods = data.get("periods") or []
    if periods and "points_per_day" in periods[0]:
        views.append(
            IndicatorView(
                figure_html(periods_figure(periods, names), "chart-ind-points-per-day-by-period"),
                "入院期間別 1日当たり点数 Points per day by billing period",
                PERIODS_TEXT,
                "Σ billed points in the period ÷ inpatient days in the period",
            )
        )
    case_mix = data.get("case_mix") or []
    if case_mix and "case_mix_index" in case_mix[0]:
        views.append(
            IndicatorView(
                case_mix_html(case_mix, names, mdc, figure_html),
                "ケースミックス指数 Case-mix index",
                CASE_MIX_TEXT,
                "mean over the 包括 stays of (the code's points for a stay of 入院日Ⅱ days ÷ the mean over all 包括 codes)",
            )
        )
    return views
