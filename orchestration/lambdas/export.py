"""Export: the export step's plan (:func:`dpc.steps.export.plan_export`), run by the Redshift executor.

``UNLOAD … FORMAT AS PARQUET … KMS_KEY_ID … ENCRYPTED CLEANPATH`` per published table to ``processed/<table>/``:
a ``delivery`` table partitioned by (yyyymm, facility_code) with only the delivery's partition rewritten, every
other table whole — the local export's rule. Submitted as one ``BatchExecuteStatement`` (each UNLOAD commits on
its own: there is nothing to roll back) and polled by the state machine. Raw files stay where they are (the
normalise step archived this version's raw files when it first saw them).
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
from dpc.steps.export import plan_export
from dpc.steps.publish import PUBLISHED_SCHEMA, Touched


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    kms_key_id = event.get("kms_key_id") or os.environ.get("KMS_KEY_ID")
    if not kms_key_id:
        raise StepInputError("no KMS key for UNLOAD (the state machine passes kms_key_id)")
    bucket = bucket_of(event)
    executor = RedshiftExecutor(
        redshift_data or client("redshift-data"),
        redshift_of(event),
        bucket=bucket,
        iam_role=iam_role(),
        kms_key_id=str(kms_key_id),
        run_id=run_id_of(event),
    )
    tables = executor.catalog(PUBLISHED_SCHEMA)
    if not tables:
        raise StepInputError(f"{PUBLISHED_SCHEMA} has no tables to export")
    # a table the publication replaced whole is exported whole (every partition), the others by the delivery
    modes = ((state_of(event).get("publish") or {}).get("result") or {}).get("modes") or {}
    report = {table: {"mode": mode} for table, mode in modes.items()}
    plan = plan_export(tables, Touched(frozenset({(facility_code, yyyymm)})), report or None)
    statement_id = executor.export(plan)
    log(step="export", statement_id=statement_id, tables=len(tables))
    return statement_result(
        statement_id,
        {
            "tables": sorted(tables),
            "prefix": f"s3://{bucket}/processed/",
            "statements": sum(t.rewrite != "skip" for t in plan.tables),
        },
    )
