"""The report's 保険診療指数 data-quality section: per facility, the monthly and fiscal-year figures of
``mart.fct_insurance_index_quality`` and, from ``dq.dq_insurance_index_cases``, the rows behind them (the codes
that offend most, with their stays and months). Definitions and sources: docs/insurance-index-quality.md.

    read_insurance_index(con) -> data      # {"figures": [...], "behind": [...]}, [] where a table is not there
    insurance_index_sections(data) -> [...]  # what templates/insurance_index.html.j2 renders

The figures are the hospital's own data-quality counts, shown as the DQ section shows failing rows: they count
coding and file mistakes, not patients of a clinical group, and are not suppressed. The rows behind them are
clinical for one figure (an ICD code and its stays): the report lists such a code only when it has at least ``disclosure_min_stays``
stays (dbt_project.yml, docs/decisions/0020) and counts the others as 秘匿; every row is in the dq schema
(docs/decisions/0036).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from dpc.paths import PROJECT_DIR
from dpc.report.common import DQ, MART, SUPPRESSED

TOP_CODES = 5  # the offending codes shown per facility and figure
CLINICAL = "unspecified_main_diagnosis"  # the figure whose code is a diagnosis (the others: item or file codes)


@dataclass(frozen=True)
class Figure:
    name: str  # int_insurance_index__cases.figure; the mart's columns are <name>_numerator, …
    ja: str
    en: str


FIGURES = (
    Figure("unspecified_main_diagnosis", "部位不明・詳細不明コード（医療資源病名）", "Unspecified main-resource ICD"),
    Figure("uncoded_diagnosis", "未コード化傷病名 0000999", "Uncoded diagnoses"),
    Figure("form1_without_ef", "様式1あり・EFなし", "様式1 without EF"),
    Figure("ef_without_form1", "EFあり・様式1なし", "EF without 様式1"),
    Figure("d_without_form1", "Dあり・様式1なし", "D without 様式1"),
    Figure("form1_without_form4", "様式1あり・様式4なし", "様式1 without 様式4"),
    Figure("form4_without_form1", "様式4あり・様式1なし", "様式4 without 様式1"),
    Figure("form4_no_claim_with_ef", "様式4 保険請求なし・EFあり", "様式4 no claim, EF billed"),
    Figure("discharge_date_mismatch", "退院日の不一致（様式1・EF）", "Discharge date 様式1 ≠ EF"),
)


def min_stays() -> int:
    """The disclosure threshold of the project (var disclosure_min_stays of dbt_project.yml)."""
    import yaml  # a dependency of dbt; only the report reads the project file

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return int(project["vars"]["disclosure_min_stays"])


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = ?", [schema])
    return {r[0] for r in rows.fetchall()}


def _records(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_insurance_index(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """The published figures and the rows behind them; empty lists where a table is not there yet."""
    out: dict[str, list[dict[str, Any]]] = {"figures": [], "behind": []}
    if "fct_insurance_index_quality" in _tables(con, MART):
        out["figures"] = _records(
            con,
            f"select * from {MART}.fct_insurance_index_quality "
            "order by facility_code, fiscal_year, is_fiscal_year_total, yyyymm",
        )
    if "dq_insurance_index_cases" in _tables(con, DQ):
        threshold = min_stays()
        ranked = _records(
            con,
            "select facility_code, figure, code, count(*) as items, count(distinct stay_id) as stays, "
            "min(yyyymm) as first_yyyymm, max(yyyymm) as last_yyyymm "
            f"from {DQ}.dq_insurance_index_cases group by facility_code, figure, code "
            "order by facility_code, figure, items desc, code",
        )
        shown: dict[tuple[str, str], int] = {}
        hidden: dict[tuple[str, str], dict[str, Any]] = {}
        for r in ranked:
            key = (r["facility_code"], r["figure"])
            # an ICD code of few stays is a clinical cell: counted, never named (decision 0036)
            if r["figure"] == CLINICAL and r["stays"] < threshold:
                rest = hidden.setdefault(key, {**r, "code": None, "items": 0, "stays": 0, "codes": 0})
                rest["codes"] += 1
                rest["first_yyyymm"] = min(rest["first_yyyymm"], r["first_yyyymm"])
                rest["last_yyyymm"] = max(rest["last_yyyymm"], r["last_yyyymm"])
                continue
            shown[key] = shown.get(key, 0) + 1
            if shown[key] <= TOP_CODES:
                out["behind"].append(r)
        out["behind"].extend(hidden.values())
    return out


def _rate(row: dict[str, Any], figure: str) -> str:
    numerator, denominator = row[f"{figure}_numerator"], row[f"{figure}_denominator"]
    rate, threshold = row[f"{figure}_rate"], row[f"{figure}_threshold"]
    if not denominator:
        return "—"
    text = f"{rate:.1%} ({numerator:,}/{denominator:,})"
    return text + (" ≥ threshold" if threshold is not None and rate >= threshold else "")


def insurance_index_sections(data: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One section per facility: headings and rows of its figures table and of its rows-behind table."""
    by_facility: dict[str, dict[str, Any]] = {}
    for row in data["figures"]:
        section = by_facility.setdefault(row["facility_code"], {"code": row["facility_code"], "rows": [], "behind": []})
        period = f"FY{row['fiscal_year']}" if row["is_fiscal_year_total"] else str(row["yyyymm"])
        section["rows"].append([period, *(_rate(row, f.name) for f in FIGURES)])
    names = {f.name: f for f in FIGURES}
    for r in data["behind"]:
        section = by_facility.setdefault(r["facility_code"], {"code": r["facility_code"], "rows": [], "behind": []})
        figure = names.get(r["figure"])
        label = f"{figure.ja} {figure.en}" if figure else r["figure"]
        months = str(r["first_yyyymm"]) + ("" if r["first_yyyymm"] == r["last_yyyymm"] else f"–{r['last_yyyymm']}")
        if "codes" in r:  # the codes of fewer stays than the threshold, together
            codes = f"{r['codes']:,} codes of fewer than {min_stays()} stays each"
            section["behind"].append([label, codes, SUPPRESSED, SUPPRESSED, months])
        else:
            section["behind"].append([label, r["code"] or "—", f"{r['items']:,}", f"{r['stays']:,}", months])
    headings = ["月 month", *(f"{f.ja} {f.en}" for f in FIGURES)]
    behind_headings = ["指標 figure", "コード code", "件数 items", "入院 stays", "退院月 months"]
    return [
        {**by_facility[code], "headings": headings, "behind_headings": behind_headings} for code in sorted(by_facility)
    ]
