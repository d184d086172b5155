"""dpc-runner against a real moto server: Step Functions executions wait on a task token, dbt runs for real on a
copy of the demo DuckDB, and every assertion reads what moto recorded (execution status, history, S3 objects).

The callback state is ``arn:aws:states:::sqs:sendMessage.waitForTaskToken``: the test reads the token from the
queue and hands it to the runner, as ECS would through the container's environment.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dpc.paths import PROJECT_DIR
from dpc.steps.load import Ingested
from runner.__main__ import EXIT_ANSWER_REJECTED, EXIT_CONFIG, EXIT_FAILED, EXIT_OK, run
from runner.logs import JsonLog
from runner.task_token import TaskToken
from tests.python.conftest import TEST_KEY, delivered_files, demo_env
from tests.python.moto_support import (
    MotoServer,
    events_of_type,
    execution_history,
    failure_of,
    moto_server,
    receive_task_token,
    sqs_callback_state_machine,
    wait_for_execution,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("runner")]

FIXTURES = Path(__file__).parent / "fixtures_runner"
# small dbt work keeps the suite fast: one mart model and its tests
KPI = "kpi_monthly_facility_mdc"
# The heartbeat tests run the runner as the container does — a new process that imports dbt and parses the project
# in full (about 9 s on an idle machine, several times that under load) — against a callback state whose
# HeartbeatSeconds is shorter than that run, yet long enough that a heartbeat thread held back for a second or two
# by GIL-bound work in dbt on a busy machine still beats in time.
STATE_HEARTBEAT_SECONDS = 4
RUNNER_HEARTBEAT_INTERVAL = "0.4"  # the runner's interval there: well under the state's HeartbeatSeconds


# --- fixtures --------------------------------------------------------------------------------------------------


@dataclass
class Aws:
    server: MotoServer
    sfn: Any
    sqs: Any
    s3: Any
    kms_key_arn: str
    artifacts_bucket: str
    queue_url: str


@pytest.fixture(scope="module")
def aws() -> Iterator[Aws]:
    with moto_server() as server:
        s3 = server.client("s3")
        bucket = "dpc-test-artifacts"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": server.region})
        sqs = server.client("sqs")
        yield Aws(
            server=server,
            sfn=server.client("stepfunctions"),
            sqs=sqs,
            s3=s3,
            kms_key_arn=server.client("kms").create_key(Description="dpc test artifacts")["KeyMetadata"]["Arn"],
            artifacts_bucket=bucket,
            queue_url=sqs.create_queue(QueueName="runner-tokens")["QueueUrl"],
        )


@pytest.fixture(scope="module")
def runner_db(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the demo's DuckDB for this module (dbt only reads DuckDB); its target/ keeps dbt's partial parse
    between tests. Nothing here publishes: the runner builds into mart_build, the publish step is elsewhere."""
    root = tmp_path_factory.mktemp("runner-demo")
    shutil.copy2(demo_build / "dpc.duckdb", root / "dpc.duckdb")
    return root


def base_env(root: Path, **extra: str) -> dict[str, str]:
    env = demo_env(root)
    env.pop("DPC_LAKE")
    return {**env, "DBT_THREADS": "2", "DPC_BAKED_TARGET": "", **extra}


@contextlib.contextmanager
def process_env(set_: dict[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    """Set and unset variables of this process for the duration (the runner's boto3 clients and dbt read them)."""
    saved = {k: os.environ.get(k) for k in (*set_, *unset)}
    for k in unset:
        os.environ.pop(k, None)
    os.environ.update(set_)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class RunnerResult:
    code: int
    printed: dict[str, Any]
    logs: list[dict[str, Any]]

    def lines(self, phase: str, status: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.logs if r["phase"] == phase and (status is None or r.get("status") == status)]


def run_in_process(aws: Aws, env: dict[str, str], unset: tuple[str, ...] = ()) -> RunnerResult:
    out, logs = io.StringIO(), io.StringIO()
    with process_env({**aws.server.env(), **env}, unset=unset):
        code = run(stdout=out, log_stream=logs)
    return RunnerResult(code, json.loads(out.getvalue()), [json.loads(line) for line in logs.getvalue().splitlines()])


def run_as_process(aws: Aws, env: dict[str, str]) -> RunnerResult:
    """``python -m runner`` in a new process, as the image's entrypoint runs it."""
    proc = subprocess.run(
        [sys.executable, "-m", "runner"],
        cwd=PROJECT_DIR,
        env={**os.environ, **aws.server.env(), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    logs = [json.loads(line) for line in proc.stderr.splitlines()]  # every line is one JSON object
    return RunnerResult(proc.returncode, json.loads(proc.stdout), logs)


def start_waiting_execution(aws: Aws, *, heartbeat_seconds: int | None = None) -> tuple[str, str]:
    """A fresh state machine + execution waiting on a callback; returns (execution ARN, task token)."""
    name = f"runner-{uuid.uuid4().hex[:10]}"
    arn = sqs_callback_state_machine(
        aws.sfn, name=name, queue_url=aws.queue_url, heartbeat_seconds=heartbeat_seconds, timeout_seconds=900
    )
    execution = aws.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"delivery": name}))
    body = receive_task_token(aws.sqs, aws.queue_url)
    return execution["executionArn"], body["TaskToken"]


def token_env(aws: Aws, token: str, run_id: str, **extra: str) -> dict[str, str]:
    return {
        "TASK_TOKEN": token,
        "RUN_ID": run_id,
        "YYYYMM": "202406",
        "FACILITY_CODE": "131000017",
        "DBT_TARGET": "local",
        "ARTIFACTS_BUCKET": aws.artifacts_bucket,
        "ARTIFACTS_PREFIX": "dbt-artifacts",
        "KMS_KEY_ID": aws.kms_key_arn,
        "HEARTBEAT_SECONDS": "30",
        **extra,
    }


def assert_kms_object(aws: Aws, uri: str) -> dict[str, Any]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    head = aws.s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms", uri
    assert head["SSEKMSKeyId"] == aws.kms_key_arn, uri
    return head


def mart_fingerprint(db: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every published table."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart' order by 1"
            ).fetchall()
        ]
        return {
            t: con.execute(f"select count(*), coalesce(bit_xor(hash(t)), 0) from mart.{t} t").fetchone() for t in tables
        }


# --- success and heartbeats --------------------------------------------------------------------------------------


def test_success_answers_summary_uploads_kms_artifacts_and_heartbeats_keep_it_alive(
    aws: Aws, runner_db: Path, tmp_path: Path
) -> None:
    execution, token = start_waiting_execution(aws, heartbeat_seconds=STATE_HEARTBEAT_SECONDS)
    env = base_env(
        runner_db,
        DBT_TARGET_PATH=str(tmp_path / "target"),  # empty: dbt parses in full, so the run outlives the heartbeat
        **token_env(
            aws, token, "run-success", DBT_SELECT=KPI, UPLOAD_DOCS="true", HEARTBEAT_SECONDS=RUNNER_HEARTBEAT_INTERVAL
        ),
    )
    result = run_as_process(aws, env)

    assert result.code == EXIT_OK, result.printed
    described = wait_for_execution(aws.sfn, execution)
    assert described["status"] == "SUCCEEDED"
    summary = json.loads(described["output"])
    assert summary == result.printed
    assert len(described["output"]) < 16_000  # far below the 256 KB task output limit
    # the run outlived the state's HeartbeatSeconds: only the heartbeats kept the execution waiting for it
    assert summary["elapsed_seconds"] > STATE_HEARTBEAT_SECONDS
    assert len(result.lines("heartbeat", "sent")) >= STATE_HEARTBEAT_SECONDS
    assert summary["counts"]["model"] == {"passed": 1, "warned": 0, "failed": 0, "skipped": 0}
    assert summary["counts"]["test"]["passed"] >= 5 and summary["counts"]["test"]["failed"] == 0
    assert (summary["run_id"], summary["yyyymm"], summary["facility_code"]) == ("run-success", 202406, "131000017")
    assert summary["command"].startswith(f"build --select {KPI}")

    artifacts = summary["artifacts"]
    assert set(artifacts) >= {"manifest.json", "run_results.json", "docs/static_index.html", "docs/catalog.json"}
    for uri in artifacts.values():
        assert uri.startswith(f"s3://{aws.artifacts_bucket}/dbt-artifacts/run-success/")
        assert_kms_object(aws, uri)
    run_results = json.loads(
        aws.s3.get_object(Bucket=aws.artifacts_bucket, Key="dbt-artifacts/run-success/run_results.json")["Body"].read()
    )
    assert f"model.dpc_learning.{KPI}" in {r["unique_id"] for r in run_results["results"]}
    assert run_results["metadata"]["invocation_id"] == summary["invocation_id"]
    assert events_of_type(execution_history(aws.sfn, execution), "TaskSucceeded")

    # one JSON object per line, each with the run's context; nodes logged with status and duration
    assert all(r["run_id"] == "run-success" and r["yyyymm"] == 202406 for r in result.logs)
    nodes = result.lines("dbt")
    kpi_line = next(r for r in nodes if r.get("node") == f"model.dpc_learning.{KPI}")
    assert kpi_line["status"] == "success" and kpi_line["duration_seconds"] >= 0
    assert [r["answer"] for r in result.lines("answer")] == ["success"]


def test_without_heartbeats_the_same_run_times_out(aws: Aws, runner_db: Path, tmp_path: Path) -> None:
    execution, token = start_waiting_execution(aws, heartbeat_seconds=STATE_HEARTBEAT_SECONDS)
    env = base_env(
        runner_db,
        DBT_TARGET_PATH=str(tmp_path / "target"),  # empty: a full parse, as in the success test's run
        **token_env(aws, token, "run-no-heartbeat", DBT_SELECT=KPI, UPLOAD_DOCS="true", HEARTBEAT_SECONDS="0"),
    )
    result = run_as_process(aws, env)

    described = wait_for_execution(aws.sfn, execution)
    assert described["status"] == "FAILED"
    history = execution_history(aws.sfn, execution)
    timed_out = events_of_type(history, "TaskTimedOut")
    assert len(timed_out) == 1
    # AWS names this States.HeartbeatTimeout in Catch/Retry (and States.Timeout matches it too); moto 5.2.5's
    # interpreter reports every callback timeout as States.Timeout. It was the heartbeat clock, not the state's
    # TimeoutSeconds (900 s): the execution failed while dbt was still running, so the runner's answer was refused.
    assert failure_of(history)["error"] in ("States.HeartbeatTimeout", "States.Timeout")
    assert (described["stopDate"] - described["startDate"]).total_seconds() < 900
    assert result.code == EXIT_ANSWER_REJECTED
    rejected = result.lines("answer", "rejected")
    assert len(rejected) == 1 and rejected[0]["error"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist")
    assert not result.lines("heartbeat")
    assert not events_of_type(history, "TaskSucceeded")


# --- failure kinds -----------------------------------------------------------------------------------------------


def test_failing_dbt_test_answers_DbtTestFailure_naming_the_test(  # noqa: N802
    aws: Aws, runner_db: Path, tmp_path: Path
) -> None:
    # the mart was built with the default disclosure threshold (10): raising it to 1000 for the test run makes
    # the threshold test on the published KPI cells fail, as it would if suppression were broken
    execution, token = start_waiting_execution(aws)
    env = base_env(
        runner_db,
        DBT_TARGET_PATH=str(tmp_path / "target"),  # other vars: leave the module's partial parse state alone
        **token_env(
            aws,
            token,
            "run-test-failure",
            DBT_COMMAND="test",
            DBT_SELECT=KPI,
            DBT_VARS=json.dumps({"disclosure_min_stays": 1000}),
        ),
    )
    result = run_in_process(aws, env)

    assert result.code == EXIT_FAILED
    assert wait_for_execution(aws.sfn, execution)["status"] == "FAILED"
    failure = failure_of(execution_history(aws.sfn, execution))
    assert (failure["type"], failure["error"]) == ("TaskFailed", "DbtTestFailure")
    cause = json.loads(failure["cause"])
    failed = [n["node"] for n in cause["failed_nodes"]]
    assert failed and all(n.startswith("test.dpc_learning.") and KPI in n for n in failed)
    assert any("expression_is_true" in n for n in failed)
    assert failed[0] in cause["message"]
    assert cause["counts"]["test"]["failed"] == len(failed)
    # the detail went to S3 with the run's other artifacts
    assert_kms_object(aws, cause["artifacts"]["run_results.json"])
    assert [r["answer"] for r in result.lines("answer")] == ["failure:DbtTestFailure"]


def test_broken_model_answers_DbtCompilationError(aws: Aws, runner_db: Path, tmp_path: Path) -> None:  # noqa: N802
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy2(PROJECT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    for folder in ("profiles", "macros", "models", "seeds", "tests/dbt", "docs/dbt"):
        if (PROJECT_DIR / folder).is_dir():
            shutil.copytree(PROJECT_DIR / folder, project / folder)
    shutil.copy2(FIXTURES / "zz_runner_broken.sql", project / "models" / "mart" / "zz_runner_broken.sql")

    execution, token = start_waiting_execution(aws)
    env = base_env(
        runner_db,
        DPC_PROJECT_DIR=str(project),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        **token_env(aws, token, "run-broken", DBT_SELECT=KPI),
    )
    result = run_in_process(aws, env)

    assert result.code == EXIT_FAILED
    assert wait_for_execution(aws.sfn, execution)["status"] == "FAILED"
    failure = failure_of(execution_history(aws.sfn, execution))
    assert (failure["type"], failure["error"]) == ("TaskFailed", "DbtCompilationError")
    assert "zz_runner_broken" in failure["cause"] and "no_such_model" in failure["cause"]


def test_missing_configuration_answers_RunnerConfigError(aws: Aws, runner_db: Path) -> None:  # noqa: N802
    execution, token = start_waiting_execution(aws)
    env = base_env(runner_db, **token_env(aws, token, "run-config", DBT_VARS="[1, 2]"))
    for name in ("ARTIFACTS_BUCKET", "KMS_KEY_ID"):
        del env[name]
    result = run_in_process(aws, env, unset=("ARTIFACTS_BUCKET", "KMS_KEY_ID"))

    assert result.code == EXIT_CONFIG
    assert wait_for_execution(aws.sfn, execution)["status"] == "FAILED"
    failure = failure_of(execution_history(aws.sfn, execution))
    assert (failure["type"], failure["error"]) == ("TaskFailed", "RunnerConfigError")
    problems = json.loads(failure["cause"])["problems"]
    assert problems[0] == "missing required environment: ARTIFACTS_BUCKET, KMS_KEY_ID"
    assert "DBT_VARS must be a JSON object" in problems
    assert not result.lines("dbt")  # dbt never started


def test_a_token_is_answered_once(aws: Aws) -> None:
    execution, token_value = start_waiting_execution(aws)
    logs = io.StringIO()
    with process_env(aws.server.env()):
        token = TaskToken(token_value, JsonLog({"run_id": "once"}, stream=logs))
        assert token.succeed({"status": "succeeded"}) is True
        assert token.fail("Interrupted", "{}") is False  # refused locally: no second call reaches Step Functions
        assert token.heartbeat() is False
    assert wait_for_execution(aws.sfn, execution)["status"] == "SUCCEEDED"
    history = execution_history(aws.sfn, execution)
    assert len(events_of_type(history, "TaskSucceeded")) == 1 and not events_of_type(history, "TaskFailed")
    answers = [json.loads(line) for line in logs.getvalue().splitlines() if '"answer"' in line]
    assert [(a["status"], a["answer"]) for a in answers] == [("sent", "success"), ("skipped", "failure:Interrupted")]


# --- SIGTERM -----------------------------------------------------------------------------------------------------


def _reader(stream: Any, lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def test_sigterm_during_dbt_build_answers_Interrupted_once_and_publishes_nothing(  # noqa: N802
    aws: Aws, runner_db: Path
) -> None:
    before = mart_fingerprint(runner_db / "dpc.duckdb")
    assert before, "the demo copy has a published mart"
    execution, token = start_waiting_execution(aws)
    env = {
        **os.environ,
        **aws.server.env(),
        **base_env(runner_db, DBT_THREADS="1", **token_env(aws, token, "run-sigterm", DBT_SELECT=f"+{KPI}")),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner"],
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_reader, args=(proc.stderr, lines), daemon=True).start()
    logs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 240
    try:
        # wait until dbt build is under way (a node has finished), then stop the task as ECS would
        while time.monotonic() < deadline:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"runner exited early: {logs[-3:]}"
            logs.append(json.loads(line))
            if logs[-1]["phase"] == "dbt" and logs[-1].get("node"):
                proc.send_signal(signal.SIGTERM)
                break
        else:
            pytest.fail("dbt build never started")
        proc.wait(timeout=120)
        stdout = proc.stdout.read() if proc.stdout else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:
        logs.append(json.loads(line))

    assert proc.returncode == 128 + signal.SIGTERM
    assert wait_for_execution(aws.sfn, execution)["status"] == "FAILED"
    history = execution_history(aws.sfn, execution)
    failures = events_of_type(history, "TaskFailed")
    assert len(failures) == 1 and not events_of_type(history, "TaskSucceeded")
    failure = failures[0]["taskFailedEventDetails"]
    assert failure["error"] == "Interrupted"
    cause = json.loads(failure["cause"])
    assert 1 <= cause["finished_nodes"] < 10  # the +kpi build has far more nodes: dbt was cancelled, not finished
    answers = [r for r in logs if r["phase"] == "answer"]
    assert [(a["status"], a["answer"]) for a in answers] == [("sent", "failure:Interrupted")]
    assert [r["status"] for r in logs if r["phase"] == "signal"] == ["SIGTERM"]
    assert json.loads(stdout)["error"] == "Interrupted"
    # nothing was published: the runner only builds mart_build, and the cancelled build left mart as it was
    assert mart_fingerprint(runner_db / "dpc.duckdb") == before


# --- normalise ---------------------------------------------------------------------------------------------------


def test_normalise_step_writes_stage_parquet_to_s3_with_the_secrets_manager_key(
    aws: Aws, demo_build: Path, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    raw = sorted((demo_build / "lake" / "raw").glob("yyyymm=*/facility=*"))[0]
    yyyymm, facility = raw.parent.name.split("=")[1], raw.name.split("=")[1]
    bucket = "dpc-test-data"
    aws.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws.server.region})
    delivered = delivered_files(demo_build, raw)
    for name, body in delivered.items():
        aws.s3.put_object(Bucket=bucket, Key=f"raw/yyyymm={yyyymm}/facility={facility}/{name}", Body=body)
    secret = aws.server.client("secretsmanager").create_secret(Name="dpc/pseudonymisation", SecretString=TEST_KEY)
    # the cross-facility link key is a KMS HMAC key: it never leaves KMS (docs/pseudonymisation.md)
    link_key = aws.server.client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]

    execution, token = start_waiting_execution(aws)
    env = {
        "STEP": "normalise",
        "DATA_BUCKET": bucket,
        "DPC_PSEUDONYMISATION_SECRET_ARN": secret["ARN"],
        "DPC_LINK_KMS_KEY_ID": link_key["KeyId"],
        "DPC_DATA_DIR": str(tmp_path),
        **token_env(aws, token, "run-normalise", YYYYMM=yyyymm, FACILITY_CODE=facility),
    }
    result = run_in_process(aws, env, unset=("DPC_PSEUDONYMISATION_KEY", "DPC_LINK_KEY"))

    assert result.code == EXIT_OK, result.printed
    described = wait_for_execution(aws.sfn, execution)
    assert described["status"] == "SUCCEEDED"
    summary = json.loads(described["output"])
    assert summary["step"] == "normalise" and summary["load_id"] == f"run-normalise-{facility}-{yyyymm}"
    manifest = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))
    rows = Ingested.from_dict(summary["ingested"]).rows()
    assert set(rows) == {f["kind"] for f in manifest["files"]}
    for f in manifest["files"]:  # reconciliation per kind: delivered = stage + quarantine
        assert rows[f["kind"]]["delivered"] == f["rows"] == rows[f["kind"]]["accepted"] + rows[f["kind"]]["quarantined"]
    # stage Parquet in S3, SSE-KMS, and the same pseudonyms the local pipeline computed with the same key
    ff1_uri = summary["outputs"]["ff1"]
    assert_kms_object(aws, ff1_uri)
    key = ff1_uri.removeprefix(f"s3://{bucket}/")
    remote = pq.read_table(io.BytesIO(aws.s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    [local_file] = (demo_build / "lake" / key.split("/load=")[0]).glob("load=*/part-0.parquet")
    local = pq.read_table(local_file)
    assert remote.num_rows == local.num_rows > 0
    assert set(remote.column("patient_key").to_pylist()) == set(local.column("patient_key").to_pylist())
    assert_kms_object(aws, summary["artifacts"]["normalise.json"])
    assert not (tmp_path / ".pseudonymisation_key").exists()  # never fell back to a local random key
    assert not (tmp_path / ".link_key").exists()
    # the raw K生成用データ is gone from S3, its deletion recorded; the link keys are in stage
    [k_name] = [name for name in delivered if name.startswith("Kn_")]
    raw_keys = {o["Key"] for o in aws.s3.list_objects_v2(Bucket=bucket, Prefix="raw/").get("Contents", [])}
    assert f"raw/yyyymm={yyyymm}/facility={facility}/{k_name}" not in raw_keys
    marker = f"state/deleted/yyyymm={yyyymm}/facility={facility}/{k_name}.json"
    assert json.loads(aws.s3.get_object(Bucket=bucket, Key=marker)["Body"].read())["result"]["kind"] == "K"
    k_key = summary["outputs"]["k"].removeprefix(f"s3://{bucket}/")
    k = pq.read_table(io.BytesIO(aws.s3.get_object(Bucket=bucket, Key=k_key)["Body"].read()))
    assert "kana_name" not in k.column_names and k.column("link_key").null_count < k.num_rows


# --- local mode --------------------------------------------------------------------------------------------------


def test_without_a_token_the_console_script_runs_locally_and_prints_the_summary(runner_db: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TASK_TOKEN", "ARTIFACTS_"))}
    env.update(base_env(runner_db, DBT_SELECT="dim_mdc", DPC_PROJECT_DIR=str(PROJECT_DIR)))
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens there: any AWS call would fail loudly
    script = Path(sys.executable).parent / "dpc-runner"
    proc = subprocess.run([str(script)], cwd=PROJECT_DIR, env=env, text=True, capture_output=True, timeout=300)

    assert proc.returncode == EXIT_OK, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary["status"] == "succeeded" and summary["counts"]["model"]["passed"] == 1
    assert summary["artifacts"]["run_results.json"].startswith("file://")
    logs = [json.loads(line) for line in proc.stderr.splitlines()]
    assert logs[0]["phase"] == "start" and logs[0]["mode"] == "local"
    assert not [r for r in logs if r["phase"] in ("heartbeat", "answer")]  # no AWS call without a token
