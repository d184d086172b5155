"""A learner's `dpc sandbox sql` reaches the sandbox file and nothing else (issue 25, item 1 in part).

The escapes an audit found, each attempted here against a real sandbox built from the demo warehouse: reading the
pseudonymisation key or a raw delivery, attaching the shared warehouse read-write, writing a file, switching the
protection off, a terminal escape sequence in a value, and a typo (a message, never a traceback). A sandbox is made
from the learners' published snapshot, never from the live warehouse: a session works while a run holds the
warehouse, and a run is not blocked by a session. The same escapes from a learner's dbt models (hooks,
``run_query``, ``env_var``, a Python model) are attempted in ``test_learners.py``, whose sandbox project is already
parsed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dpc import duck
from dpc.cli import main
from dpc.pipeline import run_lock
from dpc.sandbox import isolated_connection, sandbox_for, snapshot_path, write_snapshot
from tests.python.conftest import TEST_KEY, environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("learners")]


@pytest.fixture(scope="module")
def sandbox(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("isolation")
    data = root / "data"
    data.mkdir()
    shutil.copy2(demo_build / "dpc.duckdb", data / "dpc.duckdb")
    (data / ".pseudonymisation_key").write_text("the-key-a-learner-must-never-read", encoding="utf-8")
    values = {
        "DPC_DATA_DIR": str(data),
        "DPC_DUCKDB_PATH": str(data / "dpc.duckdb"),
        "DPC_LAKE": str(demo_build / "lake"),
        "DPC_EXERCISES_DIR": str(root / "exercises"),
        "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
        "DPC_LEARNER": "mallory",
    }
    with environment(**values):
        assert main(["sandbox", "reset"]) == 0
        yield data


def _raw_file(demo_build: Path) -> Path:
    return next((demo_build / "lake" / "raw").glob("yyyymm=*/facility=*/EFn_*"))


ESCAPES = {
    "read the key": "select * from read_text('{data}/.pseudonymisation_key')",
    "read a raw delivery": "select * from read_blob('{raw}')",
    "read a raw delivery as CSV": "select * from read_csv('{raw}')",
    "attach the shared warehouse": "attach '{data}/dpc.duckdb' as shared",
    "write a file": "copy (select 1) to '{data}/written.csv'",
    "switch the protection off": "set enable_external_access = true",
    "load an extension": "load httpfs",
    "change the sandbox": "create table mart.mine as select 1",
}


@pytest.mark.parametrize("attack", sorted(ESCAPES))
def test_an_escape_fails_with_the_databases_message(
    sandbox: Path, demo_build: Path, attack: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = ESCAPES[attack].format(data=sandbox, raw=_raw_file(demo_build))
    assert main(["sandbox", "sql", sql]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("SQL error: ") and "Traceback" not in err, err
    assert "the-key-a-learner-must-never-read" not in out + err and not out
    assert not (sandbox / "written.csv").exists()


def test_the_published_mart_is_readable(sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "sql", "select count(*) as stays from mart.fct_admissions"]) == 0
    assert "stays" in capsys.readouterr().out


def test_a_typo_is_a_message_and_escape_sequences_are_shown_not_run(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "sql", "selct 1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("SQL error: Parser Error") and "Traceback" not in err
    assert main(["sandbox", "sql", "select chr(27) || '[2J' as x"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_a_session_works_while_a_run_holds_the_warehouse_and_a_run_is_not_blocked_by_one(
    sandbox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = sandbox / "dpc.duckdb"
    assert snapshot_path(shared).exists()  # made by the first reset, refreshed by every run that publishes
    with run_lock(shared), duck.connect(shared) as run:  # a run: its lock, and DuckDB's lock on the warehouse
        run.execute("create or replace table dq.run_in_progress as select 1 as x")
        assert main(["sandbox", "sql", "select count(*) as stays from mart.fct_admissions"]) == 0
        assert main(["sandbox", "reset"]) == 0  # from the snapshot: the live warehouse is not opened
        assert main(["sandbox", "status"]) == 0
    assert "stays" in capsys.readouterr().out
    # the other way round: a learner's session and a reader of the snapshot are open while a run writes the
    # warehouse and, having published, replaces the snapshot
    sb = sandbox_for("mallory")
    with isolated_connection(sb.db_path) as session, duckdb.connect(str(snapshot_path(shared)), read_only=True) as old:
        with run_lock(shared), duck.connect(shared) as run:
            run.execute("create or replace table mart.published_again as select 2 as x")
        with run_lock(shared):
            write_snapshot(shared)
        assert session.execute("select count(*) from mart.fct_admissions").fetchone()[0] > 0
        assert old.execute(
            "select count(*) from information_schema.tables where table_name = 'published_again'"
        ).fetchone() == (0,)
    with duckdb.connect(str(snapshot_path(shared)), read_only=True) as new:
        assert new.execute("select x from mart.published_again").fetchall() == [(2,)]
        schemas = {r[0] for r in new.execute("select schema_name from information_schema.schemata").fetchall()}
    assert not schemas & {"raw", "internal", "mart_build"}  # only what learners are granted (docs/decisions/0019)
