"""DQ step: read the results dbt computed into dq.dq_results for a run and decide whether it may publish.

Each check is defined once, as a dbt test (DECISIONS item 9); this step only records and evaluates.
An error-severity check that failed (or errored) stops publication; warnings are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb


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


def evaluate(con: duckdb.DuckDBPyConnection, run_id: str) -> DqVerdict:
    rows = con.execute(
        "select check_name, model_name, status, severity, failing_rows, message from dq.dq_results "
        "where run_id = ? order by check_name",
        [run_id],
    ).fetchall()
    verdict = DqVerdict(run_id=run_id)
    for check, model, status, severity, failing, message in rows:
        item = {"check": check, "model": model, "status": status, "severity": severity, "failing_rows": failing,
                "message": message}
        if status == "pass":
            verdict.passed += 1
        elif status in ("fail", "error") and severity == "error":
            verdict.errors.append(item)
        elif status in ("warn", "fail", "error"):
            verdict.warnings.append(item)
    try:
        verdict.reconciliation_mismatches = con.execute(
            "select count(*) from dq.dq_reconciliation where difference <> 0"
        ).fetchone()[0]
    except duckdb.CatalogException:
        verdict.reconciliation_mismatches = 0
    return verdict
