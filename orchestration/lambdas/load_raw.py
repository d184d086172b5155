"""LoadRaw: the load step's plan for one delivery, run by the Redshift executor (docs/decisions/0011, 0015).

Reads the normalise runner's answer (``$.normalise.ingested``: the ingest's own per-file result,
:class:`dpc.steps.ingest.Ingested`), makes the load plan (:func:`dpc.steps.load.plan_load`, the local pipeline's
rule) and submits it as ONE ``BatchExecuteStatement`` transaction (workgroup + database, IAM — never a password):
for every raw and quarantine table DELETE the facility-month and ``COPY … FORMAT AS PARQUET`` from the load's own
versioned prefix, then the delivery's ``dq.load_history`` rows. Returns the statement id at once: the state
machine polls ``DescribeStatement`` from a ``Wait`` loop (no sleeping Lambda). A re-delivery therefore replaces
exactly its facility-month, and only a recorded load's files are ever read.
"""

from __future__ import annotations

import os
from typing import Any

from lambda_common import (
    bucket_of,
    client,
    delivery_of,
    iam_role,
    log,
    redshift_of,
    run_id_of,
    state_of,
    statement_result,
)

from dpc.errors import StepInputError
from dpc.executors.redshift import RedshiftExecutor
from dpc.steps.load import NORMALISED, Ingested


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    state = state_of(event)
    run_id = run_id_of(event)
    answer = (state.get("normalise") or {}).get("ingested")
    if not isinstance(answer, dict):
        raise StepInputError("no normalise answer in $.normalise.ingested: nothing to load")
    ingested = Ingested.from_dict(answer)
    if (ingested.facility_code, ingested.yyyymm) != (facility_code, yyyymm) or ingested.status != NORMALISED:
        raise StepInputError(
            f"the normalise answer is for {ingested.facility_code} {ingested.yyyymm} ({ingested.status}), "
            f"not a normalised {facility_code} {yyyymm}"
        )
    plan = ingested.plan(loaded_by=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "dpc-load-raw")
    executor = RedshiftExecutor(
        redshift_data or client("redshift-data"),
        redshift_of(event),
        bucket=bucket_of(event),
        iam_role=iam_role(),
        run_id=run_id,
    )
    statement_id = executor.load([plan])
    log(step="load", facility_code=facility_code, yyyymm=yyyymm, statement_id=statement_id, load_id=plan.load_id)
    # what dbt's incremental models must recompute after this load (var deliveries, docs/decisions/0005): RunDbt passes it
    dbt_vars = {"deliveries": [{"facility_code": facility_code, "yyyymm": yyyymm}]}
    statements = len(plan.prefixes()) * 2 + 1
    return statement_result(
        statement_id,
        {"statements": statements, "files": len(plan.files), "load_id": plan.load_id, "dbt_vars": dbt_vars},
    )
