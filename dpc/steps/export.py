"""Export step: the published mart as Parquet under the lake's processed/ prefix, rewriting only what changed.

Locally DuckDB writes ``data/lake/processed/``; on Redshift the Export Lambda runs UNLOAD … FORMAT AS PARQUET with
KMS (dpc.steps.redshift.export_statements); on Athena the Iceberg mart tables already are Parquet on S3.

Layout (read a table with ``read_parquet('<lake>/processed/<table>/**/*.parquet', hive_partitioning = false)``):

- tables of grain ``delivery`` (dpc.steps.publish.GRAINS: fct_billing_lines) are partitioned by delivery, like
  stage/ (docs/decisions/0002): ``processed/<table>/yyyymm=YYYYMM/facility=FFFFFFFFF/part-0.parquet``; yyyymm and
  facility_code stay real columns inside the files too;
- every other table is one file, ``processed/<table>/<table>.parquet``.

What is rewritten: ``touched=None`` (first publication, full refresh) rewrites everything and removes partitions
(and any other file) that the mart no longer has. Given the publication's :class:`~dpc.steps.publish.Touched` (and
publish_duckdb's report as ``tables``), a ``delivery`` table rewrites only the touched facility-months' files and
deletes those of facility-months left without rows; a table the publication did not change (its report shows
nothing deleted nor inserted) is skipped; any other table is rewritten whole. Every file is written next to its
target and moved into place with os.replace, so a reader sees the old file or the new one, never half a file.

An incremental export is only as good as the files it starts from: ``processed/_export_state.json`` records the
publication (dq.publish_log) the files reflect. It is removed when an export starts and written when it ends; when
it is missing or names neither the latest publication nor the one before (an export killed half-way, a run that
published and died before exporting, a deleted lake), the export falls back to a full one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import duckdb

from dpc.steps.publish import GRAINS, PUBLISHED_SCHEMA, Touched, mart_tables

STATE_FILE = "_export_state.json"
TMP_PREFIX = ".export-tmp-"
PART_FILE = "part-0.parquet"
PARQUET = "format parquet, compression zstd"
# facility-months written by one partitioned COPY: DuckDB keeps at most partitioned_write_max_open_files (100)
# partition files open and, past that, closes one and later starts another file for the same partition
PARTITIONS_PER_COPY = 64
# how DuckDB names the folders of COPY … (partition_by (yyyymm, facility_code)) in the scratch folder
_DUCKDB_PART = re.compile(r"yyyymm=([^/]+)/facility_code=([^/]+)/[^/]+\.parquet$")


def partition_path(table_dir: Path, facility_code: str, yyyymm: int) -> Path:
    """Where one facility-month of a ``delivery`` table lives."""
    return table_dir / f"yyyymm={int(yyyymm)}" / f"facility={facility_code}" / PART_FILE


def is_partitioned(table: str) -> bool:
    return GRAINS.get(table, ("whole", ()))[0] == "delivery"


def export_duckdb(
    con: duckdb.DuckDBPyConnection,
    lake: Path,
    touched: Touched | None = None,
    tables: Mapping[str, Mapping[str, object]] | None = None,
) -> dict[str, str]:
    """Export the published mart (see the module docstring); returns table → file (folder for partitioned tables).

    ``touched`` is what the publication copied and ``tables`` publish_duckdb's report of it; without ``tables``
    every non-partitioned table is rewritten.
    """
    processed = lake / "processed"
    processed.mkdir(parents=True, exist_ok=True)
    for leftover in processed.glob(TMP_PREFIX + "*"):  # an export killed half-way
        shutil.rmtree(leftover, ignore_errors=True)
    publications = _last_publications(con)
    state = processed / STATE_FILE
    if touched is not None and _exported_publication(state) not in publications:
        touched, tables = None, None  # the files may not reflect the previous publication: start over
    state.unlink(missing_ok=True)

    out: dict[str, str] = {}
    for table in mart_tables(con, PUBLISHED_SCHEMA):
        table_dir = processed / table
        report = (tables or {}).get(table)
        untouched = _unchanged(report)
        if is_partitioned(table):
            if touched is None or (report is not None and report.get("mode") == "whole") or not table_dir.is_dir():
                _export_partitions(con, table, table_dir, None)
            elif not untouched:
                _export_partitions(con, table, table_dir, touched)
            out[table] = str(table_dir)
        else:
            path = table_dir / f"{table}.parquet"
            if touched is None or not untouched or not path.is_file():
                _export_whole(con, table, path)
            out[table] = str(path)

    state.write_text(json.dumps({"published_at_us": publications[0] if publications else None}), encoding="utf-8")
    return out


def _unchanged(report: Mapping[str, object] | None) -> bool:
    """The publication replaced nothing in this table (incremental mode, nothing deleted nor inserted)."""
    if report is None or report.get("mode") == "whole":
        return False
    return not report.get("deleted") and not report.get("inserted")


def _last_publications(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The last two publications (µs since the epoch of published_at), newest first; [] before the first one."""
    exists = con.execute(  # type: ignore[index]  # count(*) returns one row
        "select count(*) from information_schema.tables where table_schema = 'dq' and table_name = 'publish_log'"
    ).fetchone()[0]
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
        nulls = con.execute(  # type: ignore[index]  # count(*) returns one row
            f"select count(*) from {PUBLISHED_SCHEMA}.{table} where facility_code is null or yyyymm is null"
        ).fetchone()[0]
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
