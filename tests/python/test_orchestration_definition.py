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
from tests.python.test_orchestration_moto import ASL_PATH, render_definition, template_variables

ASL_VALIDATOR = PROJECT_DIR / "tools" / "node_modules" / ".bin" / "asl-validator"
PIPELINE_TF = PROJECT_DIR / "infra" / "terraform" / "modules" / "pipeline" / "main.tf"
REGION, ACCOUNT = "ap-northeast-1", "123456789012"
VALUES = {
    **{f"{m}_arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:dpc-dev-{m.replace('_', '-')}"
       for m in ("validate_manifest", "load_raw", "data_quality", "publish", "export", "notify")},
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
}
MAIN_PATH = [
    "ValidateManifest", "DeliveryValid", "Normalise", "LoadRaw", "WaitForLoad", "DescribeLoad", "LoadStatus",
    "LoadDone", "RunDbt", "DataQuality", "DqPassed", "Publish", "WaitForPublish", "DescribePublish", "PublishStatus",
    "PublishDone", "Export", "WaitForExport", "DescribeExport", "ExportStatus", "ExportDone", "Notify", "Done",
]
TRANSIENT = {
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException", "ECS.AmazonECSException", "RedshiftData.InternalServerException",
    "RedshiftData.ThrottlingException", "States.Timeout",
}
RUNNER_ERRORS = {"DbtTestFailure", "DbtCompilationError", "DbtRuntimeError", "RunnerConfigError", "Interrupted"}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(render_definition(VALUES))


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    if not ASL_VALIDATOR.exists():  # the test setup installs it; do it here when run on its own
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ASL_VALIDATOR.parents[2],
                       check=True, timeout=300)
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
            assert set(retry["ErrorEquals"]) <= TRANSIENT, f"{name} retries a non-transient error"
            assert retry["MaxAttempts"] <= 3
        catches = state.get("Catch", [])
        assert catches, f"{name} has no Catch"
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], f"{name}: the last Catch must take every error"
        target = {"NotifyBySns": "AfterNotifyBySns"}.get(name, "NotifyBySns" if name.startswith("Notify") else "NotifyFailure")
        assert {c["Next"] for c in catches} == {target}, name
        assert all(c["ResultPath"] in ("$.error", "$.notify_error") for c in catches)
    # the failure notification ends in a Fail state carrying the original error and cause
    assert _successors(states["NotifyFailure"]) == {"FailureKind", "NotifyBySns"}
    assert states["Failed"] == {"Type": "Fail", "Comment": states["Failed"]["Comment"],
                                "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
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
        assert params["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"] == ["subnet-0a", "subnet-0b", "subnet-0c"]
    caught = {e for c in states["RunDbt"]["Catch"] for e in c["ErrorEquals"]}
    assert RUNNER_ERRORS | {"TaskStoppedBeforeAnswer", "States.HeartbeatTimeout", "States.Timeout"} <= caught


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
