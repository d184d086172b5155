"""Dispatch against moto: pending deliveries, the registry and its conditional-write lock, execution names,
retries, rejected deliveries, the build lock of an ended execution, and ``dpc start-execution``."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dpc import cli
from dpc.generate import generate
from dpc.manifest import manifest_sha256
from dpc.steps.dispatch import (
    BUILD_LOCK_ID,
    Dispatcher,
    Registry,
    execution_name,
    targets_from_event,
)
from dpc.storage import S3Storage
from tests.python import test_orchestration_moto as support
from tests.python.conftest import environment
from tests.python.moto_support import ACCOUNT_ID, MotoServer, wait_for_execution
from tests.python.test_orchestration_moto import Stack, create_stack, import_handler, upload_delivery

orchestration_server = support.orchestration_server  # the session's moto server (a fixture)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration")]
YYYYMM = 202404
OUTCOMES = {  # stand-in state machines: the dispatcher only starts executions and reads how they ended
    "succeeds": {"StartAt": "S", "States": {"S": {"Type": "Succeed"}}},
    "rejected": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "DeliveryRejected", "Cause": "bad"}}},
    "fails": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "DbtTestFailure", "Cause": "x"}}},
    "runs": {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}},
}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("dispatch-lake")
    deliveries = generate(root, seed=11, facilities=2, months=1, start_yyyymm=YYYYMM, admissions_per_month=5)
    return root, [d.facility_code for d in deliveries]


@pytest.fixture
def stack(orchestration_server: MotoServer, request: pytest.FixtureRequest) -> Iterator[Stack]:
    name = "d-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    created = create_stack(orchestration_server, name=name, full=False)
    sfn = created.client("stepfunctions")
    created.values = {
        outcome: sfn.create_state_machine(
            name=f"{name}-{outcome}", definition=json.dumps(d), roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/sfn"
        )["stateMachineArn"]
        for outcome, d in OUTCOMES.items()
    }
    with environment(**created.env()):
        yield created


def _dispatcher(stack: Stack, outcome: str, **kwargs: Any) -> Dispatcher:
    return Dispatcher(
        storage=S3Storage(bucket=stack.bucket, client=stack.client("s3")),
        registry=Registry(stack.client("dynamodb"), stack.table),
        sfn=stack.client("stepfunctions"),
        state_machine_arn=stack.values[outcome],
        bucket=stack.bucket,
        **kwargs,
    )


def _manifest_hash(stack: Stack, facility: str) -> str:
    key = f"raw/yyyymm={YYYYMM}/facility={facility}/manifest.json"
    return manifest_sha256(json.loads(stack.client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read()))


def _settle(stack: Stack, result: dict[str, Any]) -> dict[str, Any]:
    return wait_for_execution(stack.client("stepfunctions"), result["execution_arn"], timeout=60)


def test_schedule_starts_one_named_execution_per_pending_delivery_and_locks_it(
    stack: Stack, lake: tuple[Path, list[str]]
) -> None:
    root, (a, b) = lake
    upload_delivery(stack, root, a, YYYYMM)
    upload_delivery(stack, root, b, YYYYMM)
    # a third delivery still uploading: files, no manifest yet
    stack.client("s3").put_object(Bucket=stack.bucket, Key=f"raw/yyyymm={YYYYMM}/facility=401000001/Dn_x.txt", Body=b"")
    with environment(STATE_MACHINE_ARN=stack.values["runs"]):
        out = import_handler("dispatch").handler({"source": "schedule"})
    assert out["started"] == 2
    by_facility = {r["facility_code"]: r for r in out["results"]}
    assert set(by_facility) == {a, b}
    for facility, r in by_facility.items():
        digest = _manifest_hash(stack, facility)
        assert (
            r["execution_name"] == execution_name(facility, YYYYMM, digest, 1) == f"{facility}-{YYYYMM}-{digest[:16]}-1"
        )
        described = stack.client("stepfunctions").describe_execution(executionArn=r["execution_arn"])
        assert described["status"] == "RUNNING" and described["name"] == r["execution_name"]
        assert json.loads(described["input"]) == {
            "facility_code": facility,
            "yyyymm": YYYYMM,
            "delivery_id": f"{facility}-{YYYYMM}",
            "manifest_sha256": digest,
            "attempt": 1,
            "bucket": stack.bucket,
        }
        item = Registry(stack.client("dynamodb"), stack.table).get(f"{facility}-{YYYYMM}")
        assert item is not None and item["status"] == "running" and item["execution_arn"] == r["execution_arn"]
    # the next dispatch (schedule, manifest event or by hand) finds every delivery locked by its running execution
    with environment(STATE_MACHINE_ARN=stack.values["runs"]):
        again = import_handler("dispatch").handler({"source": "schedule"})
        manual = import_handler("dispatch").handler({"facility_code": a, "yyyymm": YYYYMM, "force": True})
    assert again["started"] == 0 and manual["started"] == 0
    assert {r["reason"] for r in again["results"] + manual["results"]} == {
        f"locked: execution {by_facility[f]['execution_name']} is running" for f in (a, b)
    } | {f"locked: execution {by_facility[a]['execution_name']} is running"}
    # a manifest event for the delivery still uploading: nothing to start yet
    event = {
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": stack.bucket}, "object": {"key": f"raw/yyyymm={YYYYMM}/facility=401000001/x"}},
    }
    with environment(STATE_MACHINE_ARN=stack.values["runs"]):
        [uploading] = import_handler("dispatch").handler(event)["results"]
    assert uploading["action"] == "skipped" and uploading["reason"].startswith("no manifest.json yet")


def test_conditional_write_lets_one_of_two_dispatchers_win(stack: Stack) -> None:
    registry = Registry(stack.client("dynamodb"), stack.table)
    args = {"facility_code": "131000001", "yyyymm": YYYYMM, "manifest_hash": "ab" * 32, "attempt": 1, "name": "n-1"}
    assert registry.acquire("131000001-202404", version=None, **args) is True
    assert registry.acquire("131000001-202404", version=None, **args) is False  # the other one read "no item" too
    item = registry.get("131000001-202404")
    assert item is not None and item["version"] == 1 and item["status"] == "running"
    registry.update("131000001-202404", expect_name="n-1", status="failed")
    assert registry.acquire("131000001-202404", version=1, **{**args, "attempt": 2, "name": "n-2"}) is True
    assert registry.acquire("131000001-202404", version=1, **{**args, "attempt": 2, "name": "n-2b"}) is False


def test_outcomes_decide_what_the_next_dispatch_does(stack: Stack, lake: tuple[Path, list[str]]) -> None:
    root, (a, _) = lake
    upload_delivery(stack, root, a, YYYYMM)

    def dispatch(outcome: str, **kwargs: Any) -> dict[str, Any]:
        [r] = _dispatcher(stack, outcome, max_attempts=2).run([(a, YYYYMM)], **kwargs)
        if r["action"] == "started":
            _settle(stack, r)
        return r

    assert dispatch("fails")["attempt"] == 1
    retried = dispatch("rejected")  # a failed run is retried with the next attempt's name
    assert retried["attempt"] == 2 and retried["reason"] == "retry after failed (DbtTestFailure)"
    assert dispatch("succeeds")["reason"] == "rejected: waiting for a corrected manifest (or start with force)"
    forced = dispatch("fails", force=True)
    assert forced["action"] == "started" and forced["attempt"] == 3 and forced["execution_name"].endswith("-3")
    assert dispatch("succeeds")["reason"] == "failed 3 times: start with force after fixing the cause"
    # a corrected re-delivery: a new manifest is a new run, attempt 1, under a new name
    key = f"raw/yyyymm={YYYYMM}/facility={a}/manifest.json"
    manifest = json.loads(stack.client("s3").get_object(Bucket=stack.bucket, Key=key)["Body"].read())
    manifest["created_by"] = "corrected re-delivery"
    stack.client("s3").put_object(Bucket=stack.bucket, Key=key, Body=json.dumps(manifest).encode())
    redelivered = dispatch("succeeds")
    assert redelivered["action"] == "started" and redelivered["attempt"] == 1
    assert redelivered["reason"] == "new manifest (corrected re-delivery)"
    assert redelivered["execution_name"] == execution_name(a, YYYYMM, manifest_sha256(manifest), 1)
    assert dispatch("succeeds")["reason"] == "already succeeded for this manifest"


def test_dispatch_frees_the_build_lock_of_an_ended_execution(stack: Stack) -> None:
    sfn, ddb = stack.client("stepfunctions"), stack.client("dynamodb")
    ended = sfn.start_execution(stateMachineArn=stack.values["fails"], name="ended-1")["executionArn"]
    wait_for_execution(sfn, ended, timeout=60)
    running = sfn.start_execution(stateMachineArn=stack.values["runs"], name="running-1")["executionArn"]

    def lock(holder: str, arn: str) -> None:
        ddb.put_item(
            TableName=stack.table,
            Item={"delivery_id": {"S": BUILD_LOCK_ID}, "holder": {"S": holder}, "execution_arn": {"S": arn}},
        )

    lock("running-1", running)
    assert _dispatcher(stack, "runs").run([]) == []
    assert "Item" in ddb.get_item(TableName=stack.table, Key={"delivery_id": {"S": BUILD_LOCK_ID}})
    lock("ended-1", ended)
    [released] = _dispatcher(stack, "runs").run([])
    assert released["action"] == "released" and "ended-1" in released["reason"]
    assert "Item" not in ddb.get_item(TableName=stack.table, Key={"delivery_id": {"S": BUILD_LOCK_ID}})


def test_targets_from_events() -> None:
    assert targets_from_event({"source": "schedule"}) == (None, False)
    assert targets_from_event({"facility_code": "131000001", "yyyymm": "202404", "force": True}) == (
        [("131000001", 202404)],
        True,
    )
    s3_event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {"bucket": {"name": "b"}, "object": {"key": "raw/yyyymm=202405/facility=271000023/manifest.json"}},
    }
    assert targets_from_event(s3_event) == ([("271000023", 202405)], False)


def test_dpc_start_execution_dry_run_then_start(stack: Stack, lake: tuple[Path, list[str]]) -> None:
    root, (_, b) = lake
    upload_delivery(stack, root, b, YYYYMM)
    args = [
        "start-execution",
        "--facility",
        b,
        "--month",
        str(YYYYMM),
        "--bucket",
        stack.bucket,
        "--state-machine-arn",
        stack.values["succeeds"],
        "--table",
        stack.table,
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main([*args, "--dry-run"]) == 0
    name = execution_name(b, YYYYMM, _manifest_hash(stack, b), 1)
    text = printed.getvalue()
    assert f"{b}-{YYYYMM}: would start — new delivery" in text
    assert (
        f"aws stepfunctions start-execution --state-machine-arn {stack.values['succeeds']} --name {name} --input '{{"
    ) in text
    assert stack.client("stepfunctions").list_executions(stateMachineArn=stack.values["succeeds"])["executions"] == []
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(args) == 0
    assert f"{b}-{YYYYMM}: started — new delivery" in printed.getvalue()
    [execution] = stack.client("stepfunctions").list_executions(stateMachineArn=stack.values["succeeds"])["executions"]
    assert execution["name"] == name
