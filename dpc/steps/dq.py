"""DQ step: read the results dbt computed into dq.dq_results for a run and decide whether it may publish.

Each check is defined once, as a dbt test (docs/decisions/0009); this step only records and evaluates.
An error-severity check that failed (or errored) stops publication; warnings are reported.

STANDARD LIBRARY ONLY at import time: the DataQuality Lambda imports this module. The verdict is one pure
function over result rows (:func:`verdict_from_rows`); the DuckDB path (:func:`evaluate`, local runs) and the
Redshift Data API path (``orchestration/lambdas/data_quality.py`` through :mod:`dpc.steps.redshift`) both
read the same columns with the same queries (:data:`RESULT_COLUMNS`, :func:`results_sql`,
:data:`RECONCILIATION_SQL`) and hand the rows to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only; duckdb is imported lazily by evaluate()
    import duckdb

RESULT_COLUMNS = ("check_name", "model_name", "status", "severity", "failing_rows", "message")
RECONCILIATION_SQL = "select count(*) from dq.dq_reconciliation where difference <> 0"


def results_sql(placeholder: str = "?") -> str:
    """The query of one run's results; ``placeholder`` is the engine's parameter marker (``?`` or ``:run_id``)."""
    return f"select {', '.join(RESULT_COLUMNS)} from dq.dq_results where run_id = {placeholder} order by check_name"


@dataclass
class DqVerdict:
    run_id: str
    passed: int = 0
    warnings: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
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


def verdict_from_rows(run_id: str, rows: Iterable[Sequence[Any]], reconciliation_mismatches: int = 0) -> DqVerdict:
    """The verdict over one run's result rows (columns in the order of :data:`RESULT_COLUMNS`)."""
    verdict = DqVerdict(run_id=run_id, reconciliation_mismatches=int(reconciliation_mismatches or 0))
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
            verdict.errors.append(item)
        elif status in ("warn", "fail", "error"):
            verdict.warnings.append(item)
    return verdict


def evaluate(con: duckdb.DuckDBPyConnection, run_id: str) -> DqVerdict:
    """The local (DuckDB) path: read the run's rows and the reconciliation, then :func:`verdict_from_rows`."""
    import duckdb

    rows = con.execute(results_sql("?"), [run_id]).fetchall()
    try:
        mismatches = con.execute(RECONCILIATION_SQL).fetchone()[0]
    except duckdb.CatalogException:
        mismatches = 0
    return verdict_from_rows(run_id, rows, mismatches)
