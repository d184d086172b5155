"""The Step Functions task token: heartbeats while the work runs, and exactly one answer.

``SendTaskSuccess``/``SendTaskFailure`` is attempted at most once per token, whatever happens afterwards
(a later exception, a second signal, a retry of the code path): :class:`TaskToken` records the attempt
before making the call. botocore's own retries (throttling, 5xx) stay inside that one attempt.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from runner.logs import JsonLog

# SendTaskSuccess.output limit is 262,144 characters; the runner's summaries stay far below this
OUTPUT_LIMIT = 262_144
# Step Functions' answers to a token that is no longer waiting (answered, timed out, execution stopped)
TOKEN_GONE = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def stepfunctions_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("stepfunctions", config=Config(retries={"max_attempts": 5, "mode": "standard"}))


class TaskToken:
    """One task token. Without a token (local runs) heartbeats and answers are no-ops."""

    def __init__(self, token: str | None, log: JsonLog, client: Any = None) -> None:
        self.token = token
        self.log = log
        self._client = client
        self._lock = threading.Lock()
        self._answer: str | None = None  # "success" | "failure:<error>" once attempted
        self.accepted: bool | None = None  # whether Step Functions accepted the answer
        self.gone = False  # the token stopped being accepted (timed out, already answered, execution stopped)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = stepfunctions_client()
        return self._client

    @property
    def answered(self) -> bool:
        return self._answer is not None

    def heartbeat(self) -> bool:
        """Send one heartbeat; False once the token is no longer accepted (stop heartbeating then)."""
        if self.token is None or self.answered or self.gone:
            return False
        try:
            self.client.send_task_heartbeat(taskToken=self.token)
        except Exception as exc:  # noqa: BLE001 - a failed heartbeat must never kill the run
            code = _error_code(exc)
            if code in TOKEN_GONE:
                self.gone = True
                self.log.emit("heartbeat", "rejected", level="warning", error=code)
                return False
            self.log.emit("heartbeat", "error", level="warning", error=code, message=str(exc)[:500])
            return True
        self.log.emit("heartbeat", "sent", level="debug")
        return True

    def succeed(self, output: dict[str, Any]) -> bool:
        text = json.dumps(output, ensure_ascii=False, default=str, separators=(",", ":"))
        if len(text) > OUTPUT_LIMIT:  # never expected: summaries are counts and URIs
            text = json.dumps({"status": output.get("status"), "truncated": True, "artifacts": output.get("artifacts")})
        return self._send("success", lambda: self.client.send_task_success(taskToken=self.token, output=text))

    def fail(self, error: str, cause: str) -> bool:
        return self._send(
            f"failure:{error}",
            lambda: self.client.send_task_failure(taskToken=self.token, error=error[:256], cause=cause),
        )

    def _send(self, kind: str, call: Any) -> bool:
        with self._lock:
            if self._answer is not None:
                self.log.emit("answer", "skipped", level="warning", answer=kind, already=self._answer)
                return False
            self._answer = kind
        if self.token is None:
            return True
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - reported, never retried with a second answer
            self.accepted = False
            self.log.emit(
                "answer", "rejected", level="error", answer=kind, error=_error_code(exc), message=str(exc)[:500]
            )
            return False
        self.accepted = True
        self.log.emit("answer", "sent", answer=kind)
        return True


class Heartbeat:
    """Background thread: a heartbeat now and every ``interval`` seconds until stopped (``interval`` 0 disables).

    Use as a context manager around the work; leaving it stops and joins the thread before the answer is sent.
    """

    def __init__(self, token: TaskToken, interval: float) -> None:
        self.token = token
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def __enter__(self) -> Heartbeat:
        if self.token.token is not None and self.interval > 0:
            self._thread = threading.Thread(target=self._run, name="dpc-runner-heartbeat", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)  # a heartbeat stuck in the network must not delay the answer

    def _run(self) -> None:
        next_beat = time.monotonic()
        while not self._stop.is_set():
            if not self.token.heartbeat():
                if self.token.gone or self.token.answered:
                    return
            else:
                self.sent += 1
            next_beat += self.interval
            self._stop.wait(max(0.0, next_beat - time.monotonic()))
