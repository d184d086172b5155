"""A valid delivery never blocks other facilities' publication (docs/decisions/0028).

Real dbt on DuckDB, on a copy of the demo build. One run re-delivers facility A's June corrected (valid) and
facility B's June with a 様式1 退院年月日 before its 入院年月日 — a fault the normaliser does not see (it compares the
dates on EF/D lines, not 様式1 payloads) and the error-severity checks on the stay do. The run publishes A, holds
back B (status PARTIAL, exit 2, the check named), keeps every published row of B — its billing lines, stays, KPI
months and fiscal-year indicators — as it was, and leaves B pending; the corrected B then publishes (SUCCEEDED)
and equals the demo's. A check that blames no pending delivery (a lost stage file of a published month) still
stops everything (FAILED, exit 1, mart untouched).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dpc.cli import main as dpc_main
from dpc.executors.duckdb import pending
from dpc.generate.corrupt import corrupt_delivery
from dpc.manifest import write_manifest
from dpc.steps import dq, publish, transform
from tests.python.conftest import delivered_files, demo_env, environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("partial_publication")]

A, B = "131000017", "271000023"  # the demo's two facilities
JUNE = 202406
FAILING_CHECK = "dpc_learning_expression_is_true_fct_admissions_discharge_date__discharge_date_admission_date"


def _delivery(root: Path, facility: str, yyyymm: int) -> Path:
    return root / "lake" / "raw" / f"yyyymm={yyyymm}" / f"facility={facility}"


def _copy_demo(demo_build: Path, root: Path) -> Path:
    """The demo's lake and warehouse, deliveries as delivered (the K files the normaliser deleted are back)."""
    root.mkdir(parents=True)
    shutil.copytree(demo_build / "lake", root / "lake")
    shutil.copy2(demo_build / "dpc.duckdb", root / "dpc.duckdb")
    for raw in sorted((root / "lake" / "raw").glob("yyyymm=*/facility=*")):
        for name, data in delivered_files(demo_build, demo_build / raw.relative_to(root)).items():
            if not (raw / name).exists():
                (raw / name).write_bytes(data)
    shutil.copy2(root / "dpc.duckdb", root / "before.duckdb")  # the published state before the run
    return root


def _discharge_before_admission(delivery: Path) -> tuple[bytes, bytes]:
    """Re-deliver with the first discharged stay's 退院年月日 (様式1 A000030 ペイロード1) set to the first of its
    admission month, before its 入院年月日; returns (original file, faulty file)."""
    path = next(delivery.glob("FF1_*"))
    original = path.read_bytes()
    lines = original.split(b"\r\n")
    for i, line in enumerate(lines):
        f = line.split(b"\t")
        if len(f) > 8 and f[5] == b"A000030" and f[8] != b"00000000" and f[2][6:] > b"01":
            f[8] = f[2][:6] + b"01"
            lines[i] = b"\t".join(f)
            break
    else:  # pragma: no cover - the demo always has one
        raise AssertionError("no discharged stay admitted after the first of a month")
    faulty = b"\r\n".join(lines)
    path.write_bytes(faulty)
    write_manifest(delivery)
    return original, faulty


def _dpc_run(root: Path) -> tuple[int, str, dict]:
    """`dpc run` through the CLI: exit code, terminal summary, JSON summary."""
    out = io.StringIO()
    with environment(**demo_env(root)), contextlib.redirect_stdout(out):
        code = dpc_main(["run", "--lake", str(root / "lake"), "--db", str(root / "dpc.duckdb"), "--no-docs"])
    latest = sorted((root / "runs").glob("*.json"))[-1]
    return code, out.getvalue(), json.loads(latest.read_text(encoding="utf-8"))


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> str:
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    return ", ".join(f'round("{c}", 6) as "{c}"' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols)


def _facility_diff(con: duckdb.DuckDBPyConnection, left: str, right: str, facility: str) -> dict[str, int]:
    """Per mart table with facility_code: rows of ``facility`` differing between two ``catalog.schema``."""
    diffs = {}
    for (table,) in con.execute(
        "select distinct table_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'mart' and column_name = 'facility_code'"
    ).fetchall():
        cols = _columns(con, con.execute("select current_database()").fetchone()[0], "mart", table)
        one = f"select {cols} from {left}.{table} where facility_code = '{facility}'"
        two = f"select {cols} from {right}.{table} where facility_code = '{facility}'"
        n = con.execute(
            f"select (select count(*) from (({one}) except all ({two}))) "
            f"+ (select count(*) from (({two}) except all ({one})))"
        ).fetchone()[0]
        if n:
            diffs[table] = n
    return diffs


@dataclass
class Partial:
    root: Path
    code: int
    text: str
    summary: dict
    original_ff1: bytes


@pytest.fixture(scope="module")
def partial(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Partial:
    root = _copy_demo(demo_build, tmp_path_factory.mktemp("partial") / "demo")
    corrupt_delivery(_delivery(root, A, JUNE), "corrected-month")  # a valid correction: one stay removed
    original, _ = _discharge_before_admission(_delivery(root, B, JUNE))
    code, text, summary = _dpc_run(root)
    return Partial(root, code, text, summary, original)


def test_a_failing_delivery_is_held_back_and_named(partial: Partial) -> None:
    s = partial.summary
    assert (partial.code, s["status"], s["published"]) == (2, "PARTIAL", True), partial.text
    assert f"DPC pipeline run {s['run_id']}: PARTIAL" in partial.text
    statuses = {(d["facility_code"], d["yyyymm"]): d["status"] for d in s["deliveries"]}
    assert statuses[(A, JUNE)] == "loaded" and statuses[(B, JUNE)] == "held_back"
    held = s["dq"]["attribution"]["held_back"]
    assert [(h["facility_code"], h["yyyymm"]) for h in held] == [(B, JUNE)]
    assert FAILING_CHECK in held[0]["checks"]
    assert s["dq"]["attribution"]["blocking"] == []
    assert s["publication"]["held_back"] == [[B, JUNE]]
    assert s["publication"]["touched"]["facility_months"] == [[A, JUNE]]
    assert f"{B} {JUNE}  held_back" in partial.text
    assert f"✗ held back: {FAILING_CHECK}" in partial.text
    assert f"✗ error {FAILING_CHECK} (1 rows) — holds back {B} {JUNE}" in partial.text
    # every node was built and tested although a test failed: the build went on past it
    counts = s["dbt"]["counts"]
    assert "skipped" not in counts.get("model", {}) and "skipped" not in counts.get("test", {}), counts
    # the failing check located its row: B's stay, in every delivery month that carried it
    blame = next(e for e in s["dq"]["errors"] if e["check"] == FAILING_CHECK)["blame"]
    assert {(k["facility_code"], k["located_by"]) for k in blame} == {(B, "failing_rows")}


def test_the_held_back_facility_keeps_its_published_rows_and_aggregates(partial: Partial) -> None:
    with duckdb.connect(str(partial.root / "dpc.duckdb")) as con:
        con.execute(f"attach '{partial.root / 'before.duckdb'}' as before (read_only)")
        db = con.execute("select current_database()").fetchone()[0]
        # B: billing lines, stays, KPI months, fiscal-year indicators, dim_facility — as published before the run
        assert _facility_diff(con, f"{db}.mart", "before.mart", B) == {}
        # … while mart_build holds the faulty stay, which never reached mart
        bad = "select count(*) from {}.fct_admissions where discharge_date < admission_date"
        assert con.execute(bad.format("mart_build")).fetchone()[0] == 1
        assert con.execute(bad.format("mart")).fetchone()[0] == 0
        # A: the corrected June is published, exactly as built and audited
        assert _facility_diff(con, f"{db}.mart", f"{db}.mart_build", A) == {}
        assert _facility_diff(con, f"{db}.mart", "before.mart", A), "A's corrected June was not published"
        # the publication log keeps B pending
        assert pending(con).facility_months == frozenset({(B, JUNE)})


def test_the_corrected_delivery_is_published_by_the_next_run(partial: Partial) -> None:
    delivery = _delivery(partial.root, B, JUNE)
    next(delivery.glob("FF1_*")).write_bytes(partial.original_ff1)
    write_manifest(delivery)
    code, text, s = _dpc_run(partial.root)
    assert (code, s["status"]) == (0, "SUCCEEDED"), text
    assert s["publication"]["touched"]["facility_months"] == [[B, JUNE]]
    assert s["publication"]["held_back"] == []
    with duckdb.connect(str(partial.root / "dpc.duckdb")) as con:
        con.execute(f"attach '{partial.root / 'before.duckdb'}' as before (read_only)")
        db = con.execute("select current_database()").fetchone()[0]
        assert _facility_diff(con, f"{db}.mart", f"{db}.mart_build", B) == {}
        assert _facility_diff(con, f"{db}.mart", "before.mart", B) == {}  # the corrected June is the demo's again
        assert pending(con).facility_months == frozenset()


def test_a_check_that_blames_no_pending_delivery_still_stops_everything(demo_build: Path, tmp_path: Path) -> None:
    root = _copy_demo(demo_build, tmp_path / "demo")
    corrupt_delivery(_delivery(root, A, JUNE), "corrected-month")  # valid, and pending
    # a published month loses a stage file: reconciliation and row counts fail on B's April, which is not pending
    for path in (root / "lake" / "stage" / "efn" / "yyyymm=202404" / f"facility={B}").rglob("*.parquet"):
        path.unlink()
    code, text, s = _dpc_run(root)
    assert (code, s["status"], s["published"]) == (1, "FAILED", False), text
    blocking = s["dq"]["attribution"]["blocking"]
    assert any(f"blames {B} 202404, which is not pending" in b for b in blocking), blocking
    assert "block every publication" in s["error"]
    # the raw row count per delivery names B's April in its failing rows: the whole run stops
    blame = {(k["facility_code"], k["yyyymm"], k["located_by"]) for e in s["dq"]["errors"] for k in e["blame"]}
    assert (B, 202404, "failing_rows") in blame, blame
    assert "✗ blocks every delivery:" in text
    with duckdb.connect(str(root / "dpc.duckdb")) as con:
        con.execute(f"attach '{root / 'before.duckdb'}' as before (read_only)")
        db = con.execute("select current_database()").fetchone()[0]
        for facility in (A, B):
            assert _facility_diff(con, f"{db}.mart", "before.mart", facility) == {}
        assert (A, JUNE) in pending(con).facility_months


def test_failing_column_tests_are_located_in_the_tested_relation(demo_copy: Path) -> None:
    """unique, accepted_values and not_null_columns return the failing value (or the column), not the row: the
    on-run-end hook finds the rows in the tested relation and records their facility, month and stay."""
    db = demo_copy / "dpc.duckdb"
    with duckdb.connect(str(db)) as con:
        stays = [
            r[0]
            for r in con.execute(
                "select stay_id from mart_build.fct_admissions where facility_code = ? order by stay_id limit 2", [B]
            ).fetchall()
        ]
        con.execute("update mart_build.fct_admissions set sex_code = '9' where stay_id = ?", [stays[0]])
        con.execute("update mart_build.fct_admissions set patient_key = null where stay_id = ?", [stays[1]])
        line = con.execute(
            "select billing_line_id, stay_id from mart_build.fct_billing_lines "
            "where facility_code = ? and yyyymm = 202405 order by billing_line_id limit 1",
            [A],
        ).fetchone()
        con.execute(
            "insert into mart_build.fct_billing_lines select * from mart_build.fct_billing_lines "
            "where billing_line_id = ?",
            [line[0]],
        )
    selected = [
        "accepted_values_fct_admissions_sex_code__1__2",
        "fct_admissions,test_name:not_null_columns",
        "fct_billing_lines,test_name:unique",
    ]
    outcome = transform.run_dbt(
        ["test", "--select", *selected], duckdb_path=db, quiet=True, extra_env={"DPC_DELIVERIES": ""}
    )
    tests = [n.status for n in outcome.nodes if n.resource_type == "test"]
    assert outcome.error is None and tests == ["fail"] * 3, (outcome.error, outcome.nodes)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select check_name, facility_code, yyyymm, stay_id, located_by from dq.dq_failure_deliveries "
            "where run_id = ? order by check_name",
            [outcome.invocation_id],
        ).fetchall()
    assert rows == [
        ("accepted_values_fct_admissions_sex_code__1__2", B, None, stays[0], "tested_rows"),
        (
            "dpc_learning_not_null_columns_fct_admissions_" + rows[1][0].split("fct_admissions_", 1)[1],
            B,
            None,
            stays[1],
            "tested_rows",
        ),
        ("unique_fct_billing_lines_billing_line_id", A, 202405, line[1], "tested_rows"),
    ]


def test_reference_only_tables_read_no_delivery(partial: Partial) -> None:
    """publish.REFERENCE_ONLY tables are published whole while deliveries are held back: only seeds feed them."""
    parents = json.loads((partial.root / "target" / "manifest.json").read_text(encoding="utf-8"))["parent_map"]
    for table in publish.REFERENCE_ONLY:
        seen, todo = set(), [f"model.dpc_learning.{table}"]
        while todo:
            for parent in parents.get(todo.pop(), []):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        assert seen and all(p.startswith("seed.") for p in seen), (table, sorted(seen))


def test_attribution_rules() -> None:
    """The pure rule (dpc.steps.dq.attribute) for the cases a demo run does not reach."""
    pending = {(A, JUNE), (A, 202405), (B, JUNE)}

    def error(blame: list[dict], status: str = "fail", check: str = "c") -> dict:
        return {"check": check, "status": status, "failing_rows": 1, "blame": blame}

    def key(facility: str | None, yyyymm: int | None = None, stay: str | None = None, by: str = "failing_rows"):
        return {"facility_code": facility, "yyyymm": yyyymm, "stay_id": stay, "located_by": by}

    # a check on a seed, a check that errored, a row naming no delivery: they block everything
    assert dq.attribute([error([key(None, by="seed")])], pending).blocking
    assert dq.attribute([error([], status="error")], pending).blocking
    assert dq.attribute([error([])], pending).blocking
    assert dq.attribute([error([key(B, 202404)])], pending).blocking  # not pending
    assert dq.attribute([error([key("999999999")])], pending).blocking  # facility with nothing pending
    assert dq.attribute([error([key(B, JUNE)])], None).blocking  # a first or full publication
    # a delivery, a stay (→ the pending deliveries that carried it), a facility (→ all its pending deliveries)
    one = dq.attribute([error([key(A, JUNE)], check="row")], pending)
    assert one.blamed == {(A, JUNE): ["row"]} and not one.blocking
    assert one.held_back == {(A, 202405): [f"same facility as {A} {JUNE}"], (A, JUNE): ["row"]}
    stay = dq.attribute([error([key(B, stay="s1")], check="stay")], pending, {"s1": {(B, 202405), (B, JUNE)}})
    assert stay.blamed == {(B, JUNE): ["stay"]}
    facility = dq.attribute([error([key(A)], check="kpi")], pending)
    assert set(facility.blamed) == {(A, JUNE), (A, 202405)}
