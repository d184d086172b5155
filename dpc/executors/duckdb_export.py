"""The DuckDB executor's export: writes the plan of :mod:`dpc.steps.export` as Parquet files under the lake's
``processed/`` prefix (see that module for the layout and what is rewritten)."""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import unquote

import duckdb

from dpc.duck import scalar
from dpc.executors.duckdb import mart_tables
from dpc.steps import export as export_rule
from dpc.steps.export import partition_path
from dpc.steps.publish import PUBLISHED_SCHEMA, Touched

STATE_FILE = "_export_state.json"
TMP_PREFIX = ".export-tmp-"
PARQUET = "format parquet, compression zstd"
# facility-months written by one partitioned COPY: DuckDB keeps at most partitioned_write_max_open_files (100)
# partition files open and, past that, closes one and later starts another file for the same partition
PARTITIONS_PER_COPY = 64
# how DuckDB names the folders of COPY … (partition_by (yyyymm, facility_code)) in the scratch folder
_DUCKDB_PART = re.compile(r"yyyymm=([^/]+)/facility_code=([^/]+)/[^/]+\.parquet$")


def export_duckdb(
    con: duckdb.DuckDBPyConnection,
    lake: Path,
    touched: Touched | None = None,
    tables: Mapping[str, Mapping[str, object]] | None = None,
    on_table: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Plan (:func:`dpc.steps.export.plan_export`) and write the export; returns table → file (folder for
    partitioned tables). ``touched`` is what the publication copied and ``tables`` the publication's report;
    ``on_table`` is called after each table (the progress bar)."""
    processed = lake / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    for leftover in processed.glob(TMP_PREFIX + "*"):  # an export killed half-way
        shutil.rmtree(leftover, ignore_errors=True)
    publications = _last_publications(con)
    state = processed / STATE_FILE
    if touched is not None and _exported_publication(state) not in publications:
        touched, tables = None, None  # the files may not reflect the previous publication: start over
    state.unlink(missing_ok=True)

    plan = export_rule.plan_export(mart_tables(con, PUBLISHED_SCHEMA), touched, tables)
    out: dict[str, str] = {}
    for table in plan.tables:
        table_dir = processed / table.table
        if table.partition_by:
            if table.rewrite == export_rule.ALL or not table_dir.is_dir():
                _export_partitions(con, table.table, table_dir, None)
            elif table.rewrite == export_rule.KEYS:
                _export_partitions(con, table.table, table_dir, Touched(frozenset(table.keys)))
            out[table.table] = str(table_dir)
        else:
            path = table_dir / f"{table.table}.parquet"
            if table.rewrite != export_rule.SKIP or not path.is_file():
                _export_whole(con, table.table, path)
            out[table.table] = str(path)
        if on_table is not None:
            on_table()

    state.write_text(json.dumps({"published_at_us": publications[0] if publications else None}), encoding="utf-8")
    return out


def _last_publications(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The last two publications (µs since the epoch of published_at), newest first; [] before the first one."""
    exists = scalar(
        con, "select count(*) from information_schema.tables where table_schema = 'dq' and table_name = 'publish_log'"
    )
    if not exists:
        return []
    rows = con.execute("select epoch_us(published_at) from dq.publish_log order by published_at desc limit 2")
    return [int(r[0]) for r in rows.fetchall()]


def _exported_publication(state: Path) -> int | None:
    try:
        value = json.loads(state.read_text(encoding="utf-8")).get("published_at_us")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def _export_whole(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    """One file, written beside the target and moved into place; anything else in the folder goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        con.execute(f"copy {PUBLISHED_SCHEMA}.{table} to '{_sql_path(tmp)}' ({PARQUET})")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    for other in path.parent.iterdir():  # e.g. partitions left from a table that used to be partitioned
        if other != path:
            shutil.rmtree(other) if other.is_dir() else other.unlink()


def _export_partitions(con: duckdb.DuckDBPyConnection, table: str, table_dir: Path, touched: Touched | None) -> None:
    """Rewrite the touched facility-months of a ``delivery`` table (all of them when touched is None).

    COPY … partition_by writes the rows into a scratch folder beside processed/<table>/, at most
    PARTITIONS_PER_COPY facility-months at a time; each file then replaces its partition. A touched facility-month
    without rows loses its file; a full export also removes every file the new export did not write.
    """
    if touched is None:
        nulls = scalar(
            con, f"select count(*) from {PUBLISHED_SCHEMA}.{table} where facility_code is null or yyyymm is null"
        )
        if nulls:
            raise ValueError(f"{PUBLISHED_SCHEMA}.{table} has {nulls} rows without facility_code or yyyymm")
        rows = con.execute(f"select distinct facility_code, yyyymm from {PUBLISHED_SCHEMA}.{table} order by all")
        keys = [(str(f), int(m)) for f, m in rows.fetchall()]
    else:
        keys = sorted(touched.facility_months)
    written: set[Path] = set()
    for start in range(0, len(keys), PARTITIONS_PER_COPY):
        written |= _copy_partitions(con, table, table_dir, keys[start : start + PARTITIONS_PER_COPY])
    if touched is None:
        stale = [p for p in table_dir.rglob("*") if p.is_file() and p not in written] if table_dir.is_dir() else []
    else:
        stale = [p for f, m in keys if (p := partition_path(table_dir, f, m)) not in written and p.exists()]
    for path in stale:
        path.unlink()
    if table_dir.is_dir():
        _prune_empty_dirs(table_dir)


def _copy_partitions(
    con: duckdb.DuckDBPyConnection, table: str, table_dir: Path, keys: list[tuple[str, int]]
) -> set[Path]:
    """One COPY of the given facility-months into a scratch folder, each file moved onto its partition; returns
    the partition files written (a facility-month without rows writes none)."""
    values = ", ".join(f"({_sql_str(f)}, {int(m)})" for f, m in keys)
    scratch = table_dir.parent / f"{TMP_PREFIX}{table}-{uuid.uuid4().hex[:8]}"
    written: set[Path] = set()
    try:
        con.execute(
            f"copy (select * from {PUBLISHED_SCHEMA}.{table}"
            f" where (facility_code, yyyymm) in (select * from (values {values}))) to '{_sql_path(scratch)}' "
            f"({PARQUET}, partition_by (yyyymm, facility_code), write_partition_columns true, "
            "filename_pattern 'part-{i}')"
        )
        for file in sorted(scratch.rglob("*.parquet")) if scratch.exists() else []:
            match = _DUCKDB_PART.search(file.relative_to(scratch).as_posix())
            if match is None:
                raise RuntimeError(f"unexpected file from partitioned COPY: {file}")
            target = partition_path(table_dir, unquote(match.group(2)), int(unquote(match.group(1))))
            if target in written:
                raise RuntimeError(f"partitioned COPY wrote more than one file for {target.parent}")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
            written.add(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def _prune_empty_dirs(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
