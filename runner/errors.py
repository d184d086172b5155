"""The error names the runner answers with (``SendTaskFailure.error``); the state machine branches on them."""

from __future__ import annotations

import json
from typing import Any

# the names are the package's one vocabulary (dpc/errors.py); re-exported here for the runner's modules
from dpc.errors import (
    DBT_COMPILATION_ERROR,
    DBT_RUNTIME_ERROR,
    DBT_TEST_FAILURE,
    DELIVERY_REJECTED,
    INTERRUPTED,
    RUNNER_CONFIG_ERROR,
    RUNNER_ERROR,
)
from dpc.errors import RUNNER_ERRORS as ERROR_NAMES

__all__ = [
    "CAUSE_LIMIT",
    "DBT_COMPILATION_ERROR",
    "DBT_RUNTIME_ERROR",
    "DBT_TEST_FAILURE",
    "DELIVERY_REJECTED",
    "ERROR_NAMES",
    "INTERRUPTED",
    "RUNNER_CONFIG_ERROR",
    "RUNNER_ERROR",
    "RunnerConfigError",
    "StepFailure",
]

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
