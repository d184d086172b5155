"""A real moto server for tests, with its Step Functions interpreter switched on.

Shared test support: the runner tests (``test_runner*.py``) and the orchestration tests import this module.
Nothing here fakes AWS behaviour: it starts ``python -m moto.server`` as a subprocess on a free port of
127.0.0.1, with ``MOTO_PORT`` set to that port (moto's Step Functions interpreter calls the other services —
SQS, ECS, Lambda, SNS … — at ``http://localhost:$MOTO_PORT``), and enables the interpreter through moto's
API (``POST /moto-api/config {"stepfunctions": {"execute_state_machine": true}}``), so executions really
run: callback states wait for ``SendTask*`` answers and enforce ``TimeoutSeconds`` and ``HeartbeatSeconds``.

Typical use (one server per test module is cheap: ~1–2 s to start)::

    @pytest.fixture(scope="module")
    def moto() -> Iterator[MotoServer]:
        with moto_server() as server:
            yield server

    def test_x(moto: MotoServer) -> None:
        sfn = moto.client("stepfunctions")
        with environment(**moto.env()):  # code under test that builds its own boto3 clients
            ...

A subprocess (rather than ``ThreadedMotoServer``) keeps moto's process-wide state — its configuration, the
``MOTO_PORT`` variable the interpreter reads, its backends — out of the test process, so several servers
can run at once (pytest-xdist workers) without interfering.

The server is this file run as a script: it applies two narrow fixes to moto 5.2.5's *request/response
conversion* before starting ``moto.server`` (each one switches itself off once moto implements it):

1. ``SendTaskFailure`` drops its ``cause`` parameter (``moto/stepfunctions/responses.py`` reads only
   ``taskToken`` and ``error``), so histories would show ``TaskFailed`` without the cause AWS records.
   The fix forwards ``cause`` to the interpreter's backend, which already accepts it.
2. An ``arn:aws:states:::ecs:runTask…`` state passes its PascalCase ``Parameters`` to the ECS API unconverted
   and reads the camelCase answer as if it were PascalCase (``KeyError: 'Cluster'`` / ``'Tasks'``), because
   moto's port of the interpreter stubs out ``_normalise_parameters``/``_normalise_response``. The fix converts
   them with botocore's ECS shapes — what Step Functions does — for the ECS integration only.

The interpreter itself (states, callbacks, timeouts, heartbeats) is moto's, unchanged. The orchestration tests'
own server applies the same two fixes by importing ``_fix_send_task_failure_cause`` and
``_fix_ecs_integration_casing``: keep those names.

For an ECS ``runTask`` state with ``awsvpc`` networking, give it ``SecurityGroups`` (moto's ECS requires them) and
subnets of the default VPC: moto names the task's ENI (``privateDnsName``) only in a VPC with DNS hostnames
enabled, and fails with ``AttributeError`` elsewhere. The task then exists in moto's ECS with the token in its
``overrides.containerOverrides[].environment`` (``describe_tasks``), as it would on AWS.

Known moto 5.2.5 difference kept as is: a callback state whose ``HeartbeatSeconds`` lapses fails with
``States.Timeout`` (event ``TaskTimedOut``); AWS lets Catch/Retry tell it apart as ``States.HeartbeatTimeout``.

Helpers for executions: :func:`wait_for_execution`, :func:`execution_history`, :func:`failure_of`,
:func:`receive_task_token` (for ``arn:aws:states:::sqs:sendMessage.waitForTaskToken`` states).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REGION = "ap-northeast-1"
ACCOUNT_ID = "123456789012"  # moto's default account
# credentials moto accepts; never real ones (the server is local and the values are public)
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
_START_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A running moto server: its port, endpoint, and ready-made boto3 clients and environment."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    region: str = REGION

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for code under test that creates its own boto3 clients (boto3 ≥ 1.28 reads
        ``AWS_ENDPOINT_URL``). Apply it with ``conftest.environment(**server.env())`` or pass it to a subprocess."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **FAKE_CREDENTIALS,
        }

    def client(self, service: str, region: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region or self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call moto's own API (``/moto-api/…``): GET without a body, POST with one."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.endpoint + path, data=data, method="GET" if data is None else "POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def enable_stepfunctions_interpreter(self) -> None:
        self.api("/moto-api/config", {"stepfunctions": {"execute_state_machine": True}})
        # GET /moto-api/config does not report the stepfunctions section (moto 5.2): prove it by running a Pass state
        sfn = self.client("stepfunctions")
        definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"interpreted": True}, "End": True}}}
        arn = sfn.create_state_machine(
            name="moto-support-probe",
            definition=json.dumps(definition),
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/probe",
        )["stateMachineArn"]
        described = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"], timeout=30)
        sfn.delete_state_machine(stateMachineArn=arn)
        if described["status"] != "SUCCEEDED" or json.loads(described.get("output") or "{}") != {"interpreted": True}:
            raise RuntimeError(f"moto's Step Functions interpreter is not running executions: {described}")

    def reset(self) -> None:
        """Drop every resource (moto's ``/moto-api/reset``); the configuration is kept."""
        self.api("/moto-api/reset", {})

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _wait_until_up(server: MotoServer) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"moto server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/moto-api/config")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"moto server did not answer on port {server.port} in {_START_TIMEOUT_SECONDS:.0f}s")


@contextlib.contextmanager
def moto_server(*, stepfunctions_interpreter: bool = True, region: str = REGION) -> Iterator[MotoServer]:
    """Start moto's server (with the fixes above) on a free 127.0.0.1 port; stop it (and only it) on exit.

    With ``stepfunctions_interpreter`` (the default) Step Functions executions really run. The server's
    output goes to a temporary log file whose tail is included when start-up fails.
    """
    for attempt in range(3):  # a port found free can be taken by another process before moto binds it
        port = free_port()
        log = tempfile.NamedTemporaryFile(prefix=f"moto-{port}-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "MOTO_PORT": str(port), **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": region}
        env.pop("AWS_ENDPOINT_URL", None)
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        log.close()
        server = MotoServer(port=port, process=process, log_path=Path(log.name), region=region)
        try:
            _wait_until_up(server)
        except RuntimeError:
            _stop(server)
            if attempt == 2:
                raise
            continue
        break
    try:
        if stepfunctions_interpreter:
            server.enable_stepfunctions_interpreter()
        yield server
    finally:
        _stop(server)


def _stop(server: MotoServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=10)
    with contextlib.suppress(OSError):
        server.log_path.unlink()


# --- Step Functions helpers -------------------------------------------------------------------------------------


def wait_for_execution(sfn: Any, execution_arn: str, *, timeout: float = 180.0, poll: float = 0.2) -> dict[str, Any]:
    """``DescribeExecution`` once the execution has left RUNNING (raises ``TimeoutError`` after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {execution_arn} still RUNNING after {timeout:.0f}s")
        time.sleep(poll)


def execution_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, oldest first."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def events_of_type(history: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in history if e["type"] == event_type]


def failure_of(history: list[dict[str, Any]]) -> dict[str, str | None]:
    """``type``, ``error`` and ``cause`` of the execution's first failure event — the root cause (TaskFailed,
    TaskTimedOut, LambdaFunctionFailed …), which ExecutionFailed then repeats."""
    for event in history:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
                return {"type": event["type"], "error": details.get("error"), "cause": details.get("cause")}
    raise AssertionError("the execution history holds no failure event")


def receive_task_token(sqs: Any, queue_url: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """The JSON body of the next message on ``queue_url`` (sent by a ``sqs:sendMessage.waitForTaskToken``
    state whose ``MessageBody`` carries ``"TaskToken.$": "$$.Task.Token"``); the message is deleted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
        for message in response.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            return json.loads(message["Body"])
    raise TimeoutError(f"no message on {queue_url} within {timeout:.0f}s")


def sqs_callback_state_machine(
    sfn: Any,
    *,
    name: str,
    queue_url: str,
    heartbeat_seconds: int | None = None,
    timeout_seconds: int = 600,
    message: dict[str, Any] | None = None,
) -> str:
    """A one-state machine that sends ``{"TaskToken": …, **message}`` to ``queue_url`` and waits for the answer
    (``arn:aws:states:::sqs:sendMessage.waitForTaskToken``); returns its ARN. The execution's output is the answer."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": queue_url, "MessageBody": {"TaskToken.$": "$$.Task.Token", **(message or {})}},
        "TimeoutSeconds": timeout_seconds,
        "End": True,
    }
    if heartbeat_seconds is not None:
        state["HeartbeatSeconds"] = heartbeat_seconds
    definition = {"StartAt": "Wait", "States": {"Wait": state}}
    created = sfn.create_state_machine(
        name=name,
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/sfn-test",
    )
    return str(created["stateMachineArn"])


__all__ = [
    "ACCOUNT_ID",
    "FAKE_CREDENTIALS",
    "REGION",
    "MotoServer",
    "events_of_type",
    "execution_history",
    "failure_of",
    "free_port",
    "moto_server",
    "receive_task_token",
    "sqs_callback_state_machine",
    "wait_for_execution",
]


# --- the server process ------------------------------------------------------------------------------------------


def _fix_send_task_failure_cause() -> bool:
    """moto 5.2.5: ``SendTaskFailure``'s ``cause`` is parsed by nobody; forward it (fix 1 of the module docstring)."""
    import inspect

    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    if "cause" in inspect.getsource(StepFunctionResponse.send_task_failure):
        return False  # moto forwards it itself

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]
    return True


def _fix_ecs_integration_casing() -> bool:
    """moto 5.2.5: convert an ECS task state's parameters and results between Step Functions' PascalCase and the
    ECS API's camelCase with botocore's shapes (fix 2 of the module docstring)."""
    import botocore.session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
        StateTaskServiceEcs,
    )

    if "_normalise_parameters" in StateTaskServiceEcs.__dict__:
        return False  # moto converts them itself
    ecs_model = botocore.session.get_session().get_service_model("ecs")

    def operation(self: Any, service_action_name: str | None) -> Any:
        action = service_action_name or self.resource.api_action  # "runTask" or "run_task"
        name = "".join(part[:1].upper() + part[1:] for part in action.split("_"))
        return ecs_model.operation_model(name)

    def _normalise_parameters(
        self: Any, parameters: dict, boto_service_name: Any = None, service_action_name: str | None = None
    ) -> None:
        self._to_boto_request(parameters, operation(self, service_action_name).input_shape)

    def _normalise_response(
        self: Any, response: Any, boto_service_name: Any = None, service_action_name: str | None = None
    ) -> None:
        self._from_boto_response(response, operation(self, service_action_name).output_shape)

    StateTaskServiceEcs._normalise_parameters = _normalise_parameters  # type: ignore[method-assign]
    StateTaskServiceEcs._normalise_response = _normalise_response  # type: ignore[method-assign]
    return True


def _serve(argv: list[str]) -> None:
    fixes = [
        name
        for name, fix in (
            ("send_task_failure_cause", _fix_send_task_failure_cause),
            ("ecs_integration_casing", _fix_ecs_integration_casing),
        )
        if fix()
    ]
    print(f"moto_support: fixes applied: {', '.join(fixes) or 'none'}", flush=True)
    from moto.server import main

    main(argv)


if __name__ == "__main__":
    # run as a script, this file's folder is sys.path[0]: drop it so no test module can shadow one moto imports
    _here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _here]
    _serve(sys.argv[1:])
