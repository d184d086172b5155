"""The state machine definition: valid ASL after template rendering, the flow of the issue, error handling on
every state, and the template variables Terraform passes."""

from __future__ import annotations

import json
import re
import subprocess
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from dpc.paths import PROJECT_DIR
from tests.python import test_orchestration_moto as support
from tests.python.test_orchestration_moto import ASL_PATH, render_definition, template_variables

orchestration_server = support.orchestration_server  # the session's moto server (a fixture)
pytestmark = pytest.mark.xdist_group("orchestration")
ASL_VALIDATOR = PROJECT_DIR / "tools" / "node_modules" / ".bin" / "asl-validator"
PIPELINE_TF = PROJECT_DIR / "infra" / "terraform" / "modules" / "pipeline" / "main.tf"
REGION, ACCOUNT = "ap-northeast-1", "123456789012"
VALUES = {
    **{
        f"{m}_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:dpc-dev-{m.replace('_', '-')}"
        for m in ("validate_manifest", "load_raw", "record_partitions", "data_quality", "publish", "export", "notify")
    },
    "ecs_cluster_arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/dpc-learning-dev",
    "runner_dbt_task_definition_arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/dpc-runner-dbt-dev",
    "runner_normalise_task_definition_arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/dpc-runner-normalise-dev",
    "runner_container_name": "dpc-runner",
    "subnet_ids_json": json.dumps(["subnet-0a", "subnet-0b", "subnet-0c"]),
    "runner_security_group_id": "sg-0123",
    "redshift_workgroup": "dpc-learning-dev",
    "redshift_database": "dpc",
    "sns_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:dpc-learning-dev-notifications",
    "kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0000",
    "deliveries_table": "dpc-learning-dev-deliveries",
}
MAIN_PATH = [
    "ValidateManifest",
    "DeliveryValid",
    "Normalise",
    "LoadRaw",
    "WaitForLoad",
    "DescribeLoad",
    "LoadStatus",
    "LoadDone",
    "RecordPartitions",
    "AcquireBuildLock",
    "RunDbt",
    "DataQuality",
    "DqPassed",
    "Publish",
    "WaitForPublish",
    "DescribePublish",
    "PublishStatus",
    "PublishDone",
    "Export",
    "WaitForExport",
    "DescribeExport",
    "ExportStatus",
    "ExportDone",
    "ReleaseBuildLock",
    "Notify",
    "Done",
]
TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "ECS.AmazonECSException",
    "RedshiftData.InternalServerException",
    "RedshiftData.ThrottlingException",
    "States.Timeout",
    "DynamoDB.AmazonDynamoDBException",
}
# the build lock waits (retries every minute) while another execution builds
LOCK_WAIT = {"DynamoDB.ConditionalCheckFailedException"}
LOCKED = {"RunDbt", "DataQuality", "Publish", "DescribePublish", "Export", "DescribeExport"}
RUNNER_ERRORS = {"DbtTestFailure", "DbtCompilationError", "DbtRuntimeError", "RunnerConfigError", "Interrupted"}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(render_definition(VALUES))


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    if not ASL_VALIDATOR.exists():  # the test setup installs it; do it here when run on its own
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ASL_VALIDATOR.parents[2],
            check=True,
            timeout=300,
        )
    return subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True, timeout=120)


def test_rendered_definition_passes_asl_validator(definition: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "pipeline.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    result = _validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout
    # the validator does reject a broken flow (a dangling Next), so the pass above means something
    broken = json.loads(json.dumps(definition))
    broken["States"]["LoadDone"]["Next"] = "NoSuchState"
    path.write_text(json.dumps(broken), encoding="utf-8")
    assert _validate(path).returncode != 0


def test_template_variables_are_exactly_what_terraform_passes() -> None:
    tf = PIPELINE_TF.read_text(encoding="utf-8")
    block = re.search(r"templatefile\(local\.asl_path, \{(.*?)\n\s*\}\)", tf, re.S)
    assert block, "templatefile(local.asl_path, {…}) not found in the pipeline module"
    passed = set(re.findall(r"^\s*(\w+)\s*=", block.group(1), re.M))
    assert template_variables() == passed
    assert set(VALUES) == passed
    # everything else in the file is plain JSON: no other template syntax that templatefile would interpret
    assert "%{" not in ASL_PATH.read_text(encoding="utf-8")


def _successors(state: dict[str, Any]) -> set[str]:
    nxt = {state["Next"]} if "Next" in state else set()
    nxt |= {c["Next"] for c in state.get("Catch", [])}
    nxt |= {c["Next"] for c in state.get("Choices", [])}
    if "Default" in state:
        nxt.add(state["Default"])
    return nxt


def test_every_state_reachable_and_every_transition_defined(definition: dict[str, Any]) -> None:
    states = definition["States"]
    seen, todo = set(), deque([definition["StartAt"]])
    while todo:
        name = todo.popleft()
        if name in seen:
            continue
        seen.add(name)
        assert name in states, f"transition to an undefined state {name}"
        todo.extend(_successors(states[name]))
    assert seen == set(states)


def test_main_path_in_the_issues_order(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for here, there in zip(MAIN_PATH, MAIN_PATH[1:], strict=False):
        assert there in _successors(states[here]), f"{here} does not lead to {there}"
    assert states["Done"]["Type"] == "Succeed"


def test_every_task_retries_only_transient_errors_and_catches_into_notification(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for name, state in states.items():
        if state["Type"] != "Task":
            continue
        for retry in state.get("Retry", []):
            if set(retry["ErrorEquals"]) == LOCK_WAIT:
                assert name == "AcquireBuildLock" and retry["IntervalSeconds"] * retry["MaxAttempts"] <= 4 * 3600
                continue
            assert set(retry["ErrorEquals"]) <= TRANSIENT, f"{name} retries a non-transient error"
            assert retry["MaxAttempts"] <= 3
        catches = state.get("Catch", [])
        assert catches, f"{name} has no Catch"
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], f"{name}: the last Catch must take every error"
        if name == "NotifyBySns":
            target = "AfterNotifyBySns"
        elif name.startswith("Notify"):
            target = "NotifyBySns"
        elif name.startswith("ReleaseBuildLock"):
            target = states[name]["Next"]  # a lock that is not held any more is no reason to stop
        elif name in LOCKED:
            target = "ReleaseBuildLockAfterFailure"
        else:
            target = "NotifyFailure"
        assert {c["Next"] for c in catches} == {target}, name
        assert all(c["ResultPath"] in ("$.error", "$.notify_error", "$.lock_error") for c in catches)
    for name in ("LoadFailed",):
        assert states[name]["Next"] == "NotifyFailure"
    for name in ("DqFailed", "PublishFailed", "ExportFailed"):
        assert states[name]["Next"] == "ReleaseBuildLockAfterFailure"
    assert states["ReleaseBuildLockAfterFailure"]["Next"] == "NotifyFailure"
    # the failure notification ends in a Fail state carrying the original error and cause
    assert _successors(states["NotifyFailure"]) == {"FailureKind", "NotifyBySns"}
    assert states["Failed"] == {
        "Type": "Fail",
        "Comment": states["Failed"]["Comment"],
        "ErrorPath": "$.error.Error",
        "CausePath": "$.error.Cause",
    }
    assert states["Rejected"]["Error"] == "DeliveryRejected"
    assert _successors(states["DeliveryValid"]) == {"Normalise", "NotifyRejected"}
    assert _successors(states["DqPassed"]) == {"Publish", "DqFailed"}


def test_runner_tasks_wait_for_their_token_with_heartbeat_and_timeout(definition: dict[str, Any]) -> None:
    states = definition["States"]
    for name, step in (("Normalise", "normalise"), ("RunDbt", "dbt")):
        state = states[name]
        assert state["Resource"] == "arn:aws:states:::ecs:runTask.waitForTaskToken"
        assert 0 < state["HeartbeatSeconds"] < state["TimeoutSeconds"] <= 4 * 3600
        params = state["Parameters"]
        [override] = params["Overrides"]["ContainerOverrides"]
        env = {e["Name"]: e.get("Value", e.get("Value.$")) for e in override["Environment"]}
        assert env["TASK_TOKEN"] == "$$.Task.Token" and env["STEP"] == step and env["RUN_ID"] == "$$.Execution.Name"
        assert env["FACILITY_CODE"] == "$.facility_code" and env["KMS_KEY_ID"] == VALUES["kms_key_arn"]
        assert params["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == [
            "subnet-0a",
            "subnet-0b",
            "subnet-0c",
        ]
    # every error name the runner answers with (runner/errors.py) is caught by name
    from runner.errors import DELIVERY_REJECTED, ERROR_NAMES

    timeouts = {"TaskStoppedBeforeAnswer", "States.HeartbeatTimeout", "States.Timeout"}
    caught = {e for c in states["RunDbt"]["Catch"] for e in c["ErrorEquals"]}
    assert (set(ERROR_NAMES) - {DELIVERY_REJECTED}) | RUNNER_ERRORS | timeouts <= caught
    caught = {e for c in states["Normalise"]["Catch"] for e in c["ErrorEquals"]}
    assert {DELIVERY_REJECTED, "RunnerConfigError", "RunnerError", "Interrupted"} | timeouts <= caught


def test_redshift_is_reached_with_the_workgroup_and_iam_only(definition: dict[str, Any]) -> None:
    text = json.dumps(definition)
    for secret_like in ("SecretArn", "DbUser", "Password", "password", "ClusterIdentifier"):
        assert secret_like not in text
    states = definition["States"]
    for name in ("LoadRaw", "DataQuality", "Publish", "Export"):
        assert states[name]["Parameters"]["redshift"] == {"workgroup": "dpc-learning-dev", "database": "dpc"}
    for step in ("Load", "Publish", "Export"):
        assert states[f"Describe{step}"]["Resource"] == "arn:aws:states:::aws-sdk:redshiftdata:describeStatement"
        assert states[f"WaitFor{step}"]["Type"] == "Wait"


def _resolve(value: Any, context: dict[str, str]) -> Any:
    """A state's Parameters with its ``"key.$": "$$.…"`` context references filled in."""
    if isinstance(value, dict):
        return {
            k.removesuffix(".$"): context[v] if k.endswith(".$") else _resolve(v, context) for k, v in value.items()
        }
    return value


def test_build_lock_admits_one_execution_at_a_time(definition: dict[str, Any], orchestration_server: Any) -> None:
    """The lock's own Parameters, sent to DynamoDB (moto) for two executions: one holds it, the other waits;
    only the holder releases it; the holder may take it again (a retried attempt of the same state)."""
    ddb = orchestration_server.client("dynamodb")
    table = "lock-semantics-deliveries"
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "delivery_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "delivery_id", "AttributeType": "S"}],
    )
    states = definition["States"]

    def call(state: str, execution: str) -> bool:
        context = {
            "$$.Execution.Name": execution,
            "$$.Execution.Id": f"arn:…:{execution}",
            "$$.State.EnteredTime": "2026-04-01T00:00:00Z",
        }
        params = {**_resolve(states[state]["Parameters"], context), "TableName": table}
        operation = {
            "arn:aws:states:::dynamodb:putItem": ddb.put_item,
            "arn:aws:states:::dynamodb:deleteItem": ddb.delete_item,
        }[states[state]["Resource"]]
        try:
            operation(**params)
        except ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    assert call("AcquireBuildLock", "a") is True
    assert call("AcquireBuildLock", "b") is False  # b waits (the state retries this error every minute)
    assert call("AcquireBuildLock", "a") is True
    assert call("ReleaseBuildLock", "b") is False
    assert call("ReleaseBuildLockAfterFailure", "a") is True
    assert call("AcquireBuildLock", "b") is True
    [item] = ddb.scan(TableName=table)["Items"]
    assert item["holder"] == {"S": "b"} and item["delivery_id"] == {"S": "build-lock"}
