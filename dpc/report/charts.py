"""The KPI and data-quality charts of the report: per facility, MDC × discharge month heatmaps of the four KPIs
(suppressed cells grey, marked 秘匿); the DQ check results as one stacked bar. Plotly figures, no HTML."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dpc.report.common import FONT, METRICS, SUPPRESSED, mdc_names, month_label, number


def facility_figure(facility: dict[str, Any], rows: list[dict[str, Any]], mdc: dict[str, Any]) -> go.Figure:
    """MDC × discharge month heatmaps of the four KPIs for one facility; suppressed cells grey, marked 秘匿."""
    months = sorted({r["discharge_yyyymm"] for r in rows})
    codes = sorted({r["mdc_code"] for r in rows})
    x = [month_label(m) for m in months]
    names = [mdc_names(c, mdc) for c in codes]
    y = [f"{c} {ja}" for c, (ja, _) in zip(codes, names, strict=True)]
    english = [[en] * len(months) for _, en in names]
    cell = {(r["mdc_code"], r["discharge_yyyymm"]): r for r in rows}
    suppressed = [[bool(cell.get((c, m)) and cell[(c, m)]["is_suppressed"]) for m in months] for c in codes]
    mask = [[1 if s else None for s in line] for line in suppressed]
    mask_text = [[SUPPRESSED if s else "" for s in line] for line in suppressed]
    fig = make_subplots(
        rows=2,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.09,
        vertical_spacing=0.1,
        subplot_titles=[f"{m.ja} {m.en}" for m in METRICS],
    )
    for i, metric in enumerate(METRICS):
        row, col = divmod(i, 2)
        values = [
            [
                None if s or (c, m) not in cell else number(cell[(c, m)][metric.column])
                for m, s in zip(months, line, strict=True)
            ]
            for c, line in zip(codes, suppressed, strict=True)
        ]
        text = [["" if v is None else format(v, metric.fmt) for v in line] for line in values]
        common = {"x": x, "y": y, "xgap": 1, "ygap": 1, "customdata": english, "texttemplate": "%{text}"}
        fig.add_trace(
            go.Heatmap(
                z=values,
                text=text,
                colorscale=metric.colorscale,
                colorbar={
                    "len": 0.42,
                    "thickness": 10,
                    "x": 0.455 + 0.545 * col,
                    "y": 0.78 - 0.55 * row,
                    "tickformat": metric.fmt,
                },
                name=metric.en,
                hovertemplate="%{y} (%{customdata})<br>%{x}<br>" + f"{metric.ja} {metric.en}: %{{text}}<extra></extra>",
                **common,
            ),
            row=row + 1,
            col=col + 1,
        )
        fig.add_trace(
            go.Heatmap(
                z=mask,
                text=mask_text,
                colorscale=[[0, "#d9d9d9"], [1, "#d9d9d9"]],
                showscale=False,
                name=f"{SUPPRESSED} suppressed",
                hovertemplate="%{y} (%{customdata})<br>%{x}<br>"
                + f"{SUPPRESSED} suppressed (fewer discharges than the disclosure threshold)<extra></extra>",
                **common,
            ),
            row=row + 1,
            col=col + 1,
        )
    fig.update_layout(
        height=max(520, 2 * (60 + 26 * len(codes)) + 120),
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", title_text="退院月 discharge month")
    return fig


def dq_figure(status: list[dict[str, Any]]) -> go.Figure:
    colours = {"pass": "#2ca02c", "warn": "#ff7f0e", "fail": "#d62728", "error": "#8c1b1b", "skipped": "#999999"}
    fig = go.Figure()
    for s in status:
        fig.add_trace(
            go.Bar(
                x=[s["checks"]],
                y=[f"severity {s['severity']}"],
                orientation="h",
                name=s["status"],
                marker_color=colours.get(s["status"], "#666666"),
                text=[s["checks"]],
                textposition="inside",
            )
        )
    fig.update_layout(
        barmode="stack",
        height=220,
        title={"text": "検査結果 Check results (latest run)", "x": 0.01},
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
