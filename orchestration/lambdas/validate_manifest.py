"""ValidateManifest: the delivery's files against its manifest — the local pipeline's checks, from the listing.

Calls :func:`dpc.steps.validate.validate_delivery` with ``contents=False`` on the data bucket: the manifest's
fields, files present and not extra, sizes (from ListObjectsV2), kinds. It reads the manifest and deletion records
only — its role may read no delivered file (docs/decisions/0017) — so sha256 and data-row counts are checked by the
normalise task, the only one that reads ``raw/`` (``DeliveryRejected`` from there). Returns the report; ``ok`` false sends the execution to NotifyRejected with ``cause`` (one line per
finding: file, line, reason) — the Lambda itself only fails when it cannot read the bucket.
"""

from __future__ import annotations

from typing import Any

from lambda_common import bucket_of, client, delivery_of, log, state_of

from dpc.steps.validate import validate_delivery
from dpc.storage import S3Storage

MAX_CAUSE_FINDINGS = 20


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    facility_code, yyyymm = delivery_of(event)
    storage = S3Storage(bucket=bucket_of(event), client=client("s3"))
    report = validate_delivery(storage, facility_code, yyyymm, contents=False)
    out = report.as_dict()
    files = (report.manifest or {}).get("files") if report.ok else None
    out["files"] = [
        {k: f.get(k) for k in ("name", "kind", "bytes", "rows", "sha256")} for f in files or [] if isinstance(f, dict)
    ]
    expected = state_of(event).get("manifest_sha256")
    out["manifest_changed"] = bool(expected and report.manifest_sha256 and expected != report.manifest_sha256)
    out["cause"] = rejection_cause(facility_code, yyyymm, report.findings)
    log(step="validate", facility_code=facility_code, yyyymm=yyyymm, ok=report.ok, findings=len(report.findings))
    return out


def rejection_cause(facility_code: str, yyyymm: int, findings: list[dict[str, object]]) -> str:
    """A readable cause: every finding as ``file:line: reason [code]``."""
    if not findings:
        return ""
    lines = [
        f"{f['file']}{':' + str(f['line']) if f.get('line') else ''}: {f['reason']} [{f['reason_code']}]"
        for f in findings[:MAX_CAUSE_FINDINGS]
    ]
    more = len(findings) - MAX_CAUSE_FINDINGS
    if more > 0:
        lines.append(f"… and {more} more finding(s)")
    return f"delivery {facility_code} {yyyymm} rejected:\n" + "\n".join(lines)
