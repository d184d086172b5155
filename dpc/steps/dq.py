"""DQ step: read the results dbt computed into dq.dq_results for a run and decide whether it may publish.

Each check is defined once, as a dbt test (docs/decisions/0009); this step only records and evaluates.
An error-severity check that failed (or errored) stops publication; warnings are reported.

STANDARD LIBRARY ONLY at import time: the DataQuality Lambda imports this module. The verdict is one pure
function over result rows (:func:`verdict_from_rows`); the DuckDB path (:func:`evaluate`, local runs) and the
Redshift Data API path (``orchestration/lambdas/data_quality.py`` through :mod:`dpc.executors.redshift`) both
read the same columns with the same queries (:data:`RESULT_COLUMNS`, :func:`results_sql`,
:data:`RECONCILIATION_SQL`) and hand the rows to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dpc.steps import step

if TYPE_CHECKING:  # pragma: no cover - typing only; duckdb is imported lazily by evaluate()
    import duckdb

RESULT_COLUMNS = ("check_name", "model_name", "status", "severity", "failing_rows", "message")
RECONCILIATION_SQL = "select count(*) from dq.dq_reconciliation where difference <> 0"
# what a failing error-severity check blames (macros/dq/dq_record_results.sql, dq_record_blame; decision 0028)
BLAME_COLUMNS = ("check_name", "facility_code", "yyyymm", "stay_id", "located_by")
# how a failing check's keys were found; the others ("seed", "unattributable") blame no delivery
LOCATED = ("failing_rows", "tested_rows")


def results_sql(placeholder: str = "?") -> str:
    """The query of one run's results; ``placeholder`` is the engine's parameter marker (``?`` or ``:run_id``)."""
    return f"select {', '.join(RESULT_COLUMNS)} from dq.dq_results where run_id = {placeholder} order by check_name"


def blame_sql(placeholder: str = "?") -> str:
    """The keys (facility, delivery month, stay) one run's failing error-severity checks blame."""
    return (
        f"select distinct {', '.join(BLAME_COLUMNS)} from dq.dq_failure_deliveries where run_id = {placeholder} "
        "order by check_name, facility_code, yyyymm, stay_id"
    )


@dataclass
class DqVerdict:
    run_id: str
    passed: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)  # one dict per check (JSON, as the summary shows)
    errors: list[dict[str, Any]] = field(default_factory=list)
    reconciliation_mismatches: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "passed": self.passed,
            "warnings": self.warnings,
            "errors": self.errors,
            "reconciliation_mismatches": self.reconciliation_mismatches,
        }

    def cause(self, limit: int = 10) -> str:
        """One line naming the failing error-severity checks (the state machine's failure cause)."""
        if self.ok:
            return ""
        names = ", ".join(f"{e['check']} ({e['failing_rows']} rows)" for e in self.errors[:limit])
        more = f" and {len(self.errors) - limit} more" if len(self.errors) > limit else ""
        return f"{len(self.errors)} error-severity DQ check(s) failed for run {self.run_id}: {names}{more}"


@step("dq")
def verdict_from_rows(
    run_id: str,
    rows: Iterable[Sequence[Any]],
    reconciliation_mismatches: int = 0,
    blame_rows: Iterable[Sequence[Any]] = (),
) -> DqVerdict:
    """The verdict over one run's result rows (columns in the order of :data:`RESULT_COLUMNS`); ``blame_rows``
    (columns of :data:`BLAME_COLUMNS`) give each failing error-severity check its ``blame``: the keys it located,
    ``{"facility_code", "yyyymm", "stay_id", "located_by"}`` (facility null: the check blames no delivery)."""
    verdict = DqVerdict(run_id=run_id, reconciliation_mismatches=int(reconciliation_mismatches or 0))
    blames: dict[str, list[dict[str, object]]] = {}
    for check, facility_code, yyyymm, stay_id, located_by in blame_rows:
        blames.setdefault(str(check), []).append(
            {
                "facility_code": None if facility_code is None else str(facility_code),
                "yyyymm": None if yyyymm is None else int(yyyymm),
                "stay_id": None if stay_id is None else str(stay_id),
                "located_by": located_by,
            }
        )
    for check, model, status, severity, failing, message in rows:
        item = {
            "check": check,
            "model": model,
            "status": status,
            "severity": severity,
            "failing_rows": failing,
            "message": message,
        }
        if status == "pass":
            verdict.passed += 1
        elif status in ("fail", "error") and severity == "error":
            item["blame"] = blames.get(str(check), []) if status == "fail" else []
            verdict.errors.append(item)
        elif status in ("warn", "fail", "error"):
            verdict.warnings.append(item)
    return verdict


def evaluate(con: duckdb.DuckDBPyConnection, run_id: str | Sequence[str]) -> DqVerdict:
    """The local (DuckDB) path: read the run's rows, blame and the reconciliation, then :func:`verdict_from_rows`.

    ``run_id`` may be several dbt invocations of one pipeline run (a build resumed past failing tests,
    :func:`dpc.steps.transform.build`): their rows are evaluated together, the first id names the verdict."""
    import duckdb

    from dpc.duck import scalar

    run_ids = [run_id] if isinstance(run_id, str) else list(run_id)
    rows: list[Sequence[Any]] = []
    blame_rows: list[Sequence[Any]] = []
    for one in run_ids:
        rows += con.execute(results_sql("?"), [one]).fetchall()
        with contextlib.suppress(duckdb.CatalogException):  # a warehouse built before dq_failure_deliveries
            blame_rows += con.execute(blame_sql("?"), [one]).fetchall()
    try:
        mismatches = scalar(con, RECONCILIATION_SQL)
    except duckdb.CatalogException:
        mismatches = 0
    return verdict_from_rows(run_ids[0] if run_ids else "", rows, mismatches, blame_rows)


@dataclass
class Attribution:
    """Which pending deliveries a run's failing error-severity checks hold back (docs/decisions/0028).

    ``blocking``: checks that blame no pending delivery (a seed test, a check that errored, a failing row that
    cannot be located or names a delivery that is not pending) — they stop every publication, as before.
    ``blamed``: each blamed delivery (facility, yyyymm) → the checks that blame it. ``held_back``: every pending
    delivery of a facility with a blamed delivery → why (its own checks, or the blamed delivery it shares a
    facility with): a facility's stays, KPI months and indicators span its months, so they are published from
    one audited state or keep their previous version."""

    blocking: list[dict[str, object]] = field(default_factory=list)
    blamed: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    held_back: dict[tuple[str, int], list[str]] = field(default_factory=dict)

    @property
    def facilities(self) -> frozenset[str]:
        return frozenset(f for f, _ in self.held_back)

    def as_dict(self) -> dict[str, object]:
        return {
            "blocking": [f"{e['check']}: {e.get('blocks') or 'blocks every publication'}" for e in self.blocking],
            "held_back": [
                {"facility_code": f, "yyyymm": m, "checks": checks} for (f, m), checks in sorted(self.held_back.items())
            ],
        }


def attribute(
    errors: Iterable[Mapping[str, Any]],
    pending: Iterable[tuple[str, int]] | None,
    stay_deliveries: Mapping[str, Iterable[tuple[str, int]]] | None = None,
) -> Attribution:
    """Turn each failing check's blame into pending deliveries (pure; the rule of docs/decisions/0028).

    A located key blames: its delivery (facility, yyyymm) when that delivery is pending; else, with a stay, the
    pending deliveries that contain the stay (``stay_deliveries``: stay_id → deliveries, any version); else the
    facility's pending deliveries. A key naming a delivery that is not pending, or a facility with nothing pending,
    blames nothing the run can hold back: the check blocks. ``pending`` None (a first or full publication, which
    replaces every table whole) makes every failing check blocking."""
    pending_set = None if pending is None else {(str(f), int(m)) for f, m in pending}
    stay_map = {k: {(str(f), int(m)) for f, m in v} for k, v in (stay_deliveries or {}).items()}
    out = Attribution()
    for error in errors:
        check = str(error["check"])
        blame = list(error.get("blame") or [])
        reason = _blocking_reason(error, blame, pending_set)
        deliveries: set[tuple[str, int]] = set()
        if reason is None:
            assert pending_set is not None
            for key in blame:
                facility, yyyymm, stay = str(key["facility_code"]), key.get("yyyymm"), key.get("stay_id")
                if yyyymm is not None:
                    if (facility, int(yyyymm)) not in pending_set:
                        reason = f"blames {facility} {yyyymm}, which is not pending"
                        break
                    deliveries.add((facility, int(yyyymm)))
                    continue
                found = {d for d in stay_map.get(str(stay), set()) if d in pending_set} if stay else set()
                found = found or {d for d in pending_set if d[0] == facility}
                if not found:
                    reason = f"blames facility {facility}, which has no pending delivery"
                    break
                deliveries |= found
        if reason is not None:
            out.blocking.append({**error, "blocks": reason})
            continue
        for delivery in deliveries:
            out.blamed.setdefault(delivery, []).append(check)
    if out.blocking:
        return out
    facilities = {f for f, _ in out.blamed}
    for delivery in sorted(d for d in pending_set or () if d[0] in facilities):
        out.held_back[delivery] = sorted(out.blamed.get(delivery, [])) or [
            "same facility as " + ", ".join(f"{f} {m}" for f, m in sorted(out.blamed) if f == delivery[0])
        ]
    return out


def _blocking_reason(
    error: Mapping[str, Any], blame: Sequence[Mapping[str, Any]], pending: set[tuple[str, int]] | None
) -> str | None:
    if error.get("status") != "fail":
        return "the check did not run to completion (status error)"
    unlocated = [key for key in blame if key.get("facility_code") is None or key.get("located_by") not in LOCATED]
    if unlocated:
        how = unlocated[0].get("located_by")
        return "a check of a seed (reference data)" if how == "seed" else "its failing rows name no delivery"
    if not blame:
        return "its failing rows name no delivery"
    if pending is None:
        return "a first or full publication is all or nothing"
    return None


def stay_deliveries(con: duckdb.DuckDBPyConnection, stays: Iterable[str]) -> dict[str, set[tuple[str, int]]]:
    """Every delivery (any version) that contained each stay: stage.int_stays__delivery_versions."""
    import duckdb

    wanted = sorted({s for s in stays if s})
    if not wanted:
        return {}
    try:
        rows = con.execute(
            "select distinct stay_id, facility_code, yyyymm from stage.int_stays__delivery_versions "
            "where stay_id in (select unnest(?::varchar[]))",
            [wanted],
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    out: dict[str, set[tuple[str, int]]] = {}
    for stay, facility, yyyymm in rows:
        out.setdefault(str(stay), set()).add((str(facility), int(yyyymm)))
    return out
