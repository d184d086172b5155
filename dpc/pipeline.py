"""The local walk through the pipeline's steps — the same step functions the AWS state machine calls.

validate → normalise → load → dbt build (into mart_build) → DQ gate → publish (mart) → export → docs → notify.
DuckDB stands in for Redshift/Athena. Each delivery (facility × month) is validated and loaded on its own;
a rejected delivery is reported and skipped, and nothing of it is loaded.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dpc import paths
from dpc.layouts import KIND_SLUG
from dpc.manifest import MANIFEST_NAME
from dpc.pseudonymise import load_key
from dpc.readers import FileRejected
from dpc.steps import dq, export, load, publish, transform
from dpc.steps.normalise import normalise_delivery
from dpc.steps.validate import find_deliveries, validate_delivery
from dpc.storage import LocalStorage

LAYERS = ("raw", "stage", "mart_build", "mart", "ref", "dq")


@dataclass
class DeliveryOutcome:
    facility_code: str
    yyyymm: int
    status: str  # loaded | unchanged | rejected
    findings: list[dict[str, object]] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantined: list[dict[str, object]] = field(default_factory=list)  # per file: reason_code → rows
    archived_to: str | None = None  # the replaced version's archive, on a re-delivery


@dataclass
class RunSummary:
    run_id: str
    target: str
    started_at: str
    deliveries: list[DeliveryOutcome] = field(default_factory=list)
    dbt: dict[str, object] = field(default_factory=dict)
    dq: dict[str, object] = field(default_factory=dict)
    published: bool = False
    publication: dict[str, object] = field(default_factory=dict)
    rows_per_layer: dict[str, int] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    docs_path: str | None = None
    report_path: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    headline: dict[str, object] = field(default_factory=dict)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.published

    @property
    def rejected(self) -> list[DeliveryOutcome]:
        return [d for d in self.deliveries if d.status == "rejected"]

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "started_at": self.started_at,
            "ok": self.ok,
            "published": self.published,
            "publication": self.publication,
            "error": self.error,
            "deliveries": [d.__dict__ for d in self.deliveries],
            "dbt": self.dbt,
            "dq": self.dq,
            "rows_per_layer": self.rows_per_layer,
            "exports": self.exports,
            "docs_path": self.docs_path,
            "report_path": self.report_path,
            "seconds": self.seconds,
            "headline": self.headline,
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def ingest(lake: Path, db_path: Path, run_id: str, *, force: bool = False) -> list[DeliveryOutcome]:
    """Validate, normalise and load every delivery under raw/ whose manifest changed since its last load.

    A delivery is rejected (nothing of it loaded, its previous version left in place) when its manifest check
    fails or the normaliser rejects one of its files; the other deliveries go on. A new version archives the
    previous one first (:mod:`dpc.steps.load`).
    """
    storage = LocalStorage(lake)
    outcomes: list[DeliveryOutcome] = []
    deliveries = find_deliveries(storage)
    key = load_key() if deliveries else b""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        load.ensure_raw_tables(con)
        for facility_code, yyyymm in deliveries:
            report = validate_delivery(storage, facility_code, yyyymm)
            if not report.ok:
                outcomes.append(DeliveryOutcome(facility_code, yyyymm, "rejected", findings=list(report.findings)))
                continue
            manifest_sha = report.manifest_sha256 or ""
            previous = load.latest_load(con, facility_code, yyyymm)
            if not force and previous is not None and previous.manifest_sha256 == manifest_sha:
                outcomes.append(DeliveryOutcome(facility_code, yyyymm, "unchanged"))
                continue
            replaces = previous is not None and previous.manifest_sha256 != manifest_sha
            if replaces:  # keep the version being replaced: its stage Parquet, before the normaliser overwrites it
                load.archive_stage(storage, facility_code, yyyymm, previous.manifest_sha256)
            load_id = f"{run_id}-{facility_code}-{yyyymm}"
            try:
                result = normalise_delivery(storage, storage, facility_code, yyyymm, key=key, load_id=load_id)
            except FileRejected as exc:
                finding = {
                    "file": exc.file,
                    "line": exc.line,
                    "column": exc.column,
                    "reason_code": getattr(exc, "reason_code", "file_rejected"),
                    "reason": exc.reason,
                }
                outcomes.append(DeliveryOutcome(facility_code, yyyymm, "rejected", findings=[finding]))
                continue
            files = loaded_files(report.manifest or {}, result.as_dict())
            load.archive_raw(storage, facility_code, yyyymm, manifest_sha, [f.source_file for f in files])
            archived_to = None
            if replaces:
                archived_to = load.archive_prefix(facility_code, yyyymm, previous.manifest_sha256)
                if not storage.exists(archived_to + MANIFEST_NAME):  # loaded before archiving existed
                    archived_to = load.stage_archive_prefix("*", facility_code, yyyymm, previous.manifest_sha256)
            load.load_delivery_duckdb(
                con,
                lake,
                facility_code,
                yyyymm,
                load_id=load_id,
                files=files,
                manifest_sha256=manifest_sha,
                archived_to=archived_to,
            )
            rows = {
                f.kind: {"delivered": f.delivered_rows, "accepted": f.accepted_rows, "quarantined": f.quarantined_rows}
                for f in files
            }
            reasons = {f.source_file: r for f in result.files if (r := f.reasons)}
            quarantined = [{"file": name, "reasons": r} for name, r in reasons.items()]
            outcomes.append(
                DeliveryOutcome(
                    facility_code, yyyymm, "loaded", rows=rows, quarantined=quarantined, archived_to=archived_to
                )
            )
    return outcomes


def loaded_files(manifest: dict[str, object], normalised: dict[str, object]) -> list[load.LoadedFile]:
    """Join the manifest's facts (sha256, bytes) with the normaliser's counts, per delivered file."""
    facts = {f["name"]: f for f in manifest.get("files", [])}  # type: ignore[union-attr]
    out = []
    for f in normalised["files"]:  # type: ignore[union-attr]
        m = facts.get(f["source_file"], {})
        out.append(
            load.LoadedFile(
                kind=f["kind"],
                source_file=f["source_file"],
                sha256=str(m.get("sha256", "")),
                bytes=int(m.get("bytes", 0)),
                delivered_rows=int(f["delivered"]),
                accepted_rows=int(f["accepted"]),
                quarantined_rows=int(f["quarantined"]),
                warnings=int(f["warnings"]),
            )
        )
    return out


def rows_per_layer(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out: dict[str, int] = {}
    for schema in LAYERS:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [schema]
            ).fetchall()
        ]
        out[schema] = sum(con.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0] for t in tables)
    return out


def headline(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """A few published numbers an analyst can sanity-check at a glance."""
    row = con.execute(
        "select count(*), count(*) filter (where is_discharged), round(avg(los_days), 1), "
        "round(sum(billed_points) filter (where is_discharged) / sum(los_days), 0), "
        "round(100 * avg(case when is_readmitted_30d then 1.0 else 0.0 end) filter (where is_discharged), 1) "
        "from mart.fct_admissions"
    ).fetchone()
    return {
        "stays": row[0],
        "discharges": row[1],
        "mean_los_days": row[2],
        "points_per_day": row[3],
        "readmission_30d_pct": row[4],
    }


def run_local(
    *,
    lake: Path | None = None,
    db_path: Path | None = None,
    select: str | None = None,
    docs: bool = True,
    report: bool = True,
    force: bool = False,
    quiet: bool = True,
) -> RunSummary:
    lake = lake or paths.lake_dir()
    db_path = db_path or paths.duckdb_path()
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, target="local", started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    clock = time.monotonic()

    summary.deliveries = ingest(lake, db_path, run_id, force=force)
    summary.seconds["ingest"] = round(time.monotonic() - clock, 2)

    # what this publication must copy: every delivery loaded since the last complete publication (a killed or
    # failed run leaves its deliveries pending; this run resumes them from mart_build)
    with duckdb.connect(str(db_path)) as con:
        touched = publish.pending(con)
    build_started_at = datetime.now(UTC)

    args = ["build"] + (["--select", select] if select else [])
    # incremental models recompute exactly the pending deliveries (DECISIONS item 5, docs/engines.md);
    # nothing published yet (touched None): no var, dbt recomputes every delivery
    if touched is not None:
        pending_deliveries = [{"facility_code": f, "yyyymm": m} for f, m in sorted(touched.facility_months)]
        args += ["--vars", json.dumps({"deliveries": pending_deliveries})]
    outcome = transform.run_dbt(args, duckdb_path=db_path, quiet=quiet, extra_env={"DPC_RUN_ID": run_id})
    summary.seconds["dbt_build"] = outcome.seconds
    summary.dbt = {
        "invocation_id": outcome.invocation_id,
        "success": outcome.success,
        "counts": outcome.counts(),
        "failed": [f"{n.unique_id}: {n.message}" for n in outcome.failed()],
        "error": outcome.error,
    }

    with duckdb.connect(str(db_path)) as con:
        verdict = dq.evaluate(con, outcome.invocation_id or "")
        summary.dq = verdict.as_dict()
        if outcome.success and verdict.ok:
            step = time.monotonic()
            tables = publish.publish_duckdb(
                con, touched, run_id=run_id, build_started_at=build_started_at, complete=select is None
            )
            summary.published = True
            summary.publication = {"touched": None if touched is None else touched.as_dict(), "tables": tables}
            summary.exports = export.export_duckdb(con, lake, touched, tables)
            summary.headline = headline(con)
            summary.seconds["publish_export"] = round(time.monotonic() - step, 2)
        else:
            summary.error = outcome.error or "dbt build or the DQ gate failed: the published mart was left unchanged"
        summary.rows_per_layer = rows_per_layer(con)

    if docs:
        summary.docs_path = build_docs(db_path, quiet=quiet)
    if report and summary.published:
        summary.report_path = build_report(db_path)
    summary.seconds["total"] = round(time.monotonic() - clock, 2)
    write_summary(summary)
    return summary


def build_docs(db_path: Path, *, quiet: bool = True) -> str | None:
    """dbt docs generate --static: one HTML file that opens from disk (DECISIONS item 12)."""
    outcome = transform.run_dbt(["docs", "generate", "--static"], duckdb_path=db_path, quiet=quiet)
    static = transform.target_path() / "static_index.html"
    if not outcome.success or not static.exists():
        return None
    target = paths.data_dir() / "docs" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static, target)
    return str(target)


def build_report(db_path: Path) -> str | None:
    """The static KPI report, when the report module is present."""
    try:
        from dpc import report
    except ImportError:
        return None
    return str(report.write_report(db_path, paths.data_dir() / "report" / "index.html"))


def write_summary(summary: RunSummary) -> Path:
    path = paths.data_dir() / "runs" / f"{summary.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


__all__ = ["KIND_SLUG", "RunSummary", "ingest", "run_local"]
