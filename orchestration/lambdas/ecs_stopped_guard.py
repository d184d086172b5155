"""ECS STOPPED guard: fail the waiting task token of a dpc-runner task that stopped without answering.

An EventBridge rule sends every ``ECS Task State Change`` with ``lastStatus`` STOPPED of the runner families
(``dpc-runner-<step>-<env>``). A runner that answered (success or failure) leaves nothing to do: Step Functions
refuses a second answer (``TaskTimedOut``/``TaskDoesNotExist``/``InvalidToken``), which this handler treats as
"already answered". A task killed before it could answer — out of memory, image pull failure, host stopped —
would otherwise leave the execution waiting until its ``TimeoutSeconds``: this sends ``SendTaskFailure`` with
error ``TaskStoppedBeforeAnswer`` and the stop reason, stop code and exit codes as the cause.
"""

from __future__ import annotations

import json
import os
from typing import Any

from lambda_common import client, log

ERROR = "TaskStoppedBeforeAnswer"
ALREADY_ANSWERED = ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")
TOKEN_VARIABLE = "TASK_TOKEN"


def runner_family_prefix() -> str:
    return os.environ.get("RUNNER_FAMILY_PREFIX") or "dpc-runner-"


def family_of(task: dict[str, Any]) -> str:
    group = str(task.get("group") or "")
    if group.startswith("family:"):
        return group[len("family:") :]
    # arn:aws:ecs:region:account:task-definition/<family>:<revision>
    return str(task.get("taskDefinitionArn") or "").rsplit("/", 1)[-1].split(":", 1)[0]


def task_token_of(task: dict[str, Any]) -> str | None:
    """The TASK_TOKEN the state machine put in the task's container overrides (None for a task started by hand)."""
    for override in (task.get("overrides") or {}).get("containerOverrides") or []:
        for variable in override.get("environment") or []:
            if variable.get("name") == TOKEN_VARIABLE and variable.get("value"):
                return str(variable["value"])
    return None


def stop_cause(task: dict[str, Any]) -> str:
    containers = [
        {k: c.get(k) for k in ("name", "exitCode", "reason", "lastStatus") if c.get(k) is not None}
        for c in task.get("containers") or []
    ]
    cause = {
        "message": "the dpc-runner task stopped before it answered the state machine",
        "stoppedReason": task.get("stoppedReason"),
        "stopCode": task.get("stopCode"),
        "containers": containers,
        "taskArn": task.get("taskArn"),
        "family": family_of(task),
    }
    return json.dumps(cause, ensure_ascii=False)[:32000]


def handler(event: dict[str, Any], context: Any = None, *, stepfunctions: Any = None) -> dict[str, Any]:
    task = event.get("detail") or {}
    base = {"taskArn": task.get("taskArn"), "family": family_of(task)}
    if task.get("lastStatus") != "STOPPED":
        return {**base, "action": "ignored", "reason": f"lastStatus is {task.get('lastStatus')}, not STOPPED"}
    if not family_of(task).startswith(runner_family_prefix()):
        return {**base, "action": "ignored", "reason": "not a dpc-runner task"}
    token = task_token_of(task)
    if token is None:
        return {**base, "action": "ignored", "reason": "no TASK_TOKEN in the overrides (started by hand)"}
    sfn = stepfunctions or client("stepfunctions")
    try:
        sfn.send_task_failure(taskToken=token, error=ERROR, cause=stop_cause(task))
    except sfn.exceptions.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ALREADY_ANSWERED:
            log(step="ecs-stopped-guard", action="already_answered", code=code, **base)
            return {**base, "action": "already_answered", "reason": code}
        raise
    log(step="ecs-stopped-guard", action="failed_task", stoppedReason=task.get("stoppedReason"), **base)
    return {**base, "action": "failed_task", "error": ERROR}
