"""Publish step (write-audit-publish, docs/decisions/0009): copy what the run changed from mart_build into mart.

Runs only after dbt's error-severity tests and the DQ gate passed. Everything happens in ONE transaction, and
the publication log (``dq.publish_log``) is written in that same transaction: analysts see the previous mart
until the commit, and a failure or a kill before it leaves mart exactly as it was.

What is copied (:class:`Touched`): the deliveries (facility × month) loaded since the last complete publication
— not only by this run: a run killed after loading leaves its deliveries pending, and the next run, which finds
them "unchanged", publishes them from mart_build (it resumes). Each mart table has a grain (:data:`GRAINS`):

- ``delivery`` tables (row level: one row per delivered line) replace exactly the touched facility-months;
- ``kpi`` tables replace the touched KPI months (facility × discharge month): given by the caller when the
  incremental build knows them, else found by comparing mart_build with mart for the touched facilities;
- ``stay`` tables replace every stay of a touched facility (stays span months and readmission windows look
  back across months, so a re-delivery can change stays of other months of its facility, never of another one);
- any other table (dimensions, tables added later) is replaced whole — always correct, only less incremental.

``touched=None`` (first publication, full refresh) replaces every table whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

BUILD_SCHEMA = "mart_build"
PUBLISHED_SCHEMA = "mart"

# table → (grain, key columns). Tables not listed are replaced whole.
GRAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fct_billing_lines": ("delivery", ("facility_code", "yyyymm")),
    "fct_admissions": ("stay", ("facility_code",)),
    "kpi_monthly_facility_mdc": ("kpi", ("facility_code", "discharge_yyyymm")),
}

PUBLISH_LOG_DDL = """
create table if not exists dq.publish_log (
    run_id varchar not null,
    build_started_at timestamp with time zone not null,
    published_at timestamp with time zone not null,
    complete boolean not null,
    mode varchar not null,
    deliveries varchar,
    tables varchar
)
"""


@dataclass(frozen=True)
class Touched:
    """What a publication must copy: deliveries (facility, yyyymm) and, when known, KPI months (facility, yyyymm)."""

    facility_months: frozenset[tuple[str, int]]
    kpi_months: frozenset[tuple[str, int]] | None = None

    @property
    def facilities(self) -> frozenset[str]:
        return frozenset(f for f, _ in self.facility_months)

    def as_dict(self) -> dict[str, object]:
        return {
            "facility_months": sorted([f, m] for f, m in self.facility_months),
            "kpi_months": None if self.kpi_months is None else sorted([f, m] for f, m in self.kpi_months),
        }


def ensure_publish_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists dq")
    con.execute(PUBLISH_LOG_DDL)


def pending(con: duckdb.DuckDBPyConnection) -> Touched | None:
    """Deliveries loaded since the build of the last complete publication; None when nothing was published yet."""
    ensure_publish_log(con)
    last = con.execute("select max(build_started_at) from dq.publish_log where complete").fetchone()[0]
    if last is None or not mart_tables(con, PUBLISHED_SCHEMA):
        return None
    rows = con.execute(
        "select distinct facility_code, yyyymm from dq.load_history where loaded_at >= ?", [last]
    ).fetchall()
    return Touched(frozenset((str(f), int(m)) for f, m in rows))


def mart_tables(con: duckdb.DuckDBPyConnection, schema: str = BUILD_SCHEMA) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by table_name",
            [schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()


def _keys_table(con: duckdb.DuckDBPyConnection, name: str, columns: tuple[str, ...], keys: Iterable[tuple]) -> None:
    types = {"facility_code": "varchar"}
    con.execute(
        f"create or replace temp table {name} (" + ", ".join(f"{c} {types.get(c, 'integer')}" for c in columns) + ")"
    )
    rows = [tuple(k) if isinstance(k, tuple) else (k,) for k in keys]
    if rows:
        con.executemany(f"insert into {name} values ({', '.join('?' for _ in columns)})", rows)


def _match(alias: str, keys: str, columns: tuple[str, ...]) -> str:
    on = " and ".join(f"k.{c} = {alias}.{c}" for c in columns)
    return f"exists (select 1 from {keys} as k where {on})"


def _changed_kpi_months(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> list[tuple]:
    """KPI months of the touched facilities whose rows differ between mart_build and mart."""
    cols = ", ".join(f'"{c}"' for c in columns)
    where = _match("t", "publish_facilities", ("facility_code",))
    return con.execute(
        f"""
        select distinct facility_code, discharge_yyyymm from (
            (select {cols} from {BUILD_SCHEMA}.{table} as t where {where}
             except all select {cols} from {PUBLISHED_SCHEMA}.{table} as t where {where})
            union all
            (select {cols} from {PUBLISHED_SCHEMA}.{table} as t where {where}
             except all select {cols} from {BUILD_SCHEMA}.{table} as t where {where})
        ) as changed
        """
    ).fetchall()


def publish_duckdb(
    con: duckdb.DuckDBPyConnection,
    touched: Touched | None = None,
    *,
    run_id: str = "",
    build_started_at: datetime | None = None,
    complete: bool = True,
) -> dict[str, dict[str, object]]:
    """Copy mart_build into mart atomically (see the module docstring); returns what was copied per table.

    ``complete=False`` (a build restricted by --select) publishes, but keeps the deliveries pending: the next
    complete build publishes them again.
    """
    tables = mart_tables(con)
    ensure_publish_log(con)
    con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
    report: dict[str, dict[str, object]] = {}
    con.execute("begin transaction")
    try:
        if touched is not None:
            _keys_table(con, "publish_facility_months", ("facility_code", "yyyymm"), touched.facility_months)
            _keys_table(con, "publish_facilities", ("facility_code",), [(f,) for f in touched.facilities])
        for table in tables:
            build_cols = _columns(con, BUILD_SCHEMA, table)
            grain, key = GRAINS.get(table, ("whole", ()))
            if touched is None or grain == "whole" or _columns(con, PUBLISHED_SCHEMA, table) != build_cols:
                con.execute(
                    f"create or replace table {PUBLISHED_SCHEMA}.{table} as select * from {BUILD_SCHEMA}.{table}"
                )
                report[table] = {"mode": "whole"}
                continue
            if grain == "delivery":
                keys_table, n_keys = "publish_facility_months", len(touched.facility_months)
            elif grain == "stay":
                keys_table, n_keys = "publish_facilities", len(touched.facilities)
            else:  # kpi
                months = touched.kpi_months
                if months is None:
                    months = frozenset(_changed_kpi_months(con, table, [c for c, _ in build_cols]))
                months = frozenset(m for m in months if m[0] in touched.facilities)
                _keys_table(con, "publish_kpi_months", key, months)
                keys_table, n_keys = "publish_kpi_months", len(months)
            deleted = con.execute(
                f"delete from {PUBLISHED_SCHEMA}.{table} as t where {_match('t', keys_table, key)}"
            ).fetchone()[0]
            inserted = con.execute(
                f"insert into {PUBLISHED_SCHEMA}.{table} by name "
                f"select * from {BUILD_SCHEMA}.{table} as t where {_match('t', keys_table, key)}"
            ).fetchone()[0]
            report[table] = {"mode": grain, "keys": n_keys, "deleted": deleted, "inserted": inserted}
        con.execute(
            "insert into dq.publish_log values (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                build_started_at or datetime.now(UTC),
                datetime.now(UTC),
                complete,
                "full" if touched is None else "incremental",
                None if touched is None else ",".join(f"{f}-{m}" for f, m in sorted(touched.facility_months)),
                ",".join(tables),
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for table in tables:
        report[table]["rows"] = con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{table}").fetchone()[0]
    return report
