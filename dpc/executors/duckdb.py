"""The DuckDB executor: runs the steps' plans on a DuckDB connection, each in one transaction.

Raw relations (docs/decisions/0002, 0011): ``raw.<kind>`` and ``dq.quarantine_<kind>`` are VIEWS over the
normalised Parquet of each delivery's latest recorded load — the files named by ``dq.load_history``, not whatever
lies under ``stage/``. Recording a load (its history rows) and re-pointing the views happen in one transaction
(:meth:`DuckDBExecutor.load`), so a load becomes visible exactly when it is recorded, and files written by a run
that was killed before recording are never read. Views cost no second copy of every row (writing 7 M billing
lines into tables took as long as normalising them). Before any delivery is recorded (or without a lake) each
relation is an empty table with the normalised schema, so every dbt source exists from the start.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from dpc.duck import scalar
from dpc.layouts import KIND_SLUG
from dpc.steps import load as load_rule
from dpc.steps import publish as publish_rule
from dpc.steps.load import LoadPlan, PreviousLoad
from dpc.steps.normalise import normalised_schema, quarantine_schema
from dpc.steps.publish import BUILD_SCHEMA, PUBLISHED_SCHEMA, PublishPlan, TablePublish, Touched

LOAD_HISTORY_DDL = """
create table if not exists dq.load_history (
    load_id varchar not null,
    facility_code varchar not null,
    yyyymm integer not null,
    kind varchar not null,
    source_file varchar,
    sha256 varchar,
    bytes bigint,
    delivered_rows bigint,
    accepted_rows bigint,
    quarantined_rows bigint,
    warnings bigint,
    manifest_sha256 varchar,
    archived_to varchar,
    loaded_by varchar,
    loaded_at timestamp with time zone not null
)
"""

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

# each delivery's latest recorded load
CURRENT_LOADS_SQL = """
select facility_code, yyyymm, load_id from dq.load_history
qualify row_number() over (partition by facility_code, yyyymm order by loaded_at desc, load_id desc) = 1
order by facility_code, yyyymm
"""


def _schema_of(relation: str) -> pa.Schema:
    schema, name = relation.split(".")
    slug = name.removeprefix("quarantine_")
    if schema == "dq":
        return quarantine_schema()
    kind = next(k for k, s in KIND_SLUG.items() if s == slug)
    return normalised_schema(kind)


class DuckDBExecutor:
    """Plans run on one DuckDB connection; ``lake``: the local lake the raw views read."""

    engine = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, lake: Path | None = None) -> None:
        self.con = con
        self.lake = lake

    # --- catalog and questions ----------------------------------------------------------------------------

    def catalog(self, schema: str) -> dict[str, list[tuple[str, str]]]:
        rows = self.con.execute(
            "select c.table_name, c.column_name, c.data_type from information_schema.columns as c "
            "join information_schema.tables as t on t.table_schema = c.table_schema and t.table_name = c.table_name "
            "where c.table_schema = ? and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position",
            [schema],
        ).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for table, column, data_type in rows:
            out.setdefault(str(table), []).append((str(column), str(data_type)))
        return out

    def changed_keys(
        self, table: str, columns: Sequence[str], key_columns: tuple[str, ...], facilities: frozenset[str]
    ) -> list[tuple[Any, ...]]:
        """Keys of the touched facilities' rows that differ between mart_build and mart (EXCEPT ALL both ways)."""
        if not facilities:
            return []
        cols = ", ".join(f'"{c}"' for c in columns)
        keys = ", ".join(key_columns)
        where = "facility_code in (select unnest(?::varchar[]))"
        return self.con.execute(
            f"""
            select distinct {keys} from (
                (select {cols} from {BUILD_SCHEMA}.{table} where {where}
                 except all select {cols} from {PUBLISHED_SCHEMA}.{table} where {where})
                union all
                (select {cols} from {PUBLISHED_SCHEMA}.{table} where {where}
                 except all select {cols} from {BUILD_SCHEMA}.{table} where {where})
            ) as changed
            """,
            [sorted(facilities)] * 4,
        ).fetchall()

    def latest_load(self, facility_code: str, yyyymm: int) -> PreviousLoad | None:
        self._ensure_load_history()
        row = self.con.execute(
            "select load_id, manifest_sha256, loaded_at from dq.load_history where facility_code = ? and yyyymm = ? "
            "order by loaded_at desc, load_id desc limit 1",
            [facility_code, yyyymm],
        ).fetchone()
        return PreviousLoad(*row) if row else None

    def pending(self) -> Touched | None:
        """Deliveries loaded since the build of the last complete publication, and those it held back (0028)."""
        self.ensure_publish_log()
        last = self.con.execute(
            "select build_started_at, held_back from dq.publish_log where complete "
            "order by build_started_at desc, published_at desc limit 1"
        ).fetchone()
        if last is None or not self.catalog(PUBLISHED_SCHEMA):
            return None
        self._ensure_load_history()
        rows = self.con.execute(
            "select distinct facility_code, yyyymm from dq.load_history where loaded_at >= ?", [last[0]]
        ).fetchall()
        return publish_rule.pending_from((last[0], last[1]), rows)

    # --- load ---------------------------------------------------------------------------------------------

    def ensure_raw_tables(self) -> None:
        """Every source relation exists: the load history, and each raw/quarantine relation as a view over the
        recorded loads' files (an empty table before any). Writes only what is missing or stale."""
        self._ensure_load_history()
        self._point_raw_relations()

    def _ensure_load_history(self) -> None:
        for schema in ("raw", "dq"):
            self.con.execute(f"create schema if not exists {schema}")  # of an existing one: writes nothing
        self.con.execute(LOAD_HISTORY_DDL)

    def load(self, plans: Sequence[LoadPlan]) -> dict[tuple[str, int], dict[str, int]]:
        """Record the loads and re-point the raw views to them, in ONE transaction; rows per kind per delivery."""
        self._ensure_load_history()
        columns = load_rule.LOAD_HISTORY_COLUMNS
        insert = f"insert into dq.load_history ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
        self.con.execute("begin transaction")
        try:
            for plan in plans:
                rows = plan.history_rows()
                self.con.executemany(insert, [[row[c] for c in columns] for row in rows])
            self._point_raw_relations()
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        out = {}
        for plan in plans:
            out[plan.delivery] = {
                kind: scalar(
                    self.con,
                    f"select count(*) from raw.{slug} where facility_code = ? and yyyymm = ?",
                    list(plan.delivery),
                )
                for kind, slug in KIND_SLUG.items()
            }
        return out

    def recorded_files(self) -> dict[str, list[str]]:
        """relation → the files of each delivery's latest recorded load (absolute paths that exist)."""
        out: dict[str, list[str]] = {rel: [] for rel, _ in load_rule.RAW_RELATIONS}
        if self.lake is None:
            return out
        current = self.con.execute(CURRENT_LOADS_SQL).fetchall()
        for relation, layer in load_rule.RAW_RELATIONS:
            for facility_code, yyyymm, load_id in current:
                for candidate in (
                    load_rule.current_load_file(layer, facility_code, yyyymm, load_id),
                    load_rule.legacy_stage_file(layer, facility_code, yyyymm),
                ):
                    path = self.lake / candidate
                    if path.is_file():
                        out[relation].append(str(path))
                        break
        return out

    def _point_raw_relations(self) -> None:
        existing = {
            f"{schema}.{name}": (kind, comment)
            for schema, name, kind, comment in self.con.execute(
                "select schema_name, table_name, 'BASE TABLE', comment from duckdb_tables() "
                "where database_name = current_database() and schema_name in ('raw', 'dq') "
                "union all select schema_name, view_name, 'VIEW', comment from duckdb_views() "
                "where database_name = current_database() and schema_name in ('raw', 'dq')"
            ).fetchall()
        }
        for relation, files in self.recorded_files().items():
            current = existing.get(relation)
            if not files:
                if current is None or current[0] == "VIEW":
                    self.con.execute(f"drop view if exists {relation}")
                    empty = _schema_of(relation).empty_table()  # noqa: F841 — read by DuckDB's replacement scan
                    self.con.execute(f"create table {relation} as select * from empty")
                continue
            # the view names its files: a changed list (a load recorded, another lake) re-points it
            marker = "files:" + hashlib.sha256("\n".join(files).encode("utf-8")).hexdigest()[:16]
            if current is not None and current == ("VIEW", marker):
                continue
            if current is not None and current[0] == "BASE TABLE":
                self.con.execute(f"drop table {relation}")
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            # facility_code and yyyymm are columns inside every file: no hive partitioning needed
            self.con.execute(
                f"create or replace view {relation} as select * from read_parquet([{listed}], hive_partitioning = false)"
            )
            self.con.execute(f"comment on view {relation} is '{marker}'")

    # --- publish ------------------------------------------------------------------------------------------

    def ensure_publish_log(self) -> None:
        self.con.execute("create schema if not exists dq")
        self.con.execute(PUBLISH_LOG_DDL)
        self.con.execute("alter table dq.publish_log add column if not exists held_back varchar")  # before 0028

    def publish(self, plan: PublishPlan) -> dict[str, dict[str, object]]:
        """Run a publication in ONE transaction with its log row; returns what was copied per table."""
        self.ensure_publish_log()
        self.con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
        report: dict[str, dict[str, object]] = {}
        self.con.execute("begin transaction")
        try:
            for table in plan.tables:
                report[table.table] = self._publish_table(table)
            row = plan.log_row()
            cols = publish_rule.PUBLISH_LOG_COLUMNS
            self.con.execute(
                f"insert into dq.publish_log ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})",
                [row[c] for c in cols],
            )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        for table in plan.tables:
            if table.mode != publish_rule.KEPT:
                count = self.con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{table.table}").fetchone()
                report[table.table]["rows"] = count[0] if count else 0
        return report

    def _keys_table(self, columns: tuple[str, ...], keys: Iterable[tuple[Any, ...]]) -> str:
        types = {"facility_code": "varchar"}
        self.con.execute(
            "create or replace temp table publish_keys ("
            + ", ".join(f"{c} {types.get(c, 'integer')}" for c in columns)
            + ")"
        )
        rows = [tuple(k) for k in keys]
        if rows:
            self.con.executemany(f"insert into publish_keys values ({', '.join('?' for _ in columns)})", rows)
        return "exists (select 1 from publish_keys as k where " + " and ".join(f"k.{c} = t.{c}" for c in columns) + ")"

    def _publish_table(self, plan: TablePublish) -> dict[str, object]:
        name = plan.table
        if plan.mode == publish_rule.KEPT:
            return {"mode": "kept", "reason": plan.reason}
        if plan.mode == publish_rule.WHOLE:
            self.con.execute(
                f"create or replace table {PUBLISHED_SCHEMA}.{name} as select * from {BUILD_SCHEMA}.{name}"
            )
            return {"mode": "whole"}
        match = self._keys_table(plan.key_columns, plan.keys)
        if plan.mode == publish_rule.FACILITIES:
            match = "not " + match
            if not plan.exists:
                self.con.execute(
                    f"create table {PUBLISHED_SCHEMA}.{name} as select * from {BUILD_SCHEMA}.{name} limit 0"
                )
        deleted = self.con.execute(f"delete from {PUBLISHED_SCHEMA}.{name} as t where {match}").fetchone()
        inserted = self.con.execute(
            f"insert into {PUBLISHED_SCHEMA}.{name} by name select * from {BUILD_SCHEMA}.{name} as t where {match}"
        ).fetchone()
        out: dict[str, object] = {"mode": plan.mode}
        if plan.mode != publish_rule.FACILITIES:
            out["keys"] = len(plan.keys)
        out["deleted"] = deleted[0] if deleted else 0
        out["inserted"] = inserted[0] if inserted else 0
        return out

    def selected_keys(self, plan: TablePublish, schema: str = BUILD_SCHEMA) -> set[tuple[Any, ...]]:
        """The key values of the rows of ``schema.table`` this executor's statements select for ``plan``
        (what a test compares across executors)."""
        if plan.mode in (publish_rule.KEPT,):
            return set()
        if plan.mode == publish_rule.WHOLE:
            rows = self.con.execute(f"select * from {schema}.{plan.table}").fetchall()
            return {("*",)} if rows else set()
        match = self._keys_table(plan.key_columns, plan.keys)
        if plan.mode == publish_rule.FACILITIES:
            match = "not " + match
        cols = ", ".join(f"t.{c}" for c in plan.key_columns)
        return set(self.con.execute(f"select distinct {cols} from {schema}.{plan.table} as t where {match}").fetchall())


# --- the functions the pipeline and tests call ------------------------------------------------------------------


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, lake: Path | None = None) -> None:
    DuckDBExecutor(con, lake).ensure_raw_tables()


def latest_load(con: duckdb.DuckDBPyConnection, facility_code: str, yyyymm: int) -> PreviousLoad | None:
    return DuckDBExecutor(con).latest_load(facility_code, yyyymm)


def pending(con: duckdb.DuckDBPyConnection) -> Touched | None:
    return DuckDBExecutor(con).pending()


def loaded_by_default() -> str:
    import getpass

    return os.environ.get("DPC_LOADED_BY") or getpass.getuser()


def publish_duckdb(
    con: duckdb.DuckDBPyConnection,
    touched: Touched | None = None,
    *,
    run_id: str = "",
    build_started_at: Any = None,
    complete: bool = True,
    held_back: Iterable[tuple[str, int]] = (),
) -> dict[str, dict[str, object]]:
    """Plan (:func:`dpc.steps.publish.plan_publish`) and run a publication on DuckDB; returns what was copied."""
    executor = DuckDBExecutor(con)
    executor.ensure_publish_log()
    plan = publish_rule.plan_publish(
        executor.catalog(BUILD_SCHEMA),
        executor.catalog(PUBLISHED_SCHEMA),
        touched,
        held_back=held_back,
        changed_keys=executor.changed_keys,
        run_id=run_id,
        build_started_at=build_started_at,
        complete=complete,
    )
    return executor.publish(plan)


def mart_tables(con: duckdb.DuckDBPyConnection, schema: str = BUILD_SCHEMA) -> list[str]:
    return sorted(DuckDBExecutor(con).catalog(schema))
