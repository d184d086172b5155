"""Load step: put one normalised delivery into the raw schema, replacing exactly that facility-month.

DuckDB (local) reads the normalised Parquet in place (``raw.*`` are views over ``stage/``, as Athena's Glue
tables are); Redshift gets the same effect from
``dpc.steps.redshift.load_statements`` (DELETE + COPY … FORMAT AS PARQUET in one transaction, docs/decisions/0015).
The load history (dq.load_history) records who loaded what, when, with which checksum and counts.

Archive (a corrected re-delivery keeps the previous version). Hospitals upload a correction over the same
``raw/yyyymm=…/facility=…/`` prefix, so the previous raw files are gone by the time the correction is seen:
every version is therefore archived when it is FIRST loaded — its raw files and manifest are copied to
``archive/raw/yyyymm=…/facility=…/<manifest_sha256[:12]>/`` (:func:`archive_raw`). When a different version
replaces it, the previous version's normalised Parquet is copied to ``archive/stage/<kind>/yyyymm=…/facility=…/
<sha12>/`` before the normaliser overwrites stage (:func:`archive_stage`), and the new load's rows in
dq.load_history name the previous version's archive in ``archived_to``. Archives are write-once (an existing
object is never overwritten), so a run killed half-way and rerun cannot replace an archive by a newer version.
"""

from __future__ import annotations

import getpass
import glob
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dpc.layouts import KIND_SLUG
from dpc.manifest import MANIFEST_NAME
from dpc.steps.identifiers import holds_direct_identifiers
from dpc.steps.normalise import normalised_schema, quarantine_schema
from dpc.storage import Storage, delivery_prefix, stage_prefix

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


@dataclass(frozen=True)
class LoadedFile:
    kind: str
    source_file: str
    sha256: str
    bytes: int
    delivered_rows: int
    accepted_rows: int
    quarantined_rows: int
    warnings: int


def stage_glob(lake: Path, layer: str) -> str:
    """Every delivery's normalised file of one layer (``efn``, ``quarantine_efn``, …): ``stage/<layer>/*/*/``."""
    return str(lake / "stage" / layer / "yyyymm=*" / "facility=*" / "part-0.parquet")


def ensure_raw_tables(con: duckdb.DuckDBPyConnection, lake: Path | None = None) -> None:
    """Make every source relation exist: ``raw.<kind>`` and ``dq.quarantine_<kind>``, plus ``dq.load_history``.

    With a lake whose stage prefix holds normalised files, each relation is a VIEW over that Parquet — the
    same files Athena's Glue tables and Redshift's COPY read (docs/decisions/0002), so loading costs no second
    copy of every row (writing 7 M billing lines into DuckDB tables took as long as normalising them). Before
    any delivery exists (or without a lake) each is an empty table with the normalised schema, so every dbt
    source exists from the start. A view reads its glob when queried, so new deliveries need nothing here; a
    view is re-pointed only when it reads another lake (a copied database follows its lake). Called before
    every load and lookup, so it reads the catalog once and writes only what is missing or stale (re-creating
    ten views per call was ≈ 3 s of a one-month run, plus the checkpoint of every catalog change).
    """
    for schema in ("raw", "dq"):
        con.execute(f"create schema if not exists {schema}")  # `if not exists` of an existing one writes nothing
    existing = _raw_relations(con)
    for kind, slug in KIND_SLUG.items():
        for relation, layer, schema in (
            (f"raw.{slug}", slug, normalised_schema(kind)),
            (f"dq.quarantine_{slug}", f"quarantine_{slug}", quarantine_schema()),
        ):
            pattern = stage_glob(lake, layer) if lake is not None else None
            current = existing.get(relation)
            if pattern is not None and glob.glob(pattern):
                _create_view_over_stage(con, relation, pattern, current)
            elif current is None:
                _create_from_arrow_schema(con, relation, schema)
    con.execute(LOAD_HISTORY_DDL)


def _raw_relations(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    """The raw and dq schemas' relations in one catalog query: name → ("BASE TABLE", None) or ("VIEW", its SQL)."""
    rows = con.execute(
        "select schema_name || '.' || table_name, 'BASE TABLE', null from duckdb_tables() "
        "where database_name = current_database() and schema_name in ('raw', 'dq') "
        "union all select schema_name || '.' || view_name, 'VIEW', sql from duckdb_views() "
        "where database_name = current_database() and schema_name in ('raw', 'dq')"
    ).fetchall()
    return {name: (kind, sql) for name, kind, sql in rows}


def _create_view_over_stage(
    con: duckdb.DuckDBPyConnection, relation: str, pattern: str, current: tuple[str, str | None] | None
) -> None:
    literal = "'" + pattern.replace("'", "''") + "'"
    # DuckDB keeps a view's SQL re-rendered, so compare the one thing that can differ: the glob's literal
    if current is not None and current[0] == "VIEW" and literal in (current[1] or ""):
        return  # already reads this lake's files
    if current is not None and current[0] == "BASE TABLE":  # empty placeholder, or a database from before views
        con.execute(f"drop table {relation}")
    # facility_code and yyyymm are columns inside every file (docs/decisions/0002): no hive partitioning needed,
    # and each file holds one facility-month, so a delivery filter skips the other files by their statistics
    con.execute(
        f"create or replace view {relation} as select * from read_parquet({literal}, hive_partitioning = false)"
    )


def _create_from_arrow_schema(con: duckdb.DuckDBPyConnection, table: str, schema: pa.Schema) -> None:
    empty = schema.empty_table()  # noqa: F841 — read by DuckDB's replacement scan
    con.execute(f"create table {table} as select * from empty")


def load_delivery_duckdb(
    con: duckdb.DuckDBPyConnection,
    lake: Path,
    facility_code: str,
    yyyymm: int,
    *,
    load_id: str,
    files: Iterable[LoadedFile],
    manifest_sha256: str,
    archived_to: str | None = None,
    loaded_by: str | None = None,
) -> dict[str, int]:
    """Record a normalised delivery as loaded: ``raw.*`` and ``dq.quarantine_*`` read the normaliser's Parquet
    (:func:`ensure_raw_tables`), so the delivery's rows are its files; this appends its load history.

    The normaliser replaced exactly this facility-month's files (and wrote nothing if it rejected one), so
    the delivery is replaced as a whole. Returns rows per kind as the raw views see them.
    """
    loaded_by = loaded_by or os.environ.get("DPC_LOADED_BY") or getpass.getuser()
    loaded_at = datetime.now(UTC)
    ensure_raw_tables(con, lake)
    counts: dict[str, int] = {}
    for kind, slug in KIND_SLUG.items():
        counts[kind] = con.execute(  # type: ignore[index]  # count(*) returns one row
            f"select count(*) from raw.{slug} where facility_code = ? and yyyymm = ?", [facility_code, yyyymm]
        ).fetchone()[0]
    con.execute("begin transaction")
    try:
        for f in files:
            con.execute(
                "insert into dq.load_history values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    load_id,
                    facility_code,
                    yyyymm,
                    f.kind,
                    f.source_file,
                    f.sha256,
                    f.bytes,
                    f.delivered_rows,
                    f.accepted_rows,
                    f.quarantined_rows,
                    f.warnings,
                    manifest_sha256,
                    archived_to,
                    loaded_by,
                    loaded_at,
                ],
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return counts


def loaded_manifest_sha256(con: duckdb.DuckDBPyConnection, facility_code: str, yyyymm: int) -> str | None:
    """The manifest hash of the delivery's latest load, or None if it was never loaded."""
    ensure_raw_tables(con)
    row = con.execute(
        "select manifest_sha256 from dq.load_history where facility_code = ? and yyyymm = ? "
        "order by loaded_at desc limit 1",
        [facility_code, yyyymm],
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class PreviousLoad:
    load_id: str
    manifest_sha256: str
    loaded_at: datetime


def latest_load(con: duckdb.DuckDBPyConnection, facility_code: str, yyyymm: int) -> PreviousLoad | None:
    """The delivery's latest load (its current version), or None if it was never loaded."""
    ensure_raw_tables(con)
    row = con.execute(
        "select load_id, manifest_sha256, loaded_at from dq.load_history where facility_code = ? and yyyymm = ? "
        "order by loaded_at desc, load_id desc limit 1",
        [facility_code, yyyymm],
    ).fetchone()
    return PreviousLoad(*row) if row else None


def archive_prefix(facility_code: str, yyyymm: int, manifest_sha256: str) -> str:
    """``archive/raw/yyyymm=…/facility=…/<manifest_sha256[:12]>/`` — one folder per delivery version."""
    return f"archive/{delivery_prefix('raw', facility_code, yyyymm)}{manifest_sha256[:12]}/"


def stage_archive_prefix(slug: str, facility_code: str, yyyymm: int, manifest_sha256: str) -> str:
    return f"archive/{stage_prefix(slug, facility_code, yyyymm)}{manifest_sha256[:12]}/"


def _copy_once(storage: Storage, source: str, target: str) -> bool:
    if storage.exists(target) or not storage.exists(source):
        return False
    storage.write_bytes(target, storage.read_bytes(source))
    return True


def archive_raw(storage: Storage, facility_code: str, yyyymm: int, manifest_sha256: str, names: Iterable[str]) -> str:
    """Copy a delivery version's raw files and manifest into its archive folder (write-once); returns the folder."""
    source = delivery_prefix("raw", facility_code, yyyymm)
    target = archive_prefix(facility_code, yyyymm, manifest_sha256)
    # never the raw K生成用データ: names and insurance numbers are not kept (docs/decisions/0003)
    for name in [*(n for n in names if not holds_direct_identifiers(n)), MANIFEST_NAME]:
        _copy_once(storage, source + name, target + name)
    return target


def archive_stage(storage: Storage, facility_code: str, yyyymm: int, manifest_sha256: str) -> list[str]:
    """Copy the delivery's current stage Parquet (every kind and quarantine) into the archive of its version."""
    copied = []
    for slug in KIND_SLUG.values():
        for layer in (slug, f"quarantine_{slug}"):
            source = stage_prefix(layer, facility_code, yyyymm) + "part-0.parquet"
            target = stage_archive_prefix(layer, facility_code, yyyymm, manifest_sha256) + "part-0.parquet"
            if _copy_once(storage, source, target):
                copied.append(target)
    return copied
