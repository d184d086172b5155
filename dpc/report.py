"""The static KPI report: one HTML file (plotly.js inline, opens offline) from the published mart.

Reads only what analysts may read: the published ``mart`` schema for every number (never mart_build, stage or
the unsuppressed int_ models) and the ``dq`` schema for the data-quality status. Disclosure control
(docs/decisions/0020) is the mart's job: a cell the mart marks ``is_suppressed`` is drawn as 秘匿 (suppressed),
never recomputed. The indicator tables of the DPC indicators (models/mart/indicators/) get their own section
when they are published; without them the section is left out.

    write_report(db_path, out) -> out     # dpc report, and the last step of dpc run / dpc demo
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dpc import duck

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

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


# ---------------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------------
def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = ?", [schema])
    return {r[0] for r in rows.fetchall()}


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_report_data(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Everything the report shows, as plain rows: mart for the numbers, dq for the quality status."""
    mart = _tables(con, MART)
    missing = {"kpi_monthly_facility_mdc", "dim_facility", "dim_mdc"} - mart
    if missing:
        raise RuntimeError(f"the published mart lacks {sorted(missing)}: run the pipeline first (dpc run)")
    data: dict[str, Any] = {
        "kpi": _records(
            con,
            "select facility_code, discharge_yyyymm, mdc_code, is_suppressed, discharges, mean_los_days, "
            "points_per_day, readmission_rate_30d from mart.kpi_monthly_facility_mdc "
            "order by facility_code, discharge_yyyymm, mdc_code",
        ),
        "facilities": _records(
            con,
            "select facility_code, facility_name_ja, facility_name_en, beds, first_yyyymm, last_yyyymm, stays "
            "from mart.dim_facility order by facility_code",
        ),
        "mdc": {r["mdc_code"]: r for r in _records(con, "select * from mart.dim_mdc order by mdc_code")},
        "indicators": [],
    }
    for table, ja, en in INDICATOR_TABLES:
        if table in mart:
            data["indicators"].append({"table": table, "ja": ja, "en": en, **_indicator_rows(con, table)})
    data["dq"] = read_dq(con)
    data["indicator_charts"] = _read_indicator_charts(con)
    return data


def _read_indicator_charts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The rows the Indicators section charts (dpc/report_indicators.py, owned with models/mart/indicators)."""
    from dpc.report_indicators import read_indicator_charts

    return read_indicator_charts(con)


def _indicator_rows(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, Any]:
    """An indicator table as published, hash keys (*_id) left out, ordered by its leading columns."""
    names = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [MART, table],
        ).fetchall()
    ]
    columns = [c for c in names if not c.endswith("_id")] or names
    select = ", ".join(f'"{c}"' for c in columns)
    order = ", ".join(str(i + 1) for i in range(min(3, len(columns))))
    rows = con.execute(f'select {select} from {MART}."{table}" order by {order} limit {INDICATOR_ROW_LIMIT}').fetchall()
    total = duck.scalar(con, f'select count(*) from {MART}."{table}"')
    return {"columns": columns, "rows": rows, "total": total}


def read_dq(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    dq = _tables(con, DQ)
    out: dict[str, Any] = {"run": None, "status": [], "problems": [], "deliveries": []}
    if "dq_results" in dq:
        run = con.execute(
            "select run_id, max(checked_at) from dq.dq_results group by run_id order by 2 desc limit 1"
        ).fetchone()
        if run:
            out["run"] = {"run_id": run[0], "checked_at": run[1]}
            out["status"] = _records(
                con,
                "select status, severity, count(*) as checks from dq.dq_results where run_id = ? "
                "group by status, severity order by status, severity",
                [run[0]],
            )
            out["problems"] = _records(
                con,
                "select check_name, model_name, status, severity, failing_rows from dq.dq_results "
                "where run_id = ? and status <> 'pass' order by severity, check_name",
                [run[0]],
            )
    if "dq_reconciliation" in dq:
        out["deliveries"] = _records(
            con,
            "select facility_code, yyyymm, sum(delivered_rows) as delivered_rows, sum(staged_rows) as staged_rows, "
            "sum(quarantined_rows) as quarantined_rows, sum(abs(difference)) as unreconciled_rows "
            "from dq.dq_reconciliation group by facility_code, yyyymm order by facility_code, yyyymm",
        )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------------------------
def _month(yyyymm: int) -> str:
    return f"{yyyymm // 100}-{yyyymm % 100:02d}"


def _mdc_names(code: str, mdc: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """(Japanese, English) name of an MDC; the axis shows code + Japanese, the hover adds the English gloss."""
    if code == NO_MDC[0]:
        return NO_MDC[1], NO_MDC[2]
    row = mdc.get(code)
    return (row["mdc_name_ja"], row["mdc_name_en"]) if row else ("", "")


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def facility_figure(facility: dict[str, Any], rows: list[dict[str, Any]], mdc: dict[str, Any]) -> go.Figure:
    """MDC × discharge month heatmaps of the four KPIs for one facility; suppressed cells grey, marked 秘匿."""
    months = sorted({r["discharge_yyyymm"] for r in rows})
    codes = sorted({r["mdc_code"] for r in rows})
    x = [_month(m) for m in months]
    names = [_mdc_names(c, mdc) for c in codes]
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
                None if s or (c, m) not in cell else _number(cell[(c, m)][metric.column])
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


# ---------------------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------------------
CSS = f"""
body {{ font-family: {FONT}; margin: 0; color: #222; background: #f6f7f9; }}
header {{ background: #0b4f6c; color: white; padding: 18px 28px; }}
header h1 {{ margin: 0 0 4px 0; font-size: 22px; }}
header p {{ margin: 2px 0; font-size: 13px; opacity: 0.9; }}
nav {{ padding: 8px 28px; background: #e8eef2; font-size: 13px; }}
nav a {{ margin-right: 14px; color: #0b4f6c; }}
main {{ padding: 8px 28px 40px 28px; }}
section {{ background: white; border-radius: 6px; padding: 14px 18px; margin: 16px 0; box-shadow: 0 1px 2px #0002; }}
h2 {{ font-size: 18px; margin: 4px 0 10px 0; }}
h3 {{ font-size: 15px; margin: 14px 0 6px 0; }}
table {{ border-collapse: collapse; font-size: 12px; margin: 6px 0; }}
th, td {{ border: 1px solid #ddd; padding: 3px 8px; text-align: right; }}
th {{ background: #f0f3f5; }}
td.text, th.text {{ text-align: left; }}
td.suppressed {{ background: #d9d9d9; color: #444; text-align: center; }}
td.bad {{ background: #f8d7da; }}
.note {{ font-size: 12px; color: #555; }}
.scroll {{ max-width: 100%; max-height: 480px; overflow: auto; border: 1px solid #eee; }}
.scroll th {{ position: sticky; top: 0; }}
.empty {{ color: #777; font-style: italic; }}
"""


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _decimal(value: float) -> str:
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _is_label(column: str) -> bool:
    """Codes, months and years print as they are (202404, not 202,404)."""
    return column.endswith(("yyyymm", "year", "_code", "_id", "_no"))


def _cell(value: object, *, suppressed: bool = False, column: str = "") -> str:
    if suppressed and value is None:
        return f'<td class="suppressed">{SUPPRESSED}</td>'
    if value is None:
        return "<td>—</td>"
    if isinstance(value, bool):
        return f"<td>{'true' if value else 'false'}</td>"
    if isinstance(value, int):
        return f"<td>{value}</td>" if _is_label(column) else f"<td>{value:,}</td>"
    if isinstance(value, float):
        return "<td>—</td>" if math.isnan(value) else f"<td>{_decimal(value)}</td>"
    if isinstance(value, Decimal):
        return f"<td>{_decimal(float(value))}</td>"
    return f'<td class="text">{_esc(value)}</td>'


def _table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], *, headings: Sequence[str] = (), css: str = ""
) -> str:
    """An HTML table; a row the mart marks is_suppressed shows its missing values as 秘匿."""
    suppressed_at = list(columns).index("is_suppressed") if "is_suppressed" in columns else None
    head = "".join(f'<th class="text">{_esc(c)}</th>' for c in (headings or columns))
    body = []
    for row in rows:
        suppressed = bool(suppressed_at is not None and row[suppressed_at])
        cells = (_cell(v, suppressed=suppressed, column=c) for c, v in zip(columns, row, strict=True))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


class _Figures:
    """plotly.js goes inline exactly once (the first figure); every later figure reuses it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: go.Figure, div_id: str) -> str:
        include = self.count == 0
        self.count += 1
        return fig.to_html(full_html=False, include_plotlyjs=include, config=PLOTLY_CONFIG, div_id=div_id)


def _facility_sections(data: dict[str, Any], figures: _Figures) -> tuple[str, list[str]]:
    by_facility: dict[str, list[dict[str, Any]]] = {}
    for r in data["kpi"]:
        by_facility.setdefault(r["facility_code"], []).append(r)
    names = {f["facility_code"]: f for f in data["facilities"]}
    parts, nav = [], []
    for code in sorted(by_facility):
        facility = names.get(code, {"facility_code": code, "facility_name_ja": code, "facility_name_en": code})
        rows = by_facility[code]
        suppressed = sum(1 for r in rows if r["is_suppressed"])
        anchor = f"facility-{code}"
        nav.append(f'<a href="#{anchor}">{_esc(facility["facility_name_ja"])}</a>')
        parts.append(
            f'<section id="{anchor}" class="facility"><h2>{_esc(facility["facility_name_ja"])} '
            f"<small>{_esc(facility['facility_name_en'])} · 施設コード {_esc(code)}</small></h2>"
            f'<p class="note">{len(rows)} cells (MDC × month), of which {suppressed} are {SUPPRESSED} '
            f"(suppressed: fewer discharges than the disclosure threshold).</p>"
            + figures.html(facility_figure(facility, rows, data["mdc"]), f"chart-{code}")
            + "</section>"
        )
    if not parts:
        parts.append(
            '<section><p class="empty">No discharges are published yet (mart.kpi_monthly_facility_mdc '
            "is empty).</p></section>"
        )
    return "".join(parts), nav


def _overview(data: dict[str, Any]) -> str:
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
    return (
        '<section id="overview"><h2>施設一覧 Facilities</h2>'
        + (
            _table(columns, rows, headings=heading)
            if rows
            else '<p class="empty">No facility has delivered stays yet.</p>'
        )
        + "</section>"
    )


def _dq_section(dq: dict[str, Any], figures: _Figures) -> str:
    parts = ['<section id="dq"><h2>データ品質 Data quality (DQ)</h2>']
    if dq["run"]:
        parts.append(
            f'<p class="note">Latest dbt run {_esc(dq["run"]["run_id"])}, checked at '
            f"{_esc(dq['run']['checked_at'])}. Error-severity failures stop publication; warnings are "
            "recorded and reported.</p>"
        )
        parts.append(figures.html(dq_figure(dq["status"]), "chart-dq"))
        if dq["problems"]:
            cols = ["check_name", "model_name", "status", "severity", "failing_rows"]
            parts.append(
                "<h3>要確認 Checks that did not pass</h3>"
                + f'<div class="scroll">{_table(cols, [[p[c] for c in cols] for p in dq["problems"]])}</div>'
            )
        else:
            parts.append('<p class="dq-ok">全検査合格 every check passed.</p>')
    else:
        parts.append('<p class="empty">No data-quality results recorded yet (dq.dq_results).</p>')
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
            cells = "".join(_cell(d[c], column=c) for c in cols[:-1])
            last = f'<td class="bad">{d["unreconciled_rows"]:,}</td>' if bad else _cell(d["unreconciled_rows"])
            body.append(f"<tr>{cells}{last}</tr>")
        head = "".join(f'<th class="text">{h}</th>' for h in heading)
        parts.append(
            "<h3>施設別・提出別の突合 Reconciliation per facility and delivery</h3>"
            f'<div class="scroll"><table id="dq-deliveries"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>"
            '<p class="note">delivered = staged + quarantined for every file kind; quarantined rows are in '
            "dq.quarantine_&lt;kind&gt; with their reasons.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _indicators_section(indicators: list[dict[str, Any]], charts: str = "") -> str:
    if not indicators:
        return ""
    parts = [
        '<section id="indicators"><h2>指標 Indicators</h2>'
        '<p class="note">DPC indicators as the mart publishes them (models/mart/indicators); cells the mart '
        f"suppresses show {SUPPRESSED}.</p>" + charts
    ]
    for ind in indicators:
        shown = len(ind["rows"])
        more = f" (first {shown} of {ind['total']:,} rows)" if ind["total"] > shown else ""
        parts.append(
            f'<h3 id="indicator-{_esc(ind["table"])}">{_esc(ind["ja"])} {_esc(ind["en"])} '
            f"<small>mart.{_esc(ind['table'])}{more}</small></h3>"
        )
        parts.append(
            f'<div class="scroll">{_table(ind["columns"], ind["rows"], css="indicator")}</div>'
            if ind["rows"]
            else '<p class="empty">No rows yet.</p>'
        )
    parts.append("</section>")
    return "".join(parts)


def _indicator_charts(data: dict[str, Any], figures: _Figures) -> str:
    """Each indicator's chart with its plain-language explanation (dpc/report_indicators.py)."""
    if not data["indicators"] or not data.get("indicator_charts"):
        return ""
    from dpc.report_indicators import indicator_charts_html

    return indicator_charts_html(data["indicator_charts"], data["facilities"], data["mdc"], figures.html)


def render_report(data: dict[str, Any], *, generated_at: datetime | None = None) -> str:
    figures = _Figures()
    generated = (generated_at or datetime.now(UTC)).isoformat(timespec="seconds")
    facility_html, facility_nav = _facility_sections(data, figures)
    dq_html = _dq_section(data["dq"], figures)
    indicators_html = _indicators_section(data["indicators"], _indicator_charts(data, figures))
    nav = ['<a href="#overview">施設一覧 Facilities</a>', *facility_nav, '<a href="#dq">データ品質 DQ</a>']
    if indicators_html:
        nav.append('<a href="#indicators">指標 Indicators</a>')
    metrics = " · ".join(f"{m.ja} {m.en}" for m in METRICS)
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>DPC 学習基盤 KPI レポート (KPI report)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body>
<header><h1>DPC 学習基盤 — KPI レポート <small>KPI report</small></h1>
<p>{metrics} — per facility, by 主要診断群 (MDC, major diagnostic category) and 退院月 (discharge month).</p>
<p>How each figure is computed: 退院患者数 counts stays whose parent 様式1 reports the discharge (spec p40, p48;
docs/decisions/0004); 平均在院日数 counts both the admission and the discharge day; 1日当たり請求点数 divides the D
file's points as the receipt computes them — per claim month round(Σ DPC per-diem points × 医療機関別係数), plus
adjustment (94) rows and fee-for-service 行為点数 × 行為回数; meals are yen and never points (p194, p214–p215;
docs/decisions/0007) — by those days; 30日以内再入院率 counts any later admission within 30 days, any cause (not
the DPC measure, which is in the indicators below; docs/decisions/0006).</p>
<p>Source: the published <code>mart</code> schema (and <code>dq</code> for data quality). Generated {generated}.
Grey cells marked {SUPPRESSED} are suppressed by the mart's disclosure control (fewer discharges than the threshold,
default 10).</p></header>
<nav>{"".join(nav)}</nav>
<main>{_overview(data)}{facility_html}{dq_html}{indicators_html}</main>
</body></html>
"""


def write_report(db_path: Path, out: Path) -> Path:
    """Read the published mart (read-only) and write the report to out; returns out."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        data = read_report_data(con)
    page = render_report(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


__all__ = ["INDICATOR_TABLES", "METRICS", "read_report_data", "render_report", "write_report"]
