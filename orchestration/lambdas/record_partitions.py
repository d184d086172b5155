"""RecordPartitions: after the Redshift load committed, point the raw Glue tables at the same load (Athena).

The load step's plan (:func:`dpc.steps.load.plan_load`, from the normalise runner's answer in
``$.normalise.ingested``) run by the Athena executor (:mod:`dpc.executors.athena`): each raw and quarantine Glue
table's partition of the delivery (yyyymm, facility) gets the load's own versioned prefix as its location, with the
load id and manifest hash as partition parameters (docs/decisions/0011). It runs only once the load is recorded
(``LoadDone``), so Athena, like Redshift and DuckDB, never reads a load that was not recorded. Glue calls only: no
Athena query, no Redshift.
"""

from __future__ import annotations

import os
from typing import Any

from lambda_common import bucket_of, client, delivery_of, env, log, state_of

from dpc.errors import StepInputError
from dpc.executors.athena import AthenaExecutor
from dpc.steps.load import NORMALISED, Ingested


def handler(event: dict[str, Any], context: Any = None, *, glue: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    answer = (state_of(event).get("normalise") or {}).get("ingested")
    if not isinstance(answer, dict):
        raise StepInputError("no normalise answer in $.normalise.ingested: no load to point the partitions at")
    ingested = Ingested.from_dict(answer)
    if (ingested.facility_code, ingested.yyyymm) != (facility_code, yyyymm) or ingested.status != NORMALISED:
        raise StepInputError(f"the normalise answer is not a normalised {facility_code} {yyyymm}")
    plan = ingested.plan(loaded_by=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "dpc-record-partitions")
    executor = AthenaExecutor(
        glue or client("glue"), None, raw_database=env("GLUE_DATABASE_PREFIX") + "_raw", bucket=bucket_of(event)
    )
    locations = executor.load([plan])
    log(step="record_partitions", facility_code=facility_code, yyyymm=yyyymm, load_id=plan.load_id)
    return {"load_id": plan.load_id, "tables": len(locations)}
