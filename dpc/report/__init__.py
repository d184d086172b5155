"""The static KPI report: one HTML file (plotly.js inline, opens offline) from the published mart.

Reads only what analysts may read: the published ``mart`` schema for every number (never mart_build, stage or
the unsuppressed int_ models) and the ``dq`` schema for the data-quality status. Disclosure control
(docs/decisions/0020) is the mart's job: a cell the mart marks ``is_suppressed`` is drawn as 秘匿 (suppressed),
never recomputed. The indicator tables of the DPC indicators (models/mart/indicators/) get their own section
when they are published; without them the section is left out.

    write_report(db_path, out) -> out     # dpc report, and the last step of dpc run / dpc demo

The parts, each imported only by those after it: ``common`` (names and metrics every part shares), ``indicators``
(the indicator charts and their explanations), ``insurance_index`` (the 保険診療指数 data-quality section),
``data`` (the SQL that reads the figures), ``charts`` (the KPI and
DQ charts), ``render`` (the HTML, from the Jinja2 templates in ``templates/``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dpc.report.charts import dq_figure, metric_figure, shared_scales
from dpc.report.common import INDICATOR_TABLES, METRICS, SUPPRESSED
from dpc.report.data import read_dq, read_report_data
from dpc.report.render import render_report


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


__all__ = [
    "INDICATOR_TABLES",
    "METRICS",
    "SUPPRESSED",
    "dq_figure",
    "metric_figure",
    "read_dq",
    "read_report_data",
    "render_report",
    "shared_scales",
    "write_report",
]
