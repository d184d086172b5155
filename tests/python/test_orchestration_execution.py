"""The pipeline's state machine EXECUTED by moto's Step Functions interpreter.

Each Lambda state returns what the real handler returned when the test called it, beforehand, with the event the
state machine sends (moto's simple Lambda mode: queued responses); the history then shows that the interpreter
sent exactly those events. The runner's two ECS tasks are started by the interpreter (ECS ``runTask``) and
answered the way the runner answers: with the project's normaliser output, with a dbt summary, or with a failure.
Executions are started by the Dispatch handler (registry lock, execution name from delivery and manifest hash).
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dpc.executors.redshift import changed_keys_sql, columns_sql
from dpc.steps import DELIVERY_STEPS, dq, recording
from dpc.steps.dispatch import (
    Dispatcher,
    Registry,
    delivery_manifest_hash,
    execution_arn,
    execution_input,
    execution_name,
)
from dpc.steps.notify import summary_fields
from dpc.storage import S3Storage
from tests.python import test_orchestration_moto as support
from tests.python.conftest import TEST_KEY, TEST_LINK_KEY, environment
from tests.python.moto_support import MotoServer, execution_history, wait_for_execution
from tests.python.test_orchestration_moto import (
    DATABASE,
    WORKGROUP,
    DataApi,
    Stack,
    create_stack,
    import_handler,
    moto_statement,
    scheduled_payloads,
    states_entered,
    task_token,
    upload_delivery,
    wait_for_runner_task,
    wait_for_state,
)

orchestration_server = support.orchestration_server  # the session's moto server (a fixture)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration")]
REDSHIFT = {"workgroup": WORKGROUP, "database": DATABASE}
LOAD_LOOP = [
    "LoadRaw",
    "WaitForLoad",
    "DescribeLoad",
    "LoadStatus",
    "CountLoadPoll",
    "WaitForLoad",
    "DescribeLoad",
    "LoadStatus",
    "LoadDone",
    "RecordPartitions",
]


def _loop(step: str) -> list[str]:
    return [
        f"WaitFor{step}",
        f"Describe{step}",
        f"{step}Status",
        f"Count{step}Poll",
        f"WaitFor{step}",
        f"Describe{step}",
        f"{step}Status",
        f"{step}Done",
    ]


@dataclass
class Pipeline:
    """One delivery's run: the events each handler got, what it returned, the state as the machine builds it."""

    stack: Stack
    demo: Path
    facility: str
    yyyymm: int
    name: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    seen_tasks: set[str] = field(default_factory=set)

    @property
    def arn(self) -> str:
        return execution_arn(self.stack.state_machine_arn, self.name)

    def _call(self, module: str, event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        out = import_handler(module).handler(json.loads(json.dumps(event)), **kwargs)
        self.events.append(event)
        self.results.append(json.loads(json.dumps(out, default=str)))
        return self.results[-1]

    def _event(self, **extra: Any) -> dict[str, Any]:
        return {"run_id": self.name, **extra, "state": json.loads(json.dumps(self.state))}

    def begin(self) -> None:
        storage = S3Storage(bucket=self.stack.bucket, client=self.stack.client("s3"))
        digest = delivery_manifest_hash(storage, self.facility, self.yyyymm)
        assert digest is not None
        self.name = execution_name(self.facility, self.yyyymm, digest, 1)
        self.state = execution_input(self.facility, self.yyyymm, digest, 1, self.stack.bucket)

    def validate(self) -> dict[str, Any]:
        self.state["validation"] = self._call("validate_manifest", self._event())
        return self.state["validation"]

    def normalise(self) -> dict[str, Any]:
        """The normalise runner's answer, made by the runner's own step function on the delivery in the bucket."""
        from runner.artifacts import ArtifactStore
        from runner.config import load_config
        from runner.logs import JsonLog
        from runner.steps import run_normalise_step

        cfg = load_config(
            {
                "STEP": "normalise",
                "RUN_ID": self.name,
                "FACILITY_CODE": self.facility,
                "YYYYMM": str(self.yyyymm),
                "DATA_BUCKET": self.stack.bucket,
                "KMS_KEY_ID": self.stack.kms_key_arn,
                "MANIFEST_SHA256": str(self.state["validation"]["manifest_sha256"]),
                "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
            }
        )
        with environment(DPC_PSEUDONYMISATION_KEY=TEST_KEY, DPC_LINK_KEY=TEST_LINK_KEY):
            answer = run_normalise_step(
                cfg, JsonLog(cfg.log_context(), io.StringIO()), ArtifactStore(None, "", self.name, None)
            )
        self.state["normalise"] = json.loads(json.dumps(answer, default=str))
        return self.state["normalise"]

    def _statement_step(self, module: str, key: str, api: DataApi, **extra: Any) -> dict[str, Any]:
        with api as client:
            out = self._call(module, self._event(redshift=REDSHIFT, **extra), redshift_data=client)
        self.state[key] = {"statement_id": out["statement_id"], "status": "FINISHED", "result": out["result"]}
        return out

    def load(self) -> dict[str, Any]:
        """LoadRaw's batch, then (once the state machine saw it finish) RecordPartitions against moto's Glue."""
        sid = moto_statement(self.stack.server, "-- stands for the load batch")
        out = self._statement_step("load_raw", "load", DataApi(self.stack.server).batch(statement_id=sid))
        self.state["partitions"] = self._call("record_partitions", self._event())
        return out

    def dbt(self) -> dict[str, Any]:
        """The dbt runner's answer for this delivery, in the runner's shape, with the local run's dbt results
        (same project, same data): its invocation id and its node statuses tallied as the runner tallies them."""
        from runner.steps import tally

        local = json.loads((self.demo / "summary.json").read_text(encoding="utf-8"))["dbt"]
        self.state["dbt"] = {
            "step": "dbt",
            "status": "succeeded",
            "run_id": self.name,
            "yyyymm": self.yyyymm,
            "facility_code": self.facility,
            "target": "redshift",
            "command": "build",
            "invocation_id": local["invocation_id"],
            "dbt_seconds": 12.5,
            "counts": tally(local["counts"]),
            "warned_nodes": [],
            "artifacts": {"run_results.json": f"s3://artifacts/dbt-artifacts/{self.name}/run_results.json"},
        }
        return self.state["dbt"]

    def data_quality(self, rows: list[tuple[Any, ...]] | None = None) -> dict[str, Any]:
        run_id = self.state["dbt"]["invocation_id"]
        with duckdb.connect(str(self.demo / "dpc.duckdb"), read_only=True) as con:
            real_rows = con.execute(dq.results_sql("?"), [run_id]).fetchall()
            mismatches = con.execute(dq.RECONCILIATION_SQL).fetchone()[0]
        api = DataApi(self.stack.server).query(rows if rows is not None else real_rows, statement_id=str(uuid.uuid4()))
        api.query([(mismatches,)], statement_id=str(uuid.uuid4()))
        with api as client:
            self.state["dq"] = self._call("data_quality", self._event(redshift=REDSHIFT), redshift_data=client)
        return self.state["dq"]

    def _catalog(self, schema: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.demo / "dpc.duckdb"), read_only=True) as con:
            return con.execute(columns_sql(schema)).fetchall()

    def publish(self) -> dict[str, Any]:
        """The Publish Lambda's three queries answered by the demo's DuckDB (the catalogs of mart_build and mart,
        the KPI months that differ, with the SQL the Redshift executor sends), then its batch."""
        sid = moto_statement(self.stack.server, "-- stands for the publish batch")
        build = self._catalog("mart_build")
        kpi = [row[1] for row in build if row[0] == "kpi_monthly_facility_mdc"]
        changed = changed_keys_sql(
            "kpi_monthly_facility_mdc", kpi, ("facility_code", "discharge_yyyymm"), frozenset({self.facility})
        )
        with duckdb.connect(str(self.demo / "dpc.duckdb"), read_only=True) as con:
            months = con.execute(changed).fetchall()
        api = (
            DataApi(self.stack.server)
            .query(build, statement_id=str(uuid.uuid4()))
            .query(self._catalog("mart"), statement_id=str(uuid.uuid4()))
            .query(months, statement_id=str(uuid.uuid4()))
        )
        return self._statement_step("publish", "publish", api.batch(statement_id=sid))

    def export(self) -> dict[str, Any]:
        sid = moto_statement(self.stack.server, "-- stands for the unload batch")
        api = DataApi(self.stack.server).query(self._catalog("mart"), statement_id=str(uuid.uuid4()))
        return self._statement_step("export", "export", api.batch(statement_id=sid), kms_key_id=self.stack.kms_key_arn)

    def notify(self, status: str) -> dict[str, Any]:
        event = {
            "status": status,
            "run_id": self.name,
            "execution_arn": self.arn,
            "state": json.loads(json.dumps(self.state)),
        }
        return self._call("notify", event)

    def fail(self, error: str, cause: str) -> None:
        self.state["error"] = {"Error": error, "Cause": cause}

    def start(self) -> None:
        """Queue the handlers' outputs, then start through the Dispatch handler (lock + named execution)."""
        self.stack.queue_lambda_results(self.results)
        out = import_handler("dispatch").handler({"facility_code": self.facility, "yyyymm": self.yyyymm})
        [started] = out["results"]
        assert started["action"] == "started" and started["execution_name"] == self.name, started
        assert started["input"] == {k: self.state[k] for k in started["input"]}

    def answer(self, step: str, output: dict[str, Any] | None = None, *, error: tuple[str, str] | None = None) -> None:
        """Answer the runner task of ``step`` the way the runner does (SendTaskSuccess/SendTaskFailure)."""
        task = wait_for_runner_task(self.stack, step, seen=self.seen_tasks, execution_arn=self.arn)
        env = {v["name"]: v["value"] for v in task["overrides"]["containerOverrides"][0]["environment"]}
        assert env["STEP"] == step and env["RUN_ID"] == self.name
        assert env["FACILITY_CODE"] == self.facility and env["YYYYMM"] == str(self.yyyymm)
        if step == "dbt":  # the incremental models recompute what this delivery touches (var deliveries)
            assert json.loads(env["DBT_VARS"]) == {
                "deliveries": [{"facility_code": self.facility, "yyyymm": self.yyyymm}]
            }
            assert (env["DBT_TARGET"], env["DBT_COMMAND"]) == ("redshift", "build")
        sfn = self.stack.client("stepfunctions")
        if error:
            sfn.send_task_failure(taskToken=env["TASK_TOKEN"], error=error[0], cause=error[1])
        else:
            sfn.send_task_success(taskToken=env["TASK_TOKEN"], output=json.dumps(output))

    def finish(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sfn = self.stack.client("stepfunctions")
        described = wait_for_execution(sfn, self.arn, timeout=120)
        history = execution_history(sfn, self.arn)
        # the interpreter invoked each Lambda with exactly the event the test gave the real handler
        sent = scheduled_payloads(history)
        assert sent == self.events, _differences(sent, self.events)
        return described, history


def _differences(a: Any, b: Any, path: str = "$") -> list[str]:
    """Where two JSON values differ (readable assertion messages for large payloads)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b))
            for d in _differences(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{path}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:300]} != {str(b)[:300]}"]


@pytest.fixture
def pipeline(orchestration_server: MotoServer, demo_build: Path, request: pytest.FixtureRequest) -> Iterator[Pipeline]:
    name = "x-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:10]
    stack = create_stack(orchestration_server, name=name)
    summary = json.loads((demo_build / "summary.json").read_text(encoding="utf-8"))
    first = summary["deliveries"][0]
    upload_delivery(stack, demo_build / "lake", first["facility_code"], first["yyyymm"])
    stack.drain_lambda_results()
    with environment(**stack.env()):
        p = Pipeline(stack, demo_build, first["facility_code"], int(first["yyyymm"]))
        p.begin()
        yield p
    assert stack.drain_lambda_results() == 0, "the execution did not take every response queued for it"


def _dispatcher(p: Pipeline) -> Dispatcher:
    return Dispatcher(
        storage=S3Storage(bucket=p.stack.bucket, client=p.stack.client("s3")),
        registry=Registry(p.stack.client("dynamodb"), p.stack.table),
        sfn=p.stack.client("stepfunctions"),
        state_machine_arn=p.stack.state_machine_arn,
        bucket=p.stack.bucket,
    )


def _lock(p: Pipeline) -> dict[str, Any] | None:
    """The build lock item, if any execution holds it."""
    item = p.stack.client("dynamodb").get_item(TableName=p.stack.table, Key={"delivery_id": {"S": "build-lock"}})
    return item.get("Item")


def _registry(p: Pipeline) -> dict[str, Any]:
    return import_handler("dispatch").handler({"facility_code": p.facility, "yyyymm": p.yyyymm})["results"][0]


def test_success_path_and_same_summary_as_the_local_run(pipeline: Pipeline) -> None:
    p = pipeline
    with recording() as steps:  # the step functions the AWS path's handlers and runner call, in order
        assert p.validate()["ok"] is True
        normalised = p.normalise()
        p.load()
        dbt = p.dbt()
        assert p.data_quality()["ok"] is True
        p.publish()
        p.export()
        notified = p.notify("SUCCEEDED")
    # the same steps as the local pipeline (test_steps.py); transform is the runner's dbt task, answered here with
    # the local run's results (the runner's own dbt step is run for real in test_runner.py). On AWS the load plan
    # is run by two executors, Redshift (LoadRaw) then Glue for Athena (RecordPartitions): one step, twice. The
    # validate rule too: ValidateManifest checks the manifest and the listing (its role reads no delivered file), the
    # normalise task the contents before it writes (docs/decisions/0017)
    assert steps[:2] == ["validate", "validate"]
    assert steps[3:5] == ["load", "load"]
    assert steps[1:4] + steps[5:] == [s for s in DELIVERY_STEPS if s != "transform"]
    # Athena reads the load Redshift recorded: every raw table's partition points at the normaliser's load prefix
    load_id = normalised["ingested"]["load_id"]
    glue = p.stack.client("glue")
    for table in ("d", "efn", "quarantine_ff1"):
        [partition] = glue.get_partitions(DatabaseName=f"{p.stack.glue_prefix}_raw", TableName=table)["Partitions"]
        assert partition["StorageDescriptor"]["Location"].endswith(f"/load={load_id}/"), partition
        assert partition["Parameters"]["load_id"] == load_id
    p.start()
    p.answer("normalise", normalised)
    wait_for_state(p.stack.client("stepfunctions"), p.arn, "RunDbt")
    held = _lock(p)  # the dbt task runs: this execution holds the build lock
    assert held is not None and held["holder"] == {"S": p.name} and held["execution_arn"] == {"S": p.arn}
    p.answer("dbt", dbt)
    described, history = p.finish()

    assert described["status"] == "SUCCEEDED", described
    assert _lock(p) is None
    assert states_entered(history) == [
        "ValidateManifest",
        "DeliveryValid",
        "Normalise",
        *LOAD_LOOP,
        "AcquireBuildLock",
        "RunDbt",
        "DataQuality",
        "DqPassed",
        "Publish",
        *_loop("Publish"),
        "Export",
        *_loop("Export"),
        "ReleaseBuildLock",
        "Notify",
        "Done",
    ]
    output = json.loads(described["output"])
    assert output["notify"]["fields"] == notified["fields"]
    # dpc run --target local and the state machine: the same summary fields for the same delivery
    local = json.loads((p.demo / "summary.json").read_text(encoding="utf-8"))
    local_fields, aws_fields = summary_fields(local), output["notify"]["fields"]
    same = ("status", "models", "tests", "unit_tests", "dq_errors", "dq_warnings", "published", "error")
    assert {k: aws_fields[k] for k in same} == {k: local_fields[k] for k in same}
    [local_delivery] = [
        d for d in local_fields["deliveries"] if (d["facility_code"], d["yyyymm"]) == (p.facility, p.yyyymm)
    ]
    assert aws_fields["deliveries"] == [local_delivery]
    assert aws_fields["status"] == "SUCCEEDED" and aws_fields["published"] is True
    # the notification people got carries the same fields
    [envelope] = p.stack.received_messages()
    assert json.loads(envelope["Message"].rsplit("summary_fields (JSON):\n", 1)[1]) == aws_fields
    # the registry now knows the delivery succeeded: the next dispatch leaves it alone
    again = _registry(p)
    assert again["action"] == "skipped" and again["reason"] == "already succeeded for this manifest"


def test_rejected_delivery_is_notified_and_nothing_runs(pipeline: Pipeline) -> None:
    p = pipeline
    s3 = p.stack.client("s3")
    prefix = f"raw/yyyymm={p.yyyymm}/facility={p.facility}/"
    name = next(
        k
        for k in (o["Key"] for o in s3.list_objects_v2(Bucket=p.stack.bucket, Prefix=prefix)["Contents"])
        if "/Dn_" in k
    )
    data = s3.get_object(Bucket=p.stack.bucket, Key=name)["Body"].read()
    s3.put_object(Bucket=p.stack.bucket, Key=name, Body=data[:-20])  # truncated upload
    validation = p.validate()
    assert validation["ok"] is False
    p.notify("REJECTED")
    p.start()
    described, history = p.finish()
    assert described["status"] == "FAILED"
    assert described["error"] == "DeliveryRejected" and described["cause"] == validation["cause"]
    assert "size_mismatch" in described["cause"] and name in described["cause"]
    assert states_entered(history) == ["ValidateManifest", "DeliveryValid", "NotifyRejected", "Rejected"]
    assert p.stack.client("ecs").list_tasks(cluster=p.stack.cluster_arn)["taskArns"] == []
    [envelope] = p.stack.received_messages()
    assert envelope["Subject"].startswith("DPC FAILED") and envelope["Subject"].endswith("(delivery rejected)")
    assert "✗" in envelope["Message"] and envelope["MessageAttributes"]["status"]["Value"] == "FAILED"
    assert envelope["Message"].startswith(f"DPC pipeline run {p.name}: FAILED")
    after = _registry(p)
    assert after["action"] == "skipped" and after["reason"].startswith("rejected: waiting for a corrected manifest")


def test_dbt_failure_is_caught_notified_and_raised_with_its_cause(pipeline: Pipeline) -> None:
    p = pipeline
    p.validate()
    normalised = p.normalise()
    p.load()
    cause = "2 tests failed: test.dpc_learning.unique_fct_admissions_stay_id, test.dpc_learning.not_null_x"
    p.fail("DbtTestFailure", cause)
    p.notify("FAILED")
    p.start()
    p.answer("normalise", normalised)
    p.answer("dbt", error=("DbtTestFailure", cause))
    described, history = p.finish()
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("DbtTestFailure", cause)
    assert states_entered(history)[-8:] == [
        "LoadDone",
        "RecordPartitions",
        "AcquireBuildLock",
        "RunDbt",
        "ReleaseBuildLockAfterFailure",
        "NotifyFailure",
        "FailureKind",
        "Failed",
    ]
    assert _lock(p) is None
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert [(e["taskFailedEventDetails"]["error"], e["taskFailedEventDetails"]["cause"]) for e in failed] == [
        ("DbtTestFailure", cause)
    ]
    [envelope] = p.stack.received_messages()
    assert f"Error:          DbtTestFailure: {cause}" in envelope["Message"]
    assert "Published mart: NO" in envelope["Message"]
    # the next dispatch retries a failed run as attempt 2 (asked here without starting it)
    [retry] = _dispatcher(p).run([(p.facility, p.yyyymm)], dry_run=True)
    assert retry["action"] == "would start" and retry["attempt"] == 2 and retry["execution_name"].endswith("-2")
    assert retry["reason"] == "retry after failed (DbtTestFailure)"


def test_dq_error_stops_before_publish(pipeline: Pipeline) -> None:
    p = pipeline
    p.validate()
    normalised = p.normalise()
    p.load()
    dbt = p.dbt()
    with duckdb.connect(str(p.demo / "dpc.duckdb"), read_only=True) as con:
        rows = con.execute(dq.results_sql("?"), [dbt["invocation_id"]]).fetchall()
    # Redshift's dq_results for this run hold one failing error-severity check
    rows = [(*r[:2], "fail", "error", 4, "Got 4 results") if i == 0 else r for i, r in enumerate(rows)]
    verdict = p.data_quality(rows)
    assert verdict["ok"] is False
    p.fail("DataQualityFailed", verdict["cause"])
    p.notify("FAILED")
    p.start()
    p.answer("normalise", normalised)
    p.answer("dbt", dbt)
    described, history = p.finish()
    assert (described["error"], described["cause"]) == ("DataQualityFailed", verdict["cause"])
    entered = states_entered(history)
    assert entered[-7:] == [
        "DataQuality",
        "DqPassed",
        "DqFailed",
        "ReleaseBuildLockAfterFailure",
        "NotifyFailure",
        "FailureKind",
        "Failed",
    ]
    assert _lock(p) is None
    assert "Publish" not in entered and "Export" not in entered
    [envelope] = p.stack.received_messages()
    assert "DQ:" in envelope["Message"] and "1 errors" in envelope["Message"]


def test_stopped_guard_releases_an_execution_waiting_for_a_dead_runner(pipeline: Pipeline) -> None:
    p = pipeline
    guard = import_handler("ecs_stopped_guard")
    p.validate()
    normalised = p.normalise()
    p.load()
    p.stack.queue_lambda_results(p.results)  # validate and load: the notify answer is queued once the cause is known
    p.results = []
    out = import_handler("dispatch").handler({"facility_code": p.facility, "yyyymm": p.yyyymm})
    assert out["results"][0]["execution_name"] == p.name
    p.answer("normalise", normalised)
    task = wait_for_runner_task(p.stack, "dbt", seen=p.seen_tasks, execution_arn=p.arn)
    ecs = p.stack.client("ecs")
    ecs.stop_task(cluster=p.stack.cluster_arn, task=task["taskArn"], reason="OutOfMemoryError: container killed")
    stopped = ecs.describe_tasks(cluster=p.stack.cluster_arn, tasks=[task["taskArn"]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED"
    # ECS stopping the task does not answer the token: without the guard the execution would wait until timeout
    sfn = p.stack.client("stepfunctions")
    assert sfn.describe_execution(executionArn=p.arn)["status"] == "RUNNING"
    event = {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": stopped}
    cause = guard.stop_cause(stopped)
    p.fail("TaskStoppedBeforeAnswer", cause)
    p.stack.queue_lambda_results([p.notify("FAILED")])
    assert guard.handler(event)["action"] == "failed_task"
    described = wait_for_execution(sfn, p.arn, timeout=120)
    assert (described["error"], described["cause"]) == ("TaskStoppedBeforeAnswer", cause)
    assert "OutOfMemoryError" in json.loads(cause)["stoppedReason"] and task_token(stopped)
    history = execution_history(sfn, p.arn)
    assert states_entered(history)[-5:] == [
        "RunDbt",
        "ReleaseBuildLockAfterFailure",
        "NotifyFailure",
        "FailureKind",
        "Failed",
    ]
    assert _lock(p) is None
    # the same STOPPED event again (EventBridge delivers at least once) changes nothing (Step Functions refuses
    # the second answer, see test_orchestration_handlers; moto accepts and ignores it)
    guard.handler(event)
    assert execution_history(sfn, p.arn) == history
