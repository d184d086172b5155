"""Publish (write-audit-publish, docs/decisions/0009): copy what this delivery changed from mart_build into mart.

Runs only after dbt's error-severity tests and the DQ gate passed. Lists mart_build's tables and columns from the
catalog, then submits ONE ``BatchExecuteStatement`` transaction (:func:`dpc.steps.redshift.publish_statements`):
analysts see the previous mart until it commits, and a failure before the commit leaves mart as it was. The state
machine polls the statement.
"""

from __future__ import annotations

from typing import Any

from lambda_common import client, delivery_of, log, redshift_of, run_id_of, statement_result

from dpc.steps.redshift import BUILD_SCHEMA, batch_execute, client_token, list_tables, publish_statements


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    data_api = redshift_data or client("redshift-data")
    target = redshift_of(event)
    tables = list_tables(data_api, target, BUILD_SCHEMA)
    if not tables:
        raise RuntimeError(f"{BUILD_SCHEMA} has no tables: dbt built nothing to publish")
    sqls = publish_statements(tables, [(facility_code, yyyymm)])
    statement_id = batch_execute(
        data_api,
        target,
        sqls,
        name=f"dpc-publish-{facility_code}-{yyyymm}",
        token=client_token(run_id_of(event), "publish"),
    )
    log(step="publish", facility_code=facility_code, yyyymm=yyyymm, statement_id=statement_id, tables=len(tables))
    return statement_result(statement_id, {"tables": sorted(tables), "statements": len(sqls)})
