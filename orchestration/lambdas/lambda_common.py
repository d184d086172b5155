"""What every handler shares: configuration from the environment, boto3 clients, the state, JSON logs.

Handlers are thin (LAYOUT.md): parse the event, call the project's own step code (``dpc.steps.*``), return
JSON. They run on Python 3.11 with boto3 and the standard-library-only part of ``dpc`` (docs/decisions/0014), outside
any VPC: Redshift only through the Data API, with the workgroup name and the function's IAM role.

Every state-machine Lambda receives ``{"run_id": <execution name>, …, "state": <the whole state>}``
(see orchestration/statemachine/pipeline.asl.json).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from dpc.errors import ConfigurationError
from dpc.executors.redshift import DataApiTarget

DEFAULT_POLL_SECONDS = 10
DEFAULT_MAX_POLLS = 360  # × poll seconds: one hour of polling before the run is failed


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise ConfigurationError(
            f"environment variable {name} is not set (the pipeline module sets it on every function)"
        )
    return value


def client(service: str) -> Any:
    """A boto3 client (boto3 reads AWS_ENDPOINT_URL, so tests reach their moto server)."""
    import boto3

    return boto3.client(service)  # type: ignore[call-overload]  # boto3-stubs accept only literal service names


def state_of(event: dict[str, Any]) -> dict[str, Any]:
    """The state machine's state (the whole event when a handler is invoked by hand)."""
    state = event.get("state")
    return state if isinstance(state, dict) else event


def delivery_of(event: dict[str, Any]) -> tuple[str, int]:
    state = state_of(event)
    return str(state["facility_code"]), int(state["yyyymm"])


def run_id_of(event: dict[str, Any]) -> str:
    return str(event.get("run_id") or state_of(event).get("run_id") or "manual")


def bucket_of(event: dict[str, Any]) -> str:
    return str(state_of(event).get("bucket") or env("DATA_BUCKET"))


def redshift_of(event: dict[str, Any]) -> DataApiTarget:
    """The workgroup and database the state machine passes (the function's environment as a fallback)."""
    given = event.get("redshift") or {}
    return DataApiTarget(
        workgroup=str(given.get("workgroup") or env("REDSHIFT_WORKGROUP")),
        database=str(given.get("database") or env("REDSHIFT_DATABASE", "dpc")),
    )


def iam_role() -> str:
    """The role Redshift assumes for COPY/UNLOAD: the namespace's default role unless REDSHIFT_IAM_ROLE names one."""
    return os.environ.get("REDSHIFT_IAM_ROLE") or "default"


def statement_result(statement_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """What a handler that submitted a long statement returns: the state machine polls it (Wait → Describe)."""
    return {
        "statement_id": statement_id,
        "poll_seconds": int(os.environ.get("POLL_SECONDS") or DEFAULT_POLL_SECONDS),
        "polls_left": int(os.environ.get("MAX_POLLS") or DEFAULT_MAX_POLLS),
        "result": result,
    }


def log(**fields: Any) -> None:
    """One JSON object per line (CloudWatch Logs Insights reads the fields)."""
    fields.setdefault("at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    print(json.dumps(fields, ensure_ascii=False, default=str), file=sys.stdout, flush=True)
