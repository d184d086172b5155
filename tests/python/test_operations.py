"""Operational robustness (issue 25, item 6): one run at a time per warehouse, with a clear message for the second;
what dpc writes is readable by its owner only; run summaries are written whole or not at all."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from dpc.pipeline import RunSummary, run_lock, write_summary
from tests.python.conftest import PROJECT_DIR, environment


def test_a_second_run_on_the_same_warehouse_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    db = tmp_path / "dpc.duckdb"
    with run_lock(db):
        second = subprocess.run(
            [sys.executable, "-m", "dpc.cli", "run", "--lake", str(tmp_path / "lake"), "--db", str(db), "--no-docs"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert second.returncode == 1, second.stderr
    assert f"another dpc run is using {db} (pid {os.getpid()}, started " in second.stderr
    assert "Traceback" not in second.stderr and not second.stdout
    with run_lock(db):  # released: the next run may start
        pass


def test_what_dpc_writes_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dpc.cli",
            "generate",
            "--lake",
            str(lake),
            "--facilities",
            "1",
            "--months",
            "1",
            "--admissions-per-month",
            "3",
            "--seed",
            "5",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    written = [p for p in lake.rglob("*")]
    assert any(p.is_file() for p in written)
    for path in written:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path.relative_to(tmp_path)} is {oct(mode)}: others can read it"


def test_a_run_summary_is_replaced_whole(tmp_path: Path) -> None:
    with environment(DPC_DATA_DIR=str(tmp_path)):
        summary = RunSummary(run_id="r1", target="local", started_at="2026-12-07T00:00:00+00:00")
        path = write_summary(summary)
        first = path.read_text(encoding="utf-8")
        summary.error = "x" * 100_000
        write_summary(summary)
    assert path.read_text(encoding="utf-8") != first and path.read_text(encoding="utf-8").endswith("}")
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left
