"""Normalise step for one delivery — the one per-delivery ingest of the local pipeline and the runner alike.

Given a delivery that passed validation (:func:`dpc.steps.validate.validate_delivery`) and the version it would
replace, :func:`ingest_delivery`:

1. skips it when that version is the one already loaded (``unchanged``; ``force`` normalises it again);
2. normalises it under its own load prefix (:func:`dpc.steps.normalise.normalise_delivery`; nothing reads that
   prefix until the load is recorded, docs/decisions/0011) — a rejected file gives ``rejected`` with its finding;
3. archives the version's raw files (never the raw K生成用データ, docs/decisions/0003) and names the archive of
   the version it replaces (:mod:`dpc.steps.load`);
4. answers with the normaliser's own per-file result (:class:`Ingested`), the one shape the load step and the
   notification read (the runner returns ``Ingested.as_dict()`` to the state machine; LoadRaw reads it back).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dpc.readers import FileRejected
from dpc.steps import load, step
from dpc.steps.load import NORMALISED, REJECTED, UNCHANGED, Ingested
from dpc.steps.normalise import normalise_delivery
from dpc.steps.validate import ValidationReport
from dpc.storage import Storage


def loaded_files(manifest: Mapping[str, Any], normalised_files: Sequence[Mapping[str, Any]]) -> list[load.LoadedFile]:
    """Join the manifest's facts (sha256, bytes) with the normaliser's counts, per delivered file."""
    facts = {str(f["name"]): f for f in manifest.get("files", [])}
    out = []
    for f in normalised_files:
        m = facts.get(str(f["source_file"]), {})
        out.append(
            load.LoadedFile(
                kind=str(f["kind"]),
                source_file=str(f["source_file"]),
                sha256=str(m.get("sha256", "")),
                bytes=int(m.get("bytes", 0)),
                delivered_rows=int(f["delivered"]),
                accepted_rows=int(f["accepted"]),
                quarantined_rows=int(f["quarantined"]),
                warnings=int(f["warnings"]),
            )
        )
    return out


@step("normalise")
def ingest_delivery(
    storage: Storage,
    report: ValidationReport,
    *,
    key: bytes,
    load_id: str,
    previous: load.PreviousLoad | None,
    force: bool = False,
    target: Storage | None = None,
) -> Ingested:
    """Normalise one validated delivery (see the module docstring). ``previous``: the version it replaces (the
    warehouse's latest recorded load locally, :func:`dpc.steps.load.last_ingested` on AWS); ``target``: where
    stage and archive are written when not ``storage`` itself (the runner writes with the bucket's KMS key)."""
    target = target or storage
    facility_code, yyyymm = report.facility_code, int(report.yyyymm)
    out = Ingested(facility_code, yyyymm, REJECTED, load_id=load_id, manifest_sha256=report.manifest_sha256 or "")
    if not report.ok:
        out.findings = list(report.findings)
        return out
    same_version = previous is not None and previous.manifest_sha256 == out.manifest_sha256
    if same_version and not force:  # rewritten with the same content (a new upload of the same version)
        out.status = UNCHANGED
        return out
    try:
        result = normalise_delivery(storage, target, facility_code, yyyymm, key=key, load_id=load_id)
    except FileRejected as exc:
        out.findings = [
            {
                "file": exc.file,
                "line": exc.line,
                "column": exc.column,
                "reason_code": getattr(exc, "reason_code", "file_rejected"),
                "reason": exc.reason,
            }
        ]
        return out
    normalised = [f.as_dict() for f in result.files]
    out.files = loaded_files(report.manifest or {}, normalised)
    out.outputs = dict(result.outputs)
    out.quarantined = [{"file": f.source_file, "reasons": f.reasons} for f in result.files if f.reasons]
    load.archive_raw(target, facility_code, yyyymm, out.manifest_sha256, [f.source_file for f in out.files])
    out.archived_to = None if same_version else load.archived_to(target, facility_code, yyyymm, previous)
    load.record_ingested(target, facility_code, yyyymm, load_id, out.manifest_sha256)
    out.status = NORMALISED
    return out
