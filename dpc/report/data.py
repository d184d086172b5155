"""The SQL that fetches what the report shows, as plain rows: the published ``mart`` schema for every number
(never mart_build, stage or the unsuppressed int_ models) and the ``dq`` schema for the data-quality status.

Disclosure control (docs/decisions/0020) is the mart's job: rows come with the mart's ``is_suppressed`` and are
never recomputed here. Tables or columns that are not published are left out, so the report works before and
after the indicator tables (models/mart/indicators/) land.

    read_report_data(con) -> data     # everything render_report needs
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from dpc.duck import scalar
from dpc.report.common import DQ, INDICATOR_ROW_LIMIT, INDICATOR_TABLES, MART
from dpc.report.indicators import CHARTS
from dpc.report.insurance_index import read_insurance_index


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
    # 病院情報の公表 pages (dpc disclose, dpc/disclosure/): one per facility × fiscal year the mart has
    data["disclosure"] = (
        _records(
            con,
            "select distinct facility_code, fiscal_year from mart.disc_age_band_discharges "
            "order by facility_code, fiscal_year",
        )
        if "disc_age_band_discharges" in mart
        else []
    )
    data["dq"] = read_dq(con)
    data["indicator_charts"] = read_indicator_charts(con)
    data["insurance_index"] = read_insurance_index(con)
    return data


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
    total = scalar(con, f'select count(*) from {MART}."{table}"')
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


def _published_rows(
    con: duckdb.DuckDBPyConnection, published: set[str], table: str, wanted: Sequence[str]
) -> list[dict[str, Any]]:
    """The wanted columns the published table has, ordered by its grain; [] without the table or its keys."""
    if table not in published:
        return []
    have = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [MART, table],
        ).fetchall()
    }
    if not {"facility_code", "is_suppressed"} <= have:
        return []
    columns = [c for c in wanted if c in have]
    order = ", ".join(str(i + 1) for i in range(min(3, len(columns))))
    return _records(con, f'select {", ".join(columns)} from {MART}."{table}" order by {order}')


def read_indicator_charts(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """The rows the Indicators section charts (dpc/report/indicators.py, owned with models/mart/indicators)."""
    published = _tables(con, MART)
    return {
        "fiscal_year": _published_rows(
            con,
            published,
            "ind_facility_fiscal_year",
            ["facility_code", "fiscal_year", "is_suppressed", *(c.column for c in CHARTS)],
        ),
        "periods": _published_rows(
            con,
            published,
            "kpi_points_per_day_by_period",
            [
                "facility_code",
                "fiscal_year",
                "billing_period",
                "billing_period_name",
                "is_suppressed",
                "points_per_day",
            ],
        ),
        "case_mix": _published_rows(
            con,
            published,
            "kpi_case_mix_monthly",
            ["facility_code", "discharge_yyyymm", "mdc_code", "is_suppressed", "case_mix_index"],
        ),
    }
