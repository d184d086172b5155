"""Export: every published mart table to ``processed/<table>/`` as Parquet, SSE-KMS, partitioned by its month.

``UNLOAD … FORMAT AS PARQUET PARTITION BY (yyyymm | discharge_yyyymm) KMS_KEY_ID … ENCRYPTED CLEANPATH`` per table
(:func:`dpc.steps.redshift.export_statements`), submitted as one ``BatchExecuteStatement`` (each UNLOAD commits on
its own: there is nothing to roll back) and polled by the state machine. Raw files stay where they are (only a re-delivery archives the previous version).
"""

from __future__ import annotations

import os
from typing import Any

from lambda_common import bucket_of, client, delivery_of, iam_role, log, redshift_of, run_id_of, statement_result

from dpc.steps.redshift import PUBLISHED_SCHEMA, batch_execute, client_token, export_statements, list_tables


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    kms_key_id = event.get("kms_key_id") or os.environ.get("KMS_KEY_ID")
    if not kms_key_id:
        raise KeyError("no KMS key for UNLOAD (the state machine passes kms_key_id)")
    data_api = redshift_data or client("redshift-data")
    target = redshift_of(event)
    tables = list_tables(data_api, target, PUBLISHED_SCHEMA)
    if not tables:
        raise RuntimeError(f"{PUBLISHED_SCHEMA} has no tables to export")
    bucket = bucket_of(event)
    sqls = export_statements(tables, bucket, str(kms_key_id), iam_role())
    statement_id = batch_execute(
        data_api,
        target,
        sqls,
        name=f"dpc-export-{facility_code}-{yyyymm}",
        token=client_token(run_id_of(event), "export"),
        transaction=False,
    )
    log(step="export", statement_id=statement_id, tables=len(tables))
    return statement_result(
        statement_id, {"tables": sorted(tables), "prefix": f"s3://{bucket}/processed/", "statements": len(sqls)}
    )
