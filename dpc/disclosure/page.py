"""The 病院情報の公表 page's rows and HTML: values formatted as hospitals print them (``-`` for a masked or missing
figure, two decimals for means and rates), laid out by ``templates/page.html.j2`` (autoescaped, no script, no
external resource: it opens offline)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import duckdb
import jinja2

from dpc.disclosure.tables import COMMON_RULES, HOSPITAL_INDICATORS, OUT_OF_SCOPE, QUALITY_INDICATORS, TableSpec

MASKED = "-"

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dpc.disclosure", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def display(value: object) -> str:
    """A mart value as the page and the CSV print it."""
    if value is None:
        return MASKED
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float | Decimal):
        return f"{float(value):.2f}"
    return str(value)


def table_rows(
    con: duckdb.DuckDBPyConnection, schema: str, spec: TableSpec, facility_code: str, fiscal_year: int
) -> list[list[str]]:
    """The table's rows for the facility and year, group columns first, formatted for the page and the CSV."""
    columns = ", ".join(c.name for c in (*spec.group_by, *spec.columns))
    rows = con.execute(
        f"select {columns} from {schema}.{spec.model} where facility_code = ? and fiscal_year = ? "
        f"order by {spec.order_by}",
        [facility_code, fiscal_year],
    ).fetchall()
    return [[display(v) for v in row] for row in rows]


def _groups(spec: TableSpec, rows: list[list[str]]) -> list[dict[str, Any]]:
    """A table per group (department) as hospitals lay them out; one table when the spec has no group."""
    width = len(spec.group_by)
    if not width:
        return [{"title": "", "rows": rows}]
    groups: dict[tuple[str, ...], list[list[str]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[:width]), []).append(row[width:])
    return [{"title": key[-1], "rows": body} for key, body in groups.items()]


def _section(spec: TableSpec, rows: list[list[str]]) -> dict[str, Any]:
    headings = [c.heading for c in spec.columns]
    if spec.transpose:  # 年齢区分 across, 患者数 below
        groups = [{"title": "", "rows": [[r[i] for r in rows] for i in range(1, len(headings))]}]
        return {
            "spec": spec,
            "headings": [headings[0], *(r[0] for r in rows)],
            "row_headings": headings[1:],
            "groups": groups,
        }
    return {"spec": spec, "headings": headings, "row_headings": [], "groups": _groups(spec, rows)}


def render_page(
    *,
    facility_code: str,
    facility_name: str,
    fiscal_year: int,
    tables: dict[str, list[list[str]]],
    quality: tuple[list[str], list[list[str]]] | None,
    generated_at: datetime | None = None,
) -> str:
    return TEMPLATES.get_template("page.html.j2").render(
        facility_code=facility_code,
        facility_name=facility_name,
        fiscal_year=fiscal_year,
        rules=COMMON_RULES,
        sections=[_section(spec, tables[spec.key]) for spec in HOSPITAL_INDICATORS],
        quality_indicators=_section(QUALITY_INDICATORS, tables[QUALITY_INDICATORS.key]),
        out_of_scope=OUT_OF_SCOPE,
        insurance_quality=quality,
        generated=(generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
    )
