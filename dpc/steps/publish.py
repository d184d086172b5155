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

Held-back deliveries (docs/decisions/0028): when error-severity checks blame some pending deliveries, the run
publishes the others. ``held_back`` names every pending delivery of the blamed facilities; ``touched`` then holds
only the rest. Nothing of a held-back facility is copied: its facility-months, stays and KPI months are not in
``touched``, and a table replaced whole is replaced for the other facilities only (its rows of a held-back
facility keep their published version) — or whole, for the tables that read reference data only
(:data:`REFERENCE_ONLY`); any other table without ``facility_code`` keeps its published version. The held-back
deliveries are written to the publication log and stay pending (:func:`pending`) until a run publishes them.
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

# mart tables built from seeds only (no delivery data): replaced whole even when deliveries are held back
REFERENCE_ONLY = frozenset({"dim_mdc"})

PUBLISH_LOG_DDL = """
create table if not exists dq.publish_log (
    run_id varchar not null,
    build_started_at timestamp with time zone not null,
    published_at timestamp with time zone not null,
    complete boolean not null,
    mode varchar not null,
    deliveries varchar,
    tables varchar,
    held_back varchar
)
"""


class PublicationBlocked(RuntimeError):
    """A partial publication that cannot leave the held-back deliveries out (nothing is published)."""


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
    con.execute("alter table dq.publish_log add column if not exists held_back varchar")  # logs before 0028


def pending(con: duckdb.DuckDBPyConnection) -> Touched | None:
    """Deliveries loaded since the build of the last complete publication, and those it held back (0028);
    None when nothing was published yet."""
    ensure_publish_log(con)
    last = con.execute(
        "select build_started_at, held_back from dq.publish_log where complete "
        "order by build_started_at desc, published_at desc limit 1"
    ).fetchone()
    if last is None or not mart_tables(con, PUBLISHED_SCHEMA):
        return None
    rows = con.execute(
        "select distinct facility_code, yyyymm from dq.load_history where loaded_at >= ?", [last[0]]
    ).fetchall()
    return Touched(frozenset((str(f), int(m)) for f, m in rows) | parse_deliveries(last[1]))


def format_deliveries(deliveries: Iterable[tuple[str, int]]) -> str:
    """The publication log's spelling of deliveries: ``131000017-202406,271000023-202406``."""
    return ",".join(f"{f}-{m}" for f, m in sorted(deliveries))


def parse_deliveries(text: str | None) -> frozenset[tuple[str, int]]:
    out = set()
    for item in (text or "").split(","):
        if item.strip():
            facility, yyyymm = item.strip().split("-")
            out.add((facility, int(yyyymm)))
    return frozenset(out)


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
    held_back: Iterable[tuple[str, int]] = (),
) -> dict[str, dict[str, object]]:
    """Copy mart_build into mart atomically (see the module docstring); returns what was copied per table.

    ``complete=False`` (a build restricted by --select) publishes, but keeps the deliveries pending: the next
    complete build publishes them again. ``held_back``: pending deliveries left out (see the module docstring).
    """
    held = frozenset((str(f), int(m)) for f, m in held_back)
    held_facilities = frozenset(f for f, _ in held)
    if held and touched is None:
        raise PublicationBlocked("a first or full publication replaces every table whole: nothing can be held back")
    if touched is not None and held_facilities & touched.facilities:
        raise PublicationBlocked("a held-back facility cannot also be published: " + ", ".join(sorted(held_facilities)))
    tables = mart_tables(con)
    ensure_publish_log(con)
    con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
    report: dict[str, dict[str, object]] = {}
    con.execute("begin transaction")
    try:
        if touched is not None:
            _keys_table(con, "publish_facility_months", ("facility_code", "yyyymm"), touched.facility_months)
            _keys_table(con, "publish_facilities", ("facility_code",), [(f,) for f in touched.facilities])
            _keys_table(con, "publish_held_back", ("facility_code",), [(f,) for f in held_facilities])
        for table in tables:
            build_cols = _columns(con, BUILD_SCHEMA, table)
            grain, key = GRAINS.get(table, ("whole", ()))
            if held and table not in REFERENCE_ONLY:
                published_cols = _columns(con, PUBLISHED_SCHEMA, table)
                if published_cols and published_cols != build_cols:
                    raise PublicationBlocked(
                        f"{table} changed its columns: a changed table is published whole, held-back deliveries "
                        "included; correct them (or run without them) first"
                    )
                if grain == "whole":
                    report[table] = _publish_without_held_back(con, table, build_cols, bool(published_cols))
                    continue
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
            deleted = con.execute(  # type: ignore[index]  # a delete/insert returns one row, its count
                f"delete from {PUBLISHED_SCHEMA}.{table} as t where {_match('t', keys_table, key)}"
            ).fetchone()[0]
            inserted = con.execute(  # type: ignore[index]  # a delete/insert returns one row, its count
                f"insert into {PUBLISHED_SCHEMA}.{table} by name "
                f"select * from {BUILD_SCHEMA}.{table} as t where {_match('t', keys_table, key)}"
            ).fetchone()[0]
            report[table] = {"mode": grain, "keys": n_keys, "deleted": deleted, "inserted": inserted}
        con.execute(
            "insert into dq.publish_log (run_id, build_started_at, published_at, complete, mode, deliveries, tables, "
            "held_back) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                build_started_at or datetime.now(UTC),
                datetime.now(UTC),
                complete,
                "full" if touched is None else "incremental",
                None if touched is None else format_deliveries(touched.facility_months),
                ",".join(tables),
                format_deliveries(held) or None,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for table in tables:
        if report[table].get("mode") != "kept":
            report[table]["rows"] = con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{table}").fetchone()[0]  # type: ignore[index]  # count(*) returns one row
    return report


def _publish_without_held_back(
    con: duckdb.DuckDBPyConnection, table: str, build_cols: list[tuple[str, str]], exists: bool
) -> dict[str, object]:
    """A table replaced whole, when deliveries are held back: every facility's rows but the held-back ones'."""
    if "facility_code" not in {c for c, _ in build_cols}:
        return {"mode": "kept", "reason": "no facility_code: its published version is kept while deliveries are held"}
    others = "not " + _match("t", "publish_held_back", ("facility_code",))
    deleted = con.execute(f"delete from {PUBLISHED_SCHEMA}.{table} as t where {others}").fetchone()[0] if exists else 0  # type: ignore[index]  # a delete/insert returns one row, its count
    if not exists:
        con.execute(f"create table {PUBLISHED_SCHEMA}.{table} as select * from {BUILD_SCHEMA}.{table} limit 0")
    inserted = con.execute(  # type: ignore[index]  # a delete/insert returns one row, its count
        f"insert into {PUBLISHED_SCHEMA}.{table} by name select * from {BUILD_SCHEMA}.{table} as t where {others}"
    ).fetchone()[0]
    return {"mode": "facilities", "deleted": deleted, "inserted": inserted}
