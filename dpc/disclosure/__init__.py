"""病院情報の公表: the page a DPC hospital publishes once a year — the seven 病院指標 and the 医療の質指標 — for one
facility and fiscal year, as offline HTML with one CSV per table (docs/hospital-indicators.md).

Reads only the published ``mart`` schema (models/mart/disclosure/). The figures follow the ministry's own rule (a
figure from fewer than 10 cases is ``-``) and the page is exempt from the platform's complementary suppression
(docs/decisions/0020); it shows no total and nothing else from which a ``-`` could be derived.

    write_disclosure(db_path, out_dir, facility_code, fiscal_year) -> out_dir / "index.html"   # dpc disclose
    disclosure_pages(db_path) -> [(facility_code, fiscal_year), …]
    page_dir(root, facility_code, fiscal_year) -> root / facility / "FY<year>"
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from dpc.disclosure.page import render_page, table_rows
from dpc.disclosure.tables import HOSPITAL_INDICATORS, INSURANCE_INDEX_QUALITY, QUALITY_INDICATORS, TableSpec
from dpc.errors import StepInputError

PUBLISHED = "mart"


def page_dir(root: Path, facility_code: str, fiscal_year: int) -> Path:
    return root / facility_code / f"FY{fiscal_year}"


def disclosure_pages(db_path: Path) -> list[tuple[str, int]]:
    """Every facility × fiscal year the published mart has 病院指標 for."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        if not _exists(con, PUBLISHED, "disc_age_band_discharges"):
            return []
        rows = con.execute(
            f"select distinct facility_code, fiscal_year from {PUBLISHED}.disc_age_band_discharges order by 1, 2"
        ).fetchall()
    return [(str(f), int(y)) for f, y in rows]


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(found and found[0])


def _csv(spec: TableSpec, rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in (*spec.group_by, *spec.columns)])
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # UTF-8 with BOM: opens in Excel, as hospitals' CSVs do


def _quality_section(
    con: duckdb.DuckDBPyConnection, facility_code: str, fiscal_year: int
) -> tuple[list[str], list[list[str]]] | None:
    """The 保険診療指数 data-quality figures, when a model of that name is published (mart, else dq)."""
    for schema in (PUBLISHED, "dq"):
        if _exists(con, schema, INSURANCE_INDEX_QUALITY):
            cur = con.execute(f"select * from {schema}.{INSURANCE_INDEX_QUALITY} limit 0")
            columns = [d[0] for d in cur.description]
            where: list[str] = ["facility_code = ?"]
            params: list[object] = [facility_code]
            if "fiscal_year" in columns:
                where.append("fiscal_year = ?")
                params.append(fiscal_year)
            query = f"select * from {schema}.{INSURANCE_INDEX_QUALITY} where {' and '.join(where)} order by all"
            rows = con.execute(query, params).fetchall() if "facility_code" in columns else []
            return columns, [["-" if v is None else str(v) for v in r] for r in rows]
    return None


def write_disclosure(db_path: Path, out_dir: Path, facility_code: str, fiscal_year: int) -> Path:
    """Write index.html and one CSV per table for the facility and fiscal year; returns the page's path."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        for spec in (*HOSPITAL_INDICATORS, QUALITY_INDICATORS):
            if not _exists(con, PUBLISHED, spec.model):
                raise StepInputError(f"{PUBLISHED}.{spec.model} is not published: run `dpc run` first")
        found = con.execute(
            f"select count(*) from {PUBLISHED}.disc_age_band_discharges where facility_code = ? and fiscal_year = ?",
            [facility_code, fiscal_year],
        ).fetchone()
        if not found or not found[0]:
            raise StepInputError(f"no discharges of facility {facility_code} in fiscal year {fiscal_year}")
        name = con.execute(
            f"select facility_name_ja from {PUBLISHED}.dim_facility where facility_code = ?", [facility_code]
        ).fetchone()
        tables = {
            spec.key: table_rows(con, PUBLISHED, spec, facility_code, fiscal_year)
            for spec in (*HOSPITAL_INDICATORS, QUALITY_INDICATORS)
        }
        quality = _quality_section(con, facility_code, fiscal_year)
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec in (*HOSPITAL_INDICATORS, QUALITY_INDICATORS):
        (out_dir / f"{spec.key}.csv").write_text(_csv(spec, tables[spec.key]), encoding="utf-8")
    page = render_page(
        facility_code=facility_code,
        facility_name=str(name[0]) if name and name[0] else facility_code,
        fiscal_year=fiscal_year,
        tables=tables,
        quality=quality,
    )
    path = out_dir / "index.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def write_all(db_path: Path, root: Path) -> list[Path]:
    """Every facility × fiscal year's page under root (the pipeline's report step)."""
    return [write_disclosure(db_path, page_dir(root, f, y), f, y) for f, y in disclosure_pages(db_path)]


__all__ = ["disclosure_pages", "page_dir", "write_all", "write_disclosure"]
