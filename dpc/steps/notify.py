"""Notify step: the run summary people can act on — printed locally, published to SNS/Slack on AWS.

The same ``summary_fields`` feed the terminal summary of ``dpc run`` and the Notify Lambda's message,
so the local run and the state machine report the same things.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dpc.steps import step

# docs/decisions/0024: the run statuses and the exit code of each — the same words in the terminal, the JSON
# summary, the notification and the exit code
RUN_STATUSES: dict[str, int] = {"SUCCEEDED": 0, "PARTIAL": 2, "FAILED": 1, "NOTHING_TO_DO": 0, "NO_DELIVERIES": 1}
# the state machine's Notify states name how an execution (one delivery) ended; REJECTED is a delivery status there,
# and the run it ends is FAILED (nothing published) — docs/decisions/0024
EXECUTION_STATUSES: dict[str, str] = {"SUCCEEDED": "SUCCEEDED", "REJECTED": "FAILED", "FAILED": "FAILED"}


def run_status(summary: Mapping[str, Any]) -> str:
    """The run status of a summary: its own ``status`` when it has one (the local run), else from ``ok``."""
    status = summary.get("status")
    if status in RUN_STATUSES:
        return str(status)
    return "SUCCEEDED" if summary.get("ok") else "FAILED"


def execution_run_status(execution_status: str) -> str:
    """The run status of a state machine execution, from the status its Notify state passes (anything else: FAILED)."""
    return EXECUTION_STATUSES.get(execution_status, "FAILED")


def exit_code(status: str) -> int:
    """The process exit code of a run status (docs/decisions/0024)."""
    return RUN_STATUSES[status]


def summary_fields(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The fields every notification carries (local run and state machine alike)."""
    deliveries = summary.get("deliveries", [])
    dbt_counts = (summary.get("dbt") or {}).get("counts", {})
    dq = summary.get("dq") or {}
    return {
        "run_id": summary.get("run_id"),
        "status": run_status(summary),
        "deliveries": [
            {
                "facility_code": d["facility_code"],
                "yyyymm": d["yyyymm"],
                "status": d["status"],
                "findings": len(d.get("findings", [])),
                **({"held_back_by": d["held_back_by"]} if d.get("held_back_by") else {}),
            }
            for d in deliveries
        ],
        "models": dbt_counts.get("model", {}),
        "tests": {k: v for k, v in dbt_counts.get("test", {}).items()},
        "unit_tests": dbt_counts.get("unit_test", {}),
        "dq_errors": len(dq.get("errors", [])),
        "dq_warnings": len(dq.get("warnings", [])),
        "rows_per_layer": summary.get("rows_per_layer", {}),
        "published": bool(summary.get("published")),
        "docs": summary.get("docs_path"),
        "report": summary.get("report_path"),
        "error": summary.get("error"),
    }


@step("notify")
def format_summary(summary: Mapping[str, Any]) -> str:
    """A readable multi-line summary for the terminal (and the body of the e-mail/Slack message)."""
    f = summary_fields(summary)
    lines = [f"DPC pipeline run {f['run_id']}: {f['status']}", ""]
    lines.append("Deliveries (facility × month):")
    if not summary.get("deliveries"):
        lines.append("  none found")
    for d in summary.get("deliveries", []):
        rows = d.get("rows") or {}
        detail = ", ".join(
            f"{k} {v['accepted']:,}" + (f" (+{v['quarantined']} quarantined)" if v.get("quarantined") else "")
            for k, v in rows.items()
        )
        lines.append(f"  {d['facility_code']} {d['yyyymm']}  {d['status']:<9} {detail}")
        findings = d.get("findings", [])
        for finding in findings[:10]:
            lines.append(f"      ✗ {_where(finding)} {finding.get('reason', '')} [{finding.get('reason_code', '')}]")
        if len(findings) > 10:
            lines.append(f"      … and {len(findings) - 10} more findings")
        for q in d.get("quarantined", []):
            reasons = ", ".join(f"{code} {n}" for code, n in q["reasons"].items())
            lines.append(f"      ! {q['file']}: rows quarantined ({reasons}) — see dq.dq_quarantine_summary")
        if d.get("archived_to"):
            lines.append(f"      previous version archived in {d['archived_to']}")
        for check in d.get("held_back_by") or []:
            lines.append(f"      ✗ held back: {check} — not published, retried by the next run")
        for warning in d.get("warnings") or []:
            lines.append(f"      ! warning: {warning}")
    misplaced = list(summary.get("misplaced") or [])
    if misplaced:
        lines.append(f"  ! {len(misplaced)} file(s) under raw/ belong to no delivery (not loaded): move each to")
        lines.append("    raw/yyyymm=YYYYMM/facility=NNNNNNNNN/ (a real month, the 9-digit 施設コード):")
        lines += [f"      {key}" for key in misplaced[:10]]
        if len(misplaced) > 10:
            lines.append(f"      … and {len(misplaced) - 10} more")
    lines.append("")
    if f["rows_per_layer"]:
        lines.append("Rows per layer: " + ", ".join(f"{k} {v:,}" for k, v in f["rows_per_layer"].items()))
    if summary.get("dbt"):
        lines.append("dbt models:     " + _counts(f["models"]))
        lines.append(
            "dbt tests:      "
            + _counts(f["tests"])
            + ("  unit tests: " + _counts(f["unit_tests"]) if f["unit_tests"] else "")
        )
    else:
        lines.append("dbt:            not run")
    dq = summary.get("dq") or {}
    if dq:
        lines.append(
            f"DQ:             {dq.get('passed', 0)} passed, {f['dq_warnings']} warnings, {f['dq_errors']} errors"
            f", reconciliation mismatches {dq.get('reconciliation_mismatches', 0)}"
        )
    for w in dq.get("warnings", [])[:10]:
        lines.append(f"      ! warn {w['check']} on {w.get('model') or '?'} ({w['failing_rows']} rows)")
    blamed: dict[str, list[str]] = {}  # check → the deliveries it holds back
    for h in (dq.get("attribution") or {}).get("held_back", []):
        for check in h["checks"]:
            blamed.setdefault(check, []).append(f"{h['facility_code']} {h['yyyymm']}")
    for e in dq.get("errors", [])[:10]:
        on = f" — holds back {', '.join(blamed[e['check']])}" if e["check"] in blamed else ""
        lines.append(f"      ✗ error {e['check']} ({e['failing_rows']} rows){on}")
    for blocking in (dq.get("attribution") or {}).get("blocking", [])[:10]:
        lines.append(f"      ✗ blocks every delivery: {blocking}")
    kpis = summary.get("headline") or {}
    if kpis:
        lines.append("Headline:       " + ", ".join(f"{k} {v}" for k, v in kpis.items()))
    if summary.get("skipped"):
        lines.append(f"Published mart: unchanged — {summary['skipped']}")
    else:
        published = "yes" if f["published"] else "NO — mart left as it was"
        lines.append(f"Published mart: {published}{_publication(summary)}")
    if f["error"]:
        lines.append(f"Error:          {f['error']}")
    if f["docs"]:
        lines.append(f"Docs site:      {f['docs']}  (open in a browser; `dpc docs --serve` serves it)")
    if f["report"]:
        lines.append(f"KPI report:     {f['report']}")
    secs = summary.get("seconds", {})
    lines.append("Elapsed:        " + ", ".join(f"{k} {v}s" for k, v in secs.items()))
    return "\n".join(lines)


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"


def _where(finding: Mapping[str, Any]) -> str:
    """FILE:LINE column COL: — the place a finding points at (line 0 = the whole file)."""
    where = str(finding.get("file", ""))
    if finding.get("line"):
        where += f":{finding['line']}"
    if finding.get("column"):
        where += f" column {finding['column']}"
    return where + ":"


def _publication(summary: Mapping[str, Any]) -> str:
    touched = (summary.get("publication") or {}).get("touched")
    if not summary.get("published"):
        return ""
    if touched is None:
        return " (every table replaced)"
    held = (summary.get("publication") or {}).get("held_back") or []
    kept = f"; {len(held)} held back, their facilities' published rows kept" if held else ""
    return f" ({len(touched['facility_months'])} deliveries copied from mart_build{kept})"
