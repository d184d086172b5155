"""Publish (write-audit-publish, docs/decisions/0009): the publish step's plan, run by the Redshift executor.

Runs only after dbt's error-severity tests and the DQ gate passed. Reads the catalogs of mart_build and mart,
makes the plan with the local pipeline's rule (:func:`dpc.steps.publish.plan_publish`: each table by its grain —
the delivery's facility-month, its facility's stays, the KPI months that changed, or whole) and submits it as ONE
``BatchExecuteStatement`` transaction with the publication log row: analysts see the previous mart until it
commits, and a failure before the commit leaves mart as it was. The state machine polls the statement.
"""

from __future__ import annotations

from typing import Any

from lambda_common import client, delivery_of, log, redshift_of, run_id_of, statement_result

from dpc.errors import StepInputError
from dpc.executors.redshift import RedshiftExecutor
from dpc.steps.publish import BUILD_SCHEMA, PUBLISHED_SCHEMA, Touched, plan_publish


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    run_id = run_id_of(event)
    executor = RedshiftExecutor(redshift_data or client("redshift-data"), redshift_of(event), run_id=run_id)
    build = executor.catalog(BUILD_SCHEMA)
    if not build:
        raise StepInputError(f"{BUILD_SCHEMA} has no tables: dbt built nothing to publish")
    published = executor.catalog(PUBLISHED_SCHEMA)
    touched = Touched(frozenset({(facility_code, yyyymm)})) if published else None  # first publication: whole
    plan = plan_publish(build, published, touched, changed_keys=executor.changed_keys, run_id=run_id)
    statement_id = executor.publish(plan)
    log(step="publish", facility_code=facility_code, yyyymm=yyyymm, statement_id=statement_id, tables=len(build))
    modes = {t.table: t.mode for t in plan.tables}
    return statement_result(statement_id, {"tables": sorted(build), "modes": modes})
