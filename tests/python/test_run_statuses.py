"""Statuses that never lie (docs/decisions/0024, issue 27 item 1): one table of run statuses; the first line of the
summary, the exit code, the JSON summary and the AWS notification say the same word. Tiny lakes, no dbt: a run that
finds nothing or only rejected deliveries must not reach dbt (the NOTHING_TO_DO case is in test_pipeline.py, on a
copy of the demo)."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from dpc.build_state import project_fingerprint
from dpc.cli import main as dpc_main
from dpc.paths import PROJECT_DIR
from dpc.pipeline import RunSummary
from dpc.steps import recording
from dpc.steps.notify import EXECUTION_STATUSES, RUN_STATUSES, execution_run_status, format_summary
from tests.python.conftest import demo_env, environment


def dpc_run(root: Path, *extra: str) -> tuple[int, str, dict]:
    """`dpc run` through the CLI on root's lake and warehouse: exit code, terminal summary, JSON summary."""
    out = io.StringIO()
    with environment(**demo_env(root)), contextlib.redirect_stdout(out):
        code = dpc_main(["run", "--lake", str(root / "lake"), "--db", str(root / "dpc.duckdb"), *extra])
    latest = max((root / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    summary = json.loads(latest.read_text(encoding="utf-8"))
    # the notification text written beside it is the terminal's summary, word for word
    assert latest.with_suffix(".txt").read_text(encoding="utf-8") == out.getvalue()
    return code, out.getvalue(), summary


def _documented(path: Path) -> dict[str, int]:
    """The run rows (`| run | `STATUS` | meaning | exit |`) of a markdown table."""
    rows = re.findall(r"^\| run \| `([A-Z_]+)` \|.*\| (\d) \|$", path.read_text(encoding="utf-8"), flags=re.M)
    return {status: int(code) for status, code in rows}


@pytest.mark.parametrize("page", ["docs/decisions/0024-status-vocabulary.md", "README.md"])
def test_one_table_of_run_statuses_documented_as_the_code_has_it(page: str) -> None:
    assert _documented(PROJECT_DIR / page) == RUN_STATUSES
    assert set(EXECUTION_STATUSES.values()) <= set(RUN_STATUSES)


def test_no_deliveries_says_where_it_looked_and_exits_1_without_a_warehouse(tmp_path: Path) -> None:
    (tmp_path / "lake" / "raw" / "yyyymm=202413").mkdir(parents=True)  # not a real month: belongs to no delivery
    (tmp_path / "lake" / "raw" / "yyyymm=202413" / "EFn.txt").write_bytes(b"x")
    with recording() as steps:
        code, text, s = dpc_run(tmp_path)
    assert (code, s["status"], s["ok"], s["deliveries"]) == (1, "NO_DELIVERIES", False, []), text
    assert text.splitlines()[0] == f"DPC pipeline run {s['run_id']}: NO_DELIVERIES"
    assert f"no delivery found under {tmp_path / 'lake' / 'raw'}" in text and "  none found" in text
    assert "raw/yyyymm=202413/EFn.txt" in text  # and what it found instead
    assert set(steps) == {"notify"} and not (tmp_path / "dpc.duckdb").exists() and not (tmp_path / "target").exists()


def test_every_delivery_rejected_is_failed_and_dbt_does_not_run(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    for month in (202404, 202405):
        folder = tmp_path / "lake" / "raw" / f"yyyymm={month}" / "facility=131000017"
        folder.mkdir(parents=True)
        (folder / f"Dn_131000017_{month % 10000}.txt").write_bytes(b"a file without its manifest\r\n")
    with recording() as steps, environment(DPC_INGEST_WORKERS="1"):  # two tiny deliveries: no process pool
        code, text, s = dpc_run(tmp_path)
    assert (code, s["status"], s["ok"], s["published"]) == (1, "FAILED", False, False), text
    assert text.splitlines()[0] == f"DPC pipeline run {s['run_id']}: FAILED"
    assert [d["status"] for d in s["deliveries"]] == ["rejected", "rejected"]
    assert all(f["reason_code"] == "missing_manifest" for d in s["deliveries"] for f in d["findings"])
    assert "every delivery was rejected" in text and "dbt:            not run" in text
    assert "transform" not in steps and "publish" not in steps and not (tmp_path / "target").exists()
    assert capfd.readouterr().err == ""  # not a terminal: no progress drawn (issue 27 item 2), only the summary


def _summary(**kw: object) -> RunSummary:
    return RunSummary(run_id="r", target="local", started_at="t", **kw)  # type: ignore[arg-type]


def test_each_status_from_its_summary_with_the_same_word_everywhere() -> None:
    from dpc.pipeline import DeliveryOutcome as D

    loaded, unchanged, rejected = D("131000017", 202404, "loaded"), D("1", 1, "unchanged"), D("2", 2, "rejected")
    skipped = "nothing to rebuild"
    cases = {
        "NO_DELIVERIES": _summary(error="no delivery found under x"),
        "FAILED": _summary(deliveries=[rejected], error="every delivery was rejected"),
        "NOTHING_TO_DO": _summary(deliveries=[unchanged], skipped=skipped),
        "PARTIAL": _summary(deliveries=[unchanged, rejected], skipped=skipped),
        "SUCCEEDED": _summary(deliveries=[loaded, unchanged], published=True),
    }
    assert set(cases) == set(RUN_STATUSES)
    for status, summary in cases.items():
        as_dict = json.loads(json.dumps(summary.as_dict()))
        assert summary.status == as_dict["status"] == status
        assert format_summary(as_dict).splitlines()[0] == f"DPC pipeline run r: {status}"
    # published with a rejected delivery, or a file in no delivery: PARTIAL; dbt broke: FAILED
    assert _summary(deliveries=[loaded, rejected], published=True).status == "PARTIAL"
    assert _summary(deliveries=[loaded], published=True, misplaced=["raw/x"]).status == "PARTIAL"
    assert _summary(deliveries=[loaded], error="dbt build failed").status == "FAILED"
    # on AWS an execution is one delivery: its Notify state's word, as the run status of the same table
    assert {s: execution_run_status(s) for s in ("SUCCEEDED", "REJECTED", "FAILED", "ABORTED")} == {
        "SUCCEEDED": "SUCCEEDED",
        "REJECTED": "FAILED",
        "FAILED": "FAILED",
        "ABORTED": "FAILED",
    }


def test_the_notify_lambda_reports_a_rejected_delivery_as_a_failed_run() -> None:
    from tests.python.test_orchestration_moto import import_handler

    notify = import_handler("notify")  # the Lambda's module (no AWS call: summary_from_state and message_text only)
    state = {"facility_code": "131000017", "yyyymm": 202404, "validation": {"ok": False, "findings": []}}
    summary = notify.summary_from_state("x", "REJECTED", state)
    text = notify.message_text(summary, "REJECTED", None)
    assert summary["status"] == "FAILED" and text.startswith("DPC pipeline run x: FAILED\n")
    assert "131000017 202404  rejected" in text


def test_a_changed_dbt_project_is_rebuilt(tmp_path: Path) -> None:
    """The fingerprint that lets a run skip dbt changes with any model, macro, seed, test or project file."""
    for name in ("dbt_project.yml", "models/mart/a.sql", "macros/m.sql", "seeds/ref/s.csv", "tests/dbt/t.sql"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("select 1\n", encoding="utf-8")
    seen = {project_fingerprint(tmp_path)}
    for name in ("models/mart/a.sql", "macros/m.sql", "seeds/ref/s.csv", "tests/dbt/t.sql", "dbt_project.yml"):
        (tmp_path / name).write_text("select 2\n", encoding="utf-8")
        seen.add(project_fingerprint(tmp_path))
    (tmp_path / "models" / "mart" / "b.sql").write_text("select 2\n", encoding="utf-8")  # a new model
    seen.add(project_fingerprint(tmp_path))
    (tmp_path / "README.md").write_text("not a dbt source\n", encoding="utf-8")
    assert project_fingerprint(tmp_path) in seen and len(seen) == 7
