"""The local walk through the pipeline's steps — the same step functions the AWS state machine calls.

validate → normalise → load → dbt build (into mart_build) → DQ gate → publish (mart) → export → docs → notify.
DuckDB stands in for Redshift/Athena. Each delivery (facility × month) is validated and loaded on its own;
a rejected delivery is reported and skipped, and nothing of it is loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from dpc import build_state, duck, paths, progress, recovery, sandbox
from dpc.errors import RunLocked
from dpc.executors.duckdb import DuckDBExecutor, loaded_by_default, publish_duckdb
from dpc.executors.duckdb_export import export_duckdb
from dpc.facility_profiles import load_profiles
from dpc.layouts import KIND_SLUG
from dpc.pseudonymise import load_key
from dpc.steps import docs_site, dq, notify, publish, transform
from dpc.steps.identifiers import holds_direct_identifiers
from dpc.steps.ingest import NORMALISED, REJECTED, Ingested, ingest_delivery
from dpc.steps.load import LoadPlan, PreviousLoad
from dpc.steps.validate import delivery_profile_warnings, find_deliveries, misplaced, validate_delivery
from dpc.storage import LocalStorage, delivery_prefix

LAYERS = ("raw", "stage", "internal", "mart_build", "mart", "ref", "dq")
# named selections of selectors.yml: a data run, and the demo/test/CI run that adds the dbt unit tests
SELECTOR_DATA_RUN = "pipeline"
SELECTOR_WITH_UNIT_TESTS = "pipeline_and_unit_tests"


@dataclass
class DeliveryOutcome:
    facility_code: str
    yyyymm: int
    status: str  # loaded | unchanged | rejected | held_back (docs/decisions/0024, 0028)
    findings: list[dict[str, object]] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    quarantined: list[dict[str, object]] = field(default_factory=list)  # per file: reason_code → rows
    archived_to: str | None = None  # the replaced version's archive, on a re-delivery
    held_back_by: list[str] = field(default_factory=list)  # held_back: the failing checks that blame it, or why
    # files the facility's profile says it owes and the delivery lacks (dpc/facility_profiles.py): never a rejection
    warnings: list[str] = field(default_factory=list)


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
    misplaced: list[str] = field(default_factory=list)  # files under raw/ that belong to no delivery
    skipped: str | None = None  # why dbt, publication, docs and report did not run: nothing needed rebuilding

    @property
    def ok(self) -> bool:
        """No error, and the mart is published: by this run, or as it was when nothing needed rebuilding."""
        return self.error is None and (self.published or self.skipped is not None)

    @property
    def rejected(self) -> list[DeliveryOutcome]:
        return [d for d in self.deliveries if d.status == "rejected"]

    @property
    def held_back(self) -> list[DeliveryOutcome]:
        return [d for d in self.deliveries if d.status == "held_back"]

    @property
    def status(self) -> str:
        """The run status of docs/decisions/0024 (its table, in this order): NO_DELIVERIES (nothing under raw/),
        FAILED (every delivery rejected, or nothing published), NOTHING_TO_DO (nothing needed rebuilding and nothing
        was refused), PARTIAL (published — or left as published when nothing needed rebuilding — while some
        deliveries were rejected or held back, or files under raw/ belong to no delivery), SUCCEEDED."""
        if not self.deliveries:
            return "NO_DELIVERIES"
        if len(self.rejected) == len(self.deliveries) or not self.ok:
            return "FAILED"
        refused = self.rejected or self.held_back or self.misplaced
        if self.skipped is not None:
            return "PARTIAL" if refused else "NOTHING_TO_DO"
        return "PARTIAL" if refused else "SUCCEEDED"

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "started_at": self.started_at,
            "status": self.status,
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
            "misplaced": self.misplaced,
            "skipped": self.skipped,
        }


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def ingest(lake: Path, db_path: Path, run_id: str, *, force: bool = False) -> list[DeliveryOutcome]:
    """Validate, normalise and load every delivery under raw/ whose manifest changed since its last load.

    Per delivery, the steps in their order (:data:`dpc.steps.DELIVERY_STEPS`) — the same functions the AWS path
    calls: :func:`~dpc.steps.validate.validate_delivery`, :func:`~dpc.steps.ingest.ingest_delivery` (normalise
    under a new load prefix, archive), :func:`~dpc.steps.load.plan_load` run by the DuckDB executor. A delivery
    is rejected (nothing of it loaded, its previous version left in place) when its manifest check fails or the
    normaliser rejects one of its files; the other deliveries go on. A delivery whose manifest is the one already
    loaded is "unchanged"; when its raw files also have the names, sizes and modification times recorded when it
    was last validated (``state/validated/…/fingerprint.json``) they are not even read again — history grows every
    month. Deliveries are independent (docs/decisions/0001), so validating and normalising them — the CPU-heavy
    part — run in ``DPC_INGEST_WORKERS`` processes (default: the usable cores, at most 4); the loads are then
    recorded in ONE transaction (docs/decisions/0011: visible once recorded, all of this run's or none).
    """
    storage = LocalStorage(lake)
    outcomes: dict[tuple[str, int], DeliveryOutcome] = {}
    deliveries = find_deliveries(storage)
    key = load_key() if deliveries else b""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    jobs: list[_DeliveryJob] = []
    with duck.connect(db_path) as con:
        executor = DuckDBExecutor(con, lake)
        executor.ensure_raw_tables()
        for facility_code, yyyymm in deliveries:
            previous = executor.latest_load(facility_code, yyyymm)
            if not force and previous is not None and _unchanged_since_load(lake, facility_code, yyyymm, previous):
                outcomes[(facility_code, yyyymm)] = DeliveryOutcome(facility_code, yyyymm, "unchanged")
                continue
            load_id = f"{run_id}-{facility_code}-{yyyymm}"
            jobs.append(_DeliveryJob(lake, facility_code, yyyymm, load_id, previous, loaded_by_default(), force))
    prepared = _run_jobs(jobs, key)
    plans = [result.plan for result in prepared if result.plan is not None]
    with duck.connect(db_path) as con:
        DuckDBExecutor(con, lake).load(plans)
        recovery.save_history(con, lake)  # the lake keeps the load history for a rebuild (dpc/recovery.py)
    for job, result in zip(jobs, prepared, strict=True):
        ingested = result.ingested
        status = "loaded" if ingested.status == NORMALISED else ingested.status
        outcome = DeliveryOutcome(job.facility_code, job.yyyymm, status, findings=ingested.findings)
        if ingested.status == NORMALISED:
            outcome.rows = ingested.rows()
            outcome.quarantined = ingested.quarantined
            outcome.archived_to = ingested.archived_to
        if ingested.status != REJECTED:  # loaded, or validated again as the same version: next run need not read it
            _write_fingerprint(lake, job.facility_code, job.yyyymm, ingested.manifest_sha256, result.fingerprint)
        outcomes[(job.facility_code, job.yyyymm)] = outcome
    profiles = load_profiles()
    storage = LocalStorage(lake)
    for (facility_code, yyyymm), outcome in outcomes.items():
        outcome.warnings = delivery_profile_warnings(storage, facility_code, yyyymm, profiles.of(facility_code))
    return [outcomes[d] for d in deliveries]


@dataclass(frozen=True)
class _DeliveryJob:
    lake: Path
    facility_code: str
    yyyymm: int
    load_id: str
    previous: PreviousLoad | None
    loaded_by: str
    force: bool = False


@dataclass
class _Prepared:
    ingested: Ingested
    plan: LoadPlan | None  # the load of a normalised delivery, run by the parent's executor
    fingerprint: list[list[object]] = field(default_factory=list)


def _fingerprint_path(lake: Path, facility_code: str, yyyymm: int) -> Path:
    return lake / delivery_prefix("state/validated", facility_code, yyyymm) / "fingerprint.json"


def _raw_fingerprint(lake: Path, facility_code: str, yyyymm: int) -> list[list[object]]:
    """Name, size and modification time of every file in the delivery's raw prefix (what rsync and make trust)."""
    folder = lake / delivery_prefix("raw", facility_code, yyyymm)
    stats = ((p.name, p.stat()) for p in folder.iterdir() if p.is_file()) if folder.is_dir() else ()
    return sorted([name, st.st_size, st.st_mtime_ns] for name, st in stats)


def _write_fingerprint(lake: Path, facility_code: str, yyyymm: int, manifest_sha: str, files: list) -> None:
    path = _fingerprint_path(lake, facility_code, yyyymm)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"manifest_sha256": manifest_sha, "files": files}), encoding="utf-8")


def _unchanged_since_load(lake: Path, facility_code: str, yyyymm: int, previous: PreviousLoad) -> bool:
    """True when the delivery's raw files are exactly those of its latest load: same manifest, and no file
    added, removed, resized or rewritten since it was validated. Anything else is validated again, so a file
    changed behind an unchanged manifest is still rejected with its reason."""
    try:
        recorded = json.loads(_fingerprint_path(lake, facility_code, yyyymm).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded.get("manifest_sha256") == previous.manifest_sha256 and recorded.get("files") == (
        _raw_fingerprint(lake, facility_code, yyyymm)
    )


def _ingest_workers(jobs: int) -> int:
    configured = os.environ.get("DPC_INGEST_WORKERS")
    workers = int(configured) if configured else min(4, len(os.sched_getaffinity(0)))
    return max(1, min(workers, jobs))


def _run_jobs(jobs: list[_DeliveryJob], key: bytes) -> list[_Prepared]:
    """Prepare every job, in worker processes when there is more than one (spawned: no forked DuckDB state)."""
    workers = _ingest_workers(len(jobs))
    prepared: list[_Prepared] = []
    with progress.task("Validating and normalising deliveries", len(jobs), show=bool(jobs)) as bar:
        if workers <= 1:
            for job in jobs:
                prepared.append(_prepare(job, key))
                bar.advance()
            return prepared
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for result in pool.map(_prepare, jobs, [key] * len(jobs)):
                prepared.append(result)
                bar.advance()
    return prepared


def _prepare(job: _DeliveryJob, key: bytes) -> _Prepared:
    """Validate, normalise and plan the load of one delivery — the steps in their order; files only: the plan is
    run by the parent's DuckDB executor, with the other deliveries' plans, in one transaction."""
    storage = LocalStorage(job.lake)
    fingerprint = _raw_fingerprint(job.lake, job.facility_code, job.yyyymm)  # before reading: a later change shows
    report = validate_delivery(storage, job.facility_code, job.yyyymm)
    ingested = ingest_delivery(storage, report, key=key, load_id=job.load_id, previous=job.previous, force=job.force)
    # the normaliser deleted the raw K生成用データ (docs/pseudonymisation.md): the folder as it now is
    fingerprint = [entry for entry in fingerprint if not holds_direct_identifiers(str(entry[0]))]
    plan = ingested.plan(job.loaded_by) if ingested.status == NORMALISED else None
    return _Prepared(ingested, plan, fingerprint)


def rows_per_layer(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    out: dict[str, int] = {}
    for schema in LAYERS:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = ?", [schema]
            ).fetchall()
        ]
        out[schema] = sum(duck.scalar(con, f'select count(*) from "{schema}"."{t}"') for t in tables)
    return out


def headline(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """A few published numbers an analyst can sanity-check at a glance."""
    row = con.execute(
        "select count(*), count(*) filter (where is_discharged), round(avg(los_days), 1), "
        "round(sum(billed_points) filter (where is_discharged) / sum(los_days), 0), "
        "round(100 * avg(case when is_readmitted_30d then 1.0 else 0.0 end) filter (where is_discharged), 1) "
        "from mart.fct_admissions"
    ).fetchone()
    if row is None:  # an aggregate always returns one row
        raise ValueError("mart.fct_admissions returned no aggregate row")
    return {
        "stays": row[0],
        "discharges": row[1],
        "mean_los_days": row[2],
        "points_per_day": row[3],
        "readmission_30d_pct": row[4],
    }


@contextlib.contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """One run at a time per warehouse: an exclusive lock beside the DuckDB file, held for the whole run (the
    operating system releases it when the process ends, however it ends). A second run is refused with who holds it
    — two runs would ingest the same deliveries twice and the second would die on DuckDB's own file lock."""
    path = db_path.with_name(db_path.name + ".run-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLocked(
                f"another dpc run is using {db_path} ({holder}): wait for it to finish, then run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(UTC).isoformat(timespec='seconds')}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_local(
    *,
    lake: Path | None = None,
    db_path: Path | None = None,
    select: str | None = None,
    docs: bool = True,
    report: bool = True,
    force: bool = False,
    quiet: bool = True,
    unit_tests: bool = False,
    full_refresh: bool = False,
) -> RunSummary:
    """The local walk through the steps. ``full_refresh`` re-normalises every delivery (``force``), rebuilds every
    incremental model from scratch and publishes every table whole: what a change of the pseudonymisation key or of
    its construction needs (docs/pseudonymisation.md, "Migration"); the DQ history is kept (full_refresh=false).
    What the run writes is readable by its owner only (:func:`dpc.paths.owner_only`)."""
    paths.owner_only()
    force = force or full_refresh
    lake = lake or paths.lake_dir()
    db_path = db_path or paths.duckdb_path()
    with run_lock(db_path):
        return _run_local(lake, db_path, select, docs, report, force, quiet, unit_tests, full_refresh)


def rebuild(
    *,
    lake: Path | None = None,
    db_path: Path | None = None,
    docs: bool = True,
    report: bool = True,
    quiet: bool = True,
    data_tests: bool = True,
) -> tuple[RunSummary, Path | None]:
    """A new warehouse from the lake, for one that is corrupt (dpc/recovery.py): under the run lock, the old file is
    moved aside, the load and publish history are read back from the lake, the raw views point at the recorded
    loads, and a run builds every model and publishes every table whole. Returns the run's summary and where the
    old file went. ``data_tests=False`` leaves out dbt's data tests (the data passed them when it was published)."""
    paths.owner_only()
    lake = lake or paths.lake_dir()
    db_path = db_path or paths.duckdb_path()
    with run_lock(db_path):
        recovery.check_history(lake)  # before anything is moved
        moved = recovery.move_aside(db_path)
        recovery.restore_history(lake, db_path)
        summary = _run_local(
            lake, db_path, None, docs, report, False, quiet, False, False, publish_whole=True, data_tests=data_tests
        )
        return summary, moved


def _run_local(
    lake: Path,
    db_path: Path,
    select: str | None,
    docs: bool,
    report: bool,
    force: bool,
    quiet: bool,
    unit_tests: bool,
    full_refresh: bool,
    *,
    publish_whole: bool = False,
    data_tests: bool = True,
) -> RunSummary:
    run_id = new_run_id()
    summary = RunSummary(run_id=run_id, target="local", started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    clock = time.monotonic()

    summary.misplaced = misplaced(LocalStorage(lake))
    if not find_deliveries(LocalStorage(lake)):  # NO_DELIVERIES: say where the run looked; touch no warehouse
        summary.error = (
            f"no delivery found under {lake / 'raw'}: a delivery is a folder "
            "raw/yyyymm=YYYYMM/facility=NNNNNNNNN/ holding its files and manifest.json (`dpc generate` writes demo ones)"
        )
        return _finish(summary, clock)
    summary.deliveries = ingest(lake, db_path, run_id, force=force)
    summary.seconds["ingest"] = round(time.monotonic() - clock, 2)
    if len(summary.rejected) == len(summary.deliveries):  # FAILED: nothing new to build, nothing to publish
        summary.error = "every delivery was rejected: nothing was loaded, dbt did not run, the mart was left unchanged"
        return _finish(summary, clock)

    # what this publication must copy: every delivery loaded since the last complete publication (a killed or
    # failed run leaves its deliveries pending; this run resumes them from mart_build)
    with duck.connect(db_path) as con:
        touched = None if full_refresh or publish_whole else DuckDBExecutor(con, lake).pending()
    project = build_state.project_fingerprint()
    nothing_pending = touched is not None and not touched.facility_months
    if select is None and not force and nothing_pending and build_state.recorded(lake) == project:
        # NOTHING_TO_DO (or PARTIAL when deliveries were rejected): the published mart is already what a build of
        # these deliveries with this project gives — no dbt, no publication, no docs, no report
        summary.skipped = (
            "nothing to rebuild: no delivery loaded since the last publication, none pending, the dbt project unchanged"
        )
        with duck.connect(db_path) as con:
            summary.rows_per_layer = rows_per_layer(con)
        return _finish(summary, clock)
    build_started_at = datetime.now(UTC)

    # unit tests check the models' logic, not the data: `make test`, CI and the demo run them, a data run need not.
    # The two selections are named in selectors.yml, so that a plain `dbt build --selector …` builds the same nodes.
    # A rebuild from the lake (dpc rebuild) may leave the data tests out: they passed when the data was published.
    if select:
        excluded = ([] if unit_tests else ["unit_test"]) + ([] if data_tests else ["test"])
        args = ["build", "--select", select] + (["--exclude-resource-type", *excluded] if excluded else [])
    else:
        args = ["build", "--selector", SELECTOR_WITH_UNIT_TESTS if unit_tests else SELECTOR_DATA_RUN]
        args += [] if data_tests else ["--exclude-resource-type", "test"]
    args += ["--full-refresh"] if full_refresh else []
    # incremental models recompute exactly the pending deliveries (docs/decisions/0005, docs/engines.md), passed in
    # DPC_DELIVERIES rather than --vars: a changed var forces dbt to re-parse the whole project on every run.
    # Nothing published yet (touched None): no list, dbt recomputes every delivery.
    # logs/dbt.log at info, not debug, unless asked: debug logs every query of every node (1–3 s a run)
    dbt_env = {
        "DPC_RUN_ID": run_id,
        "DPC_DELIVERIES": "",
        "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "info"),
    }
    if touched is not None:
        pending_deliveries = [{"facility_code": f, "yyyymm": m} for f, m in sorted(touched.facility_months)]
        dbt_env["DPC_DELIVERIES"] = json.dumps(pending_deliveries)
    # a failing data test does not stop the build: the nodes it skipped are built and tested too, so that the
    # deliveries it does not blame can be published (docs/decisions/0028)
    with progress.task("dbt build", show=quiet) as bar:  # nodes done out of total, from dbt's own events
        outcome = transform.build(
            args, duckdb_path=db_path, quiet=quiet, extra_env=dbt_env, callbacks=[progress.dbt_callback(bar)]
        )
    summary.seconds["dbt_build"] = outcome.seconds
    summary.dbt = {
        "invocation_id": outcome.invocation_id,
        "invocation_ids": outcome.invocation_ids,
        "success": outcome.success,
        "counts": outcome.counts(),
        "failed": [f"{n.unique_id}: {n.message}" for n in outcome.failed()],
        "error": outcome.error,
    }

    with duck.connect(db_path) as con:
        verdict = dq.evaluate(con, outcome.invocation_ids or [outcome.invocation_id or ""])
        summary.dq = verdict.as_dict()
        publishable, held_back = _what_to_publish(con, summary, outcome, verdict, touched)
        if publishable is not False:
            step = time.monotonic()
            try:
                with progress.task("Publishing mart_build → mart"):
                    tables = publish_duckdb(
                        con,
                        publishable,
                        run_id=run_id,
                        build_started_at=build_started_at,
                        complete=select is None,
                        held_back=held_back,
                    )
            except publish.PublicationBlocked as exc:
                summary.error = f"{exc}: the published mart was left unchanged"
            else:
                summary.published = True
                summary.publication = {
                    "touched": None if publishable is None else publishable.as_dict(),
                    "held_back": sorted([f, m] for f, m in held_back),
                    "tables": tables,
                }
                with progress.task("Exporting Parquet (tables)") as bar:
                    summary.exports = export_duckdb(con, lake, publishable, tables, on_table=bar.advance)
                summary.headline = headline(con)
                if select is None and not held_back:  # the next run can tell whether it has anything to do
                    build_state.record(lake, project, run_id)
                recovery.save_history(con, lake)
            summary.seconds["publish_export"] = round(time.monotonic() - step, 2)
        summary.rows_per_layer = rows_per_layer(con)

    if summary.published and sandbox.snapshot_path(db_path).exists():
        sandbox.write_snapshot(db_path)  # learners' sandboxes are reset from it, never from this warehouse
    if docs:
        summary.docs_path = build_docs(db_path, quiet=quiet)
    if report and summary.published:
        with progress.task("KPI report"):
            summary.report_path = build_report(db_path)
    return _finish(summary, clock)


def _finish(summary: RunSummary, clock: float) -> RunSummary:
    summary.seconds["total"] = round(time.monotonic() - clock, 2)
    write_summary(summary)
    return summary


def _what_to_publish(
    con: duckdb.DuckDBPyConnection,
    summary: RunSummary,
    outcome: transform.DbtOutcome,
    verdict: dq.DqVerdict,
    touched: publish.Touched | None,
) -> tuple[publish.Touched | None | Literal[False], frozenset[tuple[str, int]]]:
    """What the publication copies and which pending deliveries it holds back (docs/decisions/0028); False when
    nothing may be published (``summary.error`` says why). Marks held-back deliveries in ``summary.deliveries``."""
    broken = [n for n in outcome.nodes if n.status not in ("success", "pass", "warn", "fail", "no-op")]
    broken += [n for n in outcome.failed() if not (n.resource_type == "test" and n.status == "fail")]
    if outcome.exception is not None or broken:
        summary.error = outcome.error or (
            "dbt build failed (" + ", ".join(f"{n.unique_id} {n.status}" for n in broken[:5]) + "): "
            "the published mart was left unchanged"
        )
        return False, frozenset()
    failing_tests = [n for n in outcome.failed() if n.resource_type == "test"]
    if len(failing_tests) > len([e for e in verdict.errors if e["status"] == "fail"]):
        summary.error = (
            "dbt reports failing tests that dq.dq_results does not have: the published mart was left unchanged"
        )
        return False, frozenset()
    if verdict.ok:
        return touched, frozenset()
    stays = [str(k["stay_id"]) for e in verdict.errors for k in e.get("blame") or [] if k.get("stay_id")]
    attribution = dq.attribute(
        verdict.errors, None if touched is None else touched.facility_months, dq.stay_deliveries(con, stays)
    )
    summary.dq["attribution"] = attribution.as_dict()
    held = frozenset(attribution.held_back)
    if attribution.blocking:
        names = ", ".join(f"{e['check']} ({e['blocks']})" for e in attribution.blocking[:5])
        summary.error = f"error-severity checks that block every publication failed: {names}; mart left unchanged"
        return False, frozenset()
    for d in summary.deliveries:
        if (d.facility_code, d.yyyymm) in held:
            d.status, d.held_back_by = "held_back", attribution.held_back[(d.facility_code, d.yyyymm)]
    assert touched is not None  # attribute() blocks everything when nothing was published yet
    publishable = publish.Touched(touched.facility_months - held)
    if not publishable.facility_months:
        summary.error = "every pending delivery is held back by a failing check: the published mart was left unchanged"
        return False, held
    return publishable, held


def build_docs(db_path: Path, *, quiet: bool = True) -> str | None:
    """dbt docs generate --static: one HTML file that opens from disk (docs/decisions/0012), showing the mart models
    under the schema analysts read, ``mart`` (:mod:`dpc.steps.docs_site`)."""
    with progress.task("dbt docs generate", show=quiet) as bar:
        outcome = transform.run_dbt(
            ["docs", "generate", "--static"], duckdb_path=db_path, quiet=quiet, callbacks=[progress.dbt_callback(bar)]
        )
    static = transform.target_path() / "static_index.html"
    if not outcome.success or not static.exists():
        return None
    target = paths.data_dir() / "docs" / "index.html"
    docs_site.write_static_site(transform.target_path(), target)
    return str(target)


def build_report(db_path: Path) -> str | None:
    """The static KPI report, when the report module is present."""
    try:
        from dpc import report
    except ImportError:
        return None
    out = report.write_report(db_path, paths.data_dir() / "report" / "index.html")
    from dpc.disclosure import write_all  # the 病院情報の公表 pages the report links to

    write_all(db_path, paths.data_dir() / "disclosure")
    return str(out)


def write_summary(summary: RunSummary) -> Path:
    """The run's summary (``runs/<run id>.json``) and its notification text (``.txt``): what the Notify Lambda
    sends by SNS/Slack on AWS, from the same :func:`dpc.steps.notify.format_summary`."""
    path = paths.data_dir() / "runs" / f"{summary.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    as_dict = summary.as_dict()
    _write_atomically(path, json.dumps(as_dict, ensure_ascii=False, indent=2, default=str))
    _write_atomically(path.with_suffix(".txt"), notify.format_summary(as_dict) + "\n")
    return path


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target and rename: a full disk or a kill leaves the old file or none, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["KIND_SLUG", "RunSummary", "ingest", "run_local"]
