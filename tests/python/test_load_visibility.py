"""A load is visible only once recorded (docs/decisions/0011): a run killed between normalise and load, followed
by any upload, leaves the next run healthy.

The kill is real: ``dpc.pipeline.ingest`` runs in a child process whose DuckDB executor's ``load`` is replaced by
``os._exit`` — the process dies after the normaliser wrote the new version's files under their own load prefix and
before the load was recorded. Then, whatever is uploaded next (nothing, a broken file, the same correction again),
the engines keep reading the recorded version until a new load is recorded, and the next run loads cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dpc.executors.duckdb import DuckDBExecutor
from dpc.generate import generate
from dpc.manifest import write_manifest
from dpc.pipeline import ingest
from dpc.storage import delivery_prefix
from tests.python.conftest import PROJECT_DIR, TEST_KEY, TEST_LINK_KEY, environment

KILLED_RUN = """
import os, sys
from pathlib import Path
from dpc.executors import duckdb as executor
executor.DuckDBExecutor.load = lambda self, plans: os._exit(9)  # killed after normalising, before recording
from dpc.pipeline import ingest
ingest(Path(sys.argv[1]), Path(sys.argv[2]), "killed-run")
"""


def _loads(db: Path, facility: str, yyyymm: int) -> tuple[list[str], set[str], int]:
    """(recorded load ids in order, load ids the raw views read for the delivery, raw D rows)."""
    with duckdb.connect(str(db)) as con:
        DuckDBExecutor(con, db.parent / "lake").ensure_raw_tables()
        recorded = [
            r[0]
            for r in con.execute(
                "select load_id from dq.load_history where facility_code = ? and yyyymm = ? "
                "group by load_id order by min(loaded_at)",
                [facility, yyyymm],
            ).fetchall()
        ]
        read = {
            r[0]
            for slug in ("d", "efn", "ff1")
            for r in con.execute(
                f"select distinct load_id from raw.{slug} where facility_code = ? and yyyymm = ?", [facility, yyyymm]
            ).fetchall()
        }
        rows = con.execute("select count(*) from raw.d where facility_code = ? and yyyymm = ?", [facility, yyyymm])
        return recorded, read, rows.fetchone()[0]


def _correct(lake: Path, facility: str, yyyymm: int) -> Path:
    """A corrected re-delivery: the D file loses its last data line, the manifest is rewritten."""
    folder = lake / delivery_prefix("raw", facility, yyyymm)
    d_file = next(p for p in folder.iterdir() if p.name.startswith("D"))
    lines = d_file.read_bytes().split(b"\r\n")
    d_file.write_bytes(b"\r\n".join([*lines[:-2], lines[-1]]))
    write_manifest(folder)
    return d_file


@pytest.mark.parametrize("then", ["nothing", "a broken file", "the same correction again"])
def test_a_kill_between_normalise_and_load_leaves_the_next_run_healthy(tmp_path: Path, then: str) -> None:
    lake, db = tmp_path / "lake", tmp_path / "dpc.duckdb"
    [delivery] = generate(lake, seed=11, facilities=1, months=1, admissions_per_month=6)
    facility, yyyymm = delivery.facility_code, delivery.yyyymm
    env = {"DPC_PSEUDONYMISATION_KEY": TEST_KEY, "DPC_LINK_KEY": TEST_LINK_KEY, "DPC_INGEST_WORKERS": "1"}
    with environment(**env):
        [first] = ingest(lake, db, "first-run")
    assert first.status == "loaded"
    recorded, read, rows = _loads(db, facility, yyyymm)
    assert read == set(recorded) and len(recorded) == 1 and rows > 1

    d_file = _correct(lake, facility, yyyymm)
    corrected = d_file.read_bytes()
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(lake), str(db)],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == 9, killed.stderr
    stage = lake / "stage" / "d" / f"yyyymm={yyyymm}" / f"facility={facility}"
    assert (stage / f"load=killed-run-{facility}-{yyyymm}" / "part-0.parquet").is_file()  # normalised, unrecorded
    assert _loads(db, facility, yyyymm) == (recorded, read, rows)  # the engines still read the recorded version

    if then == "a broken file":
        d_file.write_bytes(corrected[: len(corrected) // 2])  # half a file behind an unchanged manifest
        with environment(**env):
            [broken] = ingest(lake, db, "broken-run")
        assert broken.status == "rejected" and broken.findings
        assert _loads(db, facility, yyyymm) == (recorded, read, rows)
        d_file.write_bytes(corrected)  # the hospital uploads the correction again
    elif then == "the same correction again":
        d_file.write_bytes(corrected)
        write_manifest(d_file.parent)

    with environment(**env):
        [healthy] = ingest(lake, db, "next-run")
    assert healthy.status == "loaded", healthy.findings
    after, read_after, rows_after = _loads(db, facility, yyyymm)
    assert after == [*recorded, f"next-run-{facility}-{yyyymm}"]
    assert read_after == {f"next-run-{facility}-{yyyymm}"} and rows_after == rows - 1
    # the killed run's files were never read, and the next run did not reuse its prefix
    assert f"killed-run-{facility}-{yyyymm}" not in after
