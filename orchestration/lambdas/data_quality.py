"""DataQuality: read the results dbt computed for this run (dq.dq_results) and decide whether it may publish.

Each check is defined once, as a dbt test (docs/decisions/0009); this reads the run's rows through the Data API
(``ExecuteStatement`` → ``DescribeStatement`` → ``GetStatementResult``, short queries waited for here) and hands
them to :func:`dpc.steps.dq.verdict_from_rows` — the function the local pipeline's ``dq.evaluate`` calls. The
verdict (``ok``, passed, warnings, errors, reconciliation mismatches, ``cause``) is the step's output; the state
machine's ``DqPassed`` choice stops the run on ``ok`` false, and the verdict stays in the execution history.
"""

from __future__ import annotations

from typing import Any

from lambda_common import client, log, redshift_of, state_of

from dpc.errors import StepInputError
from dpc.executors.redshift import query
from dpc.steps.dq import RECONCILIATION_SQL, results_sql, verdict_from_rows


def handler(event: dict[str, Any], context: Any = None, *, redshift_data: Any = None) -> dict[str, Any]:
    state = state_of(event)
    dbt = state.get("dbt") or {}
    run_id = dbt.get("invocation_id")
    if not run_id:
        raise StepInputError("the RunDbt answer has no invocation_id: cannot find this run's rows in dq.dq_results")
    data_api = redshift_data or client("redshift-data")
    target = redshift_of(event)
    rows = query(data_api, target, results_sql(":run_id"), {"run_id": str(run_id)})
    mismatches = query(data_api, target, RECONCILIATION_SQL)
    verdict = verdict_from_rows(str(run_id), rows, int(mismatches[0][0]) if mismatches else 0)
    out = verdict.as_dict()
    out["cause"] = verdict.cause()
    log(
        step="dq",
        run_id=run_id,
        ok=verdict.ok,
        passed=verdict.passed,
        warnings=len(verdict.warnings),
        errors=len(verdict.errors),
    )
    return out
