"""LoadRaw: one Data API transaction replaces the delivery's facility-month in Redshift (docs/decisions/0015).

``BatchExecuteStatement`` (workgroup + database, IAM — never a password) runs, in ONE transaction: for every raw
and quarantine table, DELETE the facility-month and ``COPY … FORMAT AS PARQUET`` from the normalised prefix
``stage/<kind>/yyyymm=…/facility=…/``; then the delivery's ``dq.load_history`` rows (manifest facts joined with
the normaliser's counts from the Normalise answer: per file, or per kind for a delivery with one file per kind). Returns the statement id at once: the state machine polls ``DescribeStatement`` from a
``Wait`` loop (no sleeping Lambda). A re-delivery therefore replaces exactly its facility-month.
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

from dpc.steps.redshift import batch_execute, client_token, load_history_rows, load_transaction, normalised_files


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    state = state_of(event)
    run_id = run_id_of(event)
    validation = state.get("validation") or {}
    normalised = state.get("normalise") or {}
    manifest_files = validation.get("files") or []
    files = normalised_files(normalised, manifest_files)
    if not files:
        raise ValueError(
            "the Normalise answer counts no file: nothing to load (see the runner's answer in $.normalise)"
        )
    history = load_history_rows(
        load_id=str(normalised.get("load_id") or run_id),
        facility_code=facility_code,
        yyyymm=yyyymm,
        manifest_files=manifest_files,
        normalised_files=files,
        manifest_sha256=str(validation.get("manifest_sha256") or state.get("manifest_sha256") or ""),
        loaded_by=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "dpc-load-raw",
    )
    sqls = load_transaction(facility_code, yyyymm, bucket_of(event), history, iam_role())
    statement_id = batch_execute(
        redshift_data or client("redshift-data"),
        redshift_of(event),
        sqls,
        name=f"dpc-load-{facility_code}-{yyyymm}",
        token=client_token(run_id, "load"),
    )
    log(step="load", facility_code=facility_code, yyyymm=yyyymm, statement_id=statement_id, statements=len(sqls))
    # what dbt's incremental models must recompute after this load (var deliveries, docs/decisions/0005): RunDbt passes it
    dbt_vars = {"deliveries": [{"facility_code": facility_code, "yyyymm": yyyymm}]}
    return statement_result(statement_id, {"statements": len(sqls), "files": len(history), "dbt_vars": dbt_vars})
