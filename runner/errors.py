"""The error names the runner answers with (``SendTaskFailure.error``); the state machine branches on them."""

from __future__ import annotations

import json
from typing import Any

DBT_TEST_FAILURE = "DbtTestFailure"  # a data/unit test failed (severity error): the data did not pass its audit
DBT_COMPILATION_ERROR = "DbtCompilationError"  # Jinja/ref/parse error: the project is broken, retrying will not help
DBT_RUNTIME_ERROR = "DbtRuntimeError"  # a model or hook failed in the warehouse (SQL error, lost connection …)
RUNNER_CONFIG_ERROR = "RunnerConfigError"  # missing or invalid environment / overrides, unknown dbt command
INTERRUPTED = "Interrupted"  # SIGTERM/SIGINT (ECS stop, spot reclaim): dbt was cancelled cleanly
DELIVERY_REJECTED = "DeliveryRejected"  # STEP=normalise: a delivered file was rejected (nothing was written)
RUNNER_ERROR = "RunnerError"  # anything else (artifact upload failed, unexpected exception)

ERROR_NAMES = (
    DBT_TEST_FAILURE,
    DBT_COMPILATION_ERROR,
    DBT_RUNTIME_ERROR,
    RUNNER_CONFIG_ERROR,
    INTERRUPTED,
    DELIVERY_REJECTED,
    RUNNER_ERROR,
)

# SendTaskFailure limits: error ≤ 256 characters, cause ≤ 32,768 characters
CAUSE_LIMIT = 32_768


class StepFailure(Exception):
    """A failure the runner reports to the state machine: an error name plus a cause naming what failed."""

    def __init__(self, error: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.details = dict(details or {})

    def cause(self, limit: int = CAUSE_LIMIT) -> str:
        """A JSON cause ``{"message": …, **details}`` within ``limit`` characters (long lists are shortened)."""
        payload: dict[str, Any] = {"message": self.message, **self.details}
        text = json.dumps(payload, ensure_ascii=False, default=str)
        if len(text) <= limit:
            return text
        for key in ("failed_nodes", "running_nodes", "warned_nodes"):
            items = payload.get(key)
            while isinstance(items, list) and len(items) > 1 and len(text) > limit:
                del items[len(items) // 2 :]
                payload[f"{key}_truncated"] = True
                text = json.dumps(payload, ensure_ascii=False, default=str)
        if len(text) > limit:
            text = json.dumps({"message": self.message[: limit - 100], "truncated": True}, ensure_ascii=False)
        return text


class RunnerConfigError(StepFailure):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(RUNNER_CONFIG_ERROR, "; ".join(problems), {"problems": problems})
        self.problems = problems
