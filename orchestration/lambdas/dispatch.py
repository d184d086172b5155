"""Dispatch: started by the schedule, the optional manifest-upload rule, or by hand — one execution per delivery.

Finds pending deliveries (a manifest under ``raw/`` with no successful run yet), takes each delivery's lock in the
registry (DynamoDB, conditional write) and starts the state machine with an execution named from the delivery and
its manifest hash (:mod:`dpc.steps.dispatch`; ``dpc start-execution`` runs the same code from a laptop).

Events: ``{"source": "schedule"}`` (every pending delivery); an S3 ``Object Created`` event for a manifest (that
delivery); ``{"facility_code": "131000001", "yyyymm": 202404, "force": true}`` (one delivery, by hand).
"""

from __future__ import annotations

import os
from typing import Any

from lambda_common import client, env, log

from dpc.errors import DispatchFailed
from dpc.steps.dispatch import DEFAULT_MAX_ATTEMPTS, Dispatcher, Registry, targets_from_event
from dpc.storage import S3Storage


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    bucket = env("DATA_BUCKET")
    dispatcher = Dispatcher(
        storage=S3Storage(bucket=bucket, client=client("s3")),
        registry=Registry(client("dynamodb"), env("DELIVERIES_TABLE")),
        sfn=client("stepfunctions"),
        state_machine_arn=env("STATE_MACHINE_ARN"),
        bucket=bucket,
        max_attempts=int(os.environ.get("DISPATCH_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS),
    )
    only, force = targets_from_event(event)
    results = dispatcher.run(only, force=force)
    for r in results:
        log(step="dispatch", **{k: v for k, v in r.items() if k != "input"})
    errors = [r for r in results if r["action"] == "error"]
    if errors:  # the schedule's retry policy runs dispatch again; started deliveries are locked by then
        raise DispatchFailed(f"dispatch failed for {len(errors)} delivery(ies): {errors}")
    return {"started": sum(r["action"] == "started" for r in results), "results": results}
