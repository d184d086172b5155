"""Operational robustness (issue 25, item 6): one run at a time per warehouse, with a clear message for the second;
what dpc writes is readable by its owner only; run summaries are written whole or not at all; a corrupt warehouse is
named with its recovery, never a traceback. The rebuild itself (dpc rebuild) runs in test_incremental.py, on a
build that module makes anyway."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dpc.cli import main
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


def test_what_a_run_writes_is_readable_by_its_owner_only(demo_build: Path) -> None:
    """The session's demo build went through run_local, which sets umask 077 itself (not only `dpc`'s main): the
    warehouse, the lake's normalised loads, state, archive and exports, the run summaries, the report and the docs
    site — files and folders. (raw/ is what the hospital delivered; `dpc generate` is checked above.)"""
    written = [demo_build / "dpc.duckdb"]
    for folder in ("runs", "report", "docs", "lake/stage", "lake/state", "lake/archive", "lake/processed"):
        assert (demo_build / folder).is_dir(), folder
        written += [demo_build / folder, *(demo_build / folder).rglob("*")]
    assert any(p.suffix == ".parquet" for p in written) and any(p.name == "index.html" for p in written)
    loose = [f"{p.relative_to(demo_build)} {oct(stat.S_IMODE(p.stat().st_mode))}" for p in written]
    assert [entry for p, entry in zip(written, loose, strict=True) if p.stat().st_mode & 0o077] == []


@pytest.mark.parametrize("where", [0, 4096])  # the file header, a block: "not a valid DuckDB file" / a checksum
def test_a_corrupt_warehouse_is_named_with_its_recovery(
    demo_copy: Path, where: int, capsys: pytest.CaptureFixture[str]
) -> None:
    db = demo_copy / "dpc.duckdb"
    with open(db, "r+b") as broken:
        broken.seek(where)
        broken.write(bytes(range(256)) * 16)
    for command in (["run", "--no-docs", "--no-report"], ["report"]):
        assert main(command) == 1
        out, err = capsys.readouterr()
        assert f"dpc {command[0]}: the DuckDB file {db} is corrupt or unreadable (" in err, err
        assert f"To recover: `dpc rebuild --db {db}`" in err and "keeping the load and publish history" in err
        assert "Traceback" not in err and not out
    # the lake keeps what the rebuild needs: the loads and the histories it reads back (dpc/recovery.py)
    assert (demo_copy / "lake" / "state" / "history" / "load_history.parquet").is_file()
    assert (demo_copy / "lake" / "state" / "history" / "publish_log.parquet").is_file()
