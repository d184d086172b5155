"""The KPI and data-quality charts of the report: per facility and KPI, an MDC × discharge month heatmap on one
colour range shared by every facility (suppressed cells grey, marked 秘匿); the DQ check results as one stacked
bar. Plotly figures, no HTML."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dpc.report.common import FONT, METRICS, SUPPRESSED, Metric, mdc_names, month_label, number

Scale = tuple[float, float]


def shared_scales(rows: list[dict[str, Any]]) -> dict[str, Scale]:
    """One colour range per KPI across every facility, so that a colour means the same value in every panel.
    Counts, days and points start at 0; rates run 0–max. Suppressed cells do not widen the range (they are not
    drawn)."""
    scales = {}
    for metric in METRICS:
        values = [v for r in rows if not r["is_suppressed"] and (v := number(r[metric.column])) is not None]
        top = max(values, default=0.0)
        scales[metric.column] = (0.0, top if top > 0 else 1.0)
    return scales


def metric_figure(metric: Metric, rows: list[dict[str, Any]], mdc: dict[str, Any], scale: Scale) -> go.Figure:
    """One KPI of one facility as an MDC × discharge month heatmap, on the report's shared colour range;
    suppressed cells grey, marked 秘匿. The title is the page's, not the figure's: it cannot overlap at any width."""
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
    values = [
        [
            None if s or (c, m) not in cell else number(cell[(c, m)][metric.column])
            for m, s in zip(months, line, strict=True)
        ]
        for c, line in zip(codes, suppressed, strict=True)
    ]
    text = [["" if v is None else format(v, metric.fmt) for v in line] for line in values]
    common = {"x": x, "y": y, "xgap": 1, "ygap": 1, "customdata": english, "texttemplate": "%{text}"}
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=values,
            text=text,
            zmin=scale[0],
            zmax=scale[1],
            colorscale=metric.colorscale,
            colorbar={"thickness": 10, "tickformat": metric.fmt, "len": 1.0},
            name=metric.en,
            hovertemplate="%{y} (%{customdata})<br>%{x}<br>" + f"{metric.ja} {metric.en}: %{{text}}<extra></extra>",
            **common,
        )
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
        )
    )
    fig.update_layout(
        height=110 + 24 * len(codes),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        font={"family": FONT, "size": 12},
        plot_bgcolor="white",
    )
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(type="category", automargin=True)
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
