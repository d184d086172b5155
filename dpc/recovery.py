"""A corrupt warehouse: what ``dpc`` says about it, and the rebuild from the lake (issue 25, item 6;
docs/decisions/0034).

The local warehouse (``data/dpc.duckdb``) holds nothing that cannot be made again from the lake, except two
histories: ``dq.load_history`` (every recorded load: which version of each delivery the raw views read) and
``dq.publish_log`` (every publication). So each run also writes them to the lake, whole, after it records loads and
after it publishes: ``<lake>/state/history/load_history.parquet`` and ``publish_log.parquet`` (written beside and
renamed, like every state file). The lake is the platform's durable store — on AWS the versioned S3 bucket; the
normalised loads the raw views read are already there (``stage/<kind>/…/load=<id>/``).

``dpc rebuild`` then (under the run lock) moves the unreadable file aside (``<name>.corrupt-<UTC time>``, kept for
inspection), creates a new warehouse with the two histories read back from the lake, points the raw views at the
loads they record, builds every model and publishes every table whole — a normal run in every other respect (DQ
gate, exports, docs, report, run summary). Nothing is read from ``raw/`` again (the raw K files are gone by design:
docs/pseudonymisation.md). What is not kept: the DQ results of earlier runs (``dq.dq_results``; each run's summary in
``runs/`` still says what its checks found) and learners' sandboxes, which are separate files anyway.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dpc import duck
from dpc.errors import NoSavedHistory

HISTORY_PREFIX = "state/history"
HISTORY_TABLES = ("load_history", "publish_log")  # in schema dq
# DuckDB's messages for a file that is not a database any more, or whose blocks fail their checksum
_CORRUPT = re.compile(r"not a valid DuckDB database file|Corrupt database file|checksum|Serialization Error", re.I)
_FILE_IN_MESSAGE = re.compile(r'file "([^"]+)"')


def history_path(lake: Path, table: str) -> Path:
    return lake / HISTORY_PREFIX / f"{table}.parquet"


def save_history(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Write ``dq.load_history`` and ``dq.publish_log`` to the lake, each whole (beside the target, then renamed)."""
    present = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'dq'"
        ).fetchall()
    }
    for table in HISTORY_TABLES:
        if table not in present:
            continue
        target = history_path(lake, table)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            con.execute(f"copy (select * from dq.{table}) to '{_sql(tmp)}' (format parquet)")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def check_history(lake: Path) -> None:
    """Raise :class:`NoSavedHistory` when the lake holds no saved load history."""
    if not history_path(lake, "load_history").exists():
        raise NoSavedHistory(
            f"no saved load history in {lake / HISTORY_PREFIX} (every run since this version writes it): "
            "the loads the warehouse read cannot be listed; `dpc run --full-refresh` on a new warehouse "
            "normalises the deliveries under raw/ again instead"
        )


def restore_history(lake: Path, db_path: Path) -> dict[str, int]:
    """Create ``db_path`` (which must not exist) with the histories saved in the lake and the raw views pointing at
    the loads they record; rows restored per table."""
    from dpc.executors.duckdb import DuckDBExecutor

    check_history(lake)
    restored: dict[str, int] = {}
    with duck.connect(db_path) as con:
        executor = DuckDBExecutor(con, lake)
        executor.ensure_raw_tables()  # creates dq.load_history (empty) and empty raw relations
        executor.ensure_publish_log()
        for table in HISTORY_TABLES:
            path = history_path(lake, table)
            if path.exists():
                con.execute(f"insert into dq.{table} by name select * from read_parquet('{_sql(path)}')")
            restored[table] = duck.scalar(con, f"select count(*) from dq.{table}")
        executor.ensure_raw_tables()  # now the recorded loads are known: the raw views read their files
    return restored


def move_aside(db_path: Path) -> Path | None:
    """Rename the warehouse (and its write-ahead log) to ``<name>.corrupt-<UTC time>``; the new name, or None."""
    if not db_path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    os.replace(db_path, target)
    wal = db_path.with_name(db_path.name + ".wal")
    if wal.exists():
        os.replace(wal, target.with_name(target.name + ".wal"))
    return target


def explain(exc: BaseException, db_path: Path, command: str = "run") -> str | None:
    """A message for a DuckDB error that says a file is corrupt, naming the file and the recovery; None for any
    other error."""
    if not isinstance(exc, duckdb.Error) or not _CORRUPT.search(str(exc)):
        return None
    named = _FILE_IN_MESSAGE.search(str(exc))
    path = Path(named.group(1)) if named else db_path
    detail = str(exc).strip().splitlines()[0]
    if command in ("sandbox", "exercise"):
        recovery = "`dpc sandbox reset` makes your sandbox again from the published snapshot (your work is kept)"
    else:
        recovery = (
            f"`dpc rebuild --db {path}` moves it aside and rebuilds the warehouse from the lake, keeping the load "
            "and publish history (README.md, 'A corrupt warehouse')"
        )
    return f"the DuckDB file {path} is corrupt or unreadable ({detail}). To recover: {recovery}"


def _sql(path: Path) -> str:
    return str(path).replace("'", "''")
