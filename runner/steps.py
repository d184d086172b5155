"""The two steps the runner image runs: dbt (one command) and normalise (one delivery). Both return a small
summary or raise :class:`runner.errors.StepFailure` with the error name the state machine branches on."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from dpc.steps import step
from runner import errors
from runner.artifacts import DBT_ARTIFACTS, DOCS_ARTIFACTS, ArtifactStore, fresh_files
from runner.config import RunnerConfig
from runner.logs import JsonLog

# dbt node statuses → the summary's buckets
_PASSED = {"success", "pass"}
_WARNED = {"warn"}
_FAILED = {"error", "fail", "runtime error"}
_SKIPPED = {"skipped"}
# stdout carries the runner's JSON lines only; dbt's own log still goes to $DBT_LOG_PATH/dbt.log
# (--log-level alone would silence the file log too)
DBT_LOG_FLAGS = ("--log-level", "none", "--log-level-file", "debug")
_LIST_LIMIT = 20  # node names listed in a summary or cause; the full detail is run_results.json in S3


def tally(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """``{'model': {'success': 3}, 'test': {'pass': 9, 'warn': 1}}`` → passed/warned/failed/skipped per type."""
    out: dict[str, dict[str, int]] = {}
    for resource_type, statuses in counts.items():
        bucket: Counter[str] = Counter(passed=0, warned=0, failed=0, skipped=0)
        for status, n in statuses.items():
            if status in _PASSED:
                bucket["passed"] += n
            elif status in _WARNED:
                bucket["warned"] += n
            elif status in _FAILED:
                bucket["failed"] += n
            elif status in _SKIPPED:
                bucket["skipped"] += n
            else:
                bucket["other"] += n
        out[resource_type] = dict(bucket)
    return out


class NodeTracker:
    """dbt event callback: one JSON log line per finished node, and which nodes are still running."""

    def __init__(self, log: JsonLog) -> None:
        self.log = log
        self.running: dict[str, float] = {}
        self.finished = 0
        self._lock = threading.Lock()

    def __call__(self, msg: Any) -> None:
        # runs inside dbt's worker threads: an exception here would fail the node, so never raise
        try:
            self._on_event(msg)
        except Exception as exc:  # noqa: BLE001
            self.log.emit("dbt", "log_error", level="warning", message=f"{type(exc).__name__}: {exc}")

    def _on_event(self, msg: Any) -> None:
        name = msg.info.name
        if name not in ("NodeStart", "NodeFinished"):
            return
        info = msg.data.node_info
        unique_id = info.unique_id
        with self._lock:
            if name == "NodeStart":
                self.running[unique_id] = time.monotonic()
                return
            self.running.pop(unique_id, None)
            self.finished += 1
        result = msg.data.run_result
        status = result.status or info.node_status
        failing = status not in _PASSED
        self.log.emit(
            "dbt",
            status,
            node=unique_id,
            duration=result.execution_time,
            resource_type=info.resource_type,
            failures=(result.num_failures or None) if failing else None,
            message=(result.message or "")[:1000] if failing else None,
        )

    def running_nodes(self) -> list[str]:
        with self._lock:
            return sorted(self.running)


def classify_exception(exc: BaseException) -> str:
    """dbt's invocation-level exception → error name."""
    from dbt.cli.exceptions import DbtUsageException
    from dbt.exceptions import EnvVarMissingError, ParsingError
    from dbt_common.exceptions import CompilationError, DbtConfigError

    if isinstance(exc, KeyboardInterrupt):
        return errors.INTERRUPTED
    if isinstance(exc, (EnvVarMissingError, DbtConfigError, DbtUsageException)):
        return errors.RUNNER_CONFIG_ERROR
    if isinstance(exc, (CompilationError, ParsingError)):
        return errors.DBT_COMPILATION_ERROR
    return errors.DBT_RUNTIME_ERROR


def classify_nodes(failed: list[Any]) -> str:
    """Failed nodes → error name: a compile error first, then a warehouse error, then failing tests."""
    if any(n.message.startswith(("Compilation Error", "Parsing Error")) for n in failed):
        return errors.DBT_COMPILATION_ERROR
    if any(n.status in ("error", "runtime error") and n.resource_type != "test" for n in failed):
        return errors.DBT_RUNTIME_ERROR
    if any(n.status == "fail" for n in failed):
        return errors.DBT_TEST_FAILURE
    return errors.DBT_RUNTIME_ERROR


def _node_lines(nodes: list[Any]) -> list[dict[str, Any]]:
    return [
        {"node": n.unique_id, "status": n.status, "failures": n.failures, "message": n.message[:300]}
        for n in nodes[:_LIST_LIMIT]
    ]


def restore_baked_parse(cfg: RunnerConfig, log: JsonLog) -> None:
    """The image bakes ``dbt parse`` at build time; with target/ on an empty tmp mount, copy the parsed state in so
    dbt's partial parsing starts from it (it stays valid while project path, profile, target and vars match)."""
    cfg.target_dir.mkdir(parents=True, exist_ok=True)
    baked = cfg.baked_target_dir
    if baked is None:
        return
    copied = []
    for name in ("partial_parse.msgpack", "manifest.json", "semantic_manifest.json"):
        source, dest = baked / name, cfg.target_dir / name
        if source.is_file() and not dest.exists():
            shutil.copy2(source, dest)
            copied.append(name)
    log.emit("prepare", "baked_parse_state", files=copied or None, source=str(baked))


@step("transform")
def run_dbt_step(cfg: RunnerConfig, log: JsonLog, store: ArtifactStore, *, interrupted: Callable[[], bool]) -> dict:
    """Run DBT_COMMAND once (plus ``docs generate --static`` when UPLOAD_DOCS), upload artifacts, summarise."""
    from dpc.steps import transform

    restore_baked_parse(cfg, log)
    args = cfg.dbt_args()
    tracker = NodeTracker(log)
    started_wall = time.time()
    log.emit("dbt", "started", command=" ".join(args), target=cfg.dbt_target)
    outcome = transform.run_dbt(
        [*args, *DBT_LOG_FLAGS],
        target=cfg.dbt_target,
        project_dir=cfg.project_dir,
        profiles_dir=cfg.profiles_dir,
        extra_env=cfg.dbt_env(),
        callbacks=[tracker],
    )
    counts = tally(outcome.counts())
    log.emit("dbt", "finished" if outcome.success else "failed", duration=outcome.seconds, counts=counts)
    if interrupted() or isinstance(outcome.exception, KeyboardInterrupt):
        raise errors.StepFailure(
            errors.INTERRUPTED,
            "dbt was cancelled by a stop signal (running queries were cancelled)",
            {"running_nodes": tracker.running_nodes(), "finished_nodes": tracker.finished},
        )
    artifacts = store.upload(fresh_files(cfg.target_dir, DBT_ARTIFACTS, started_wall))
    log.emit("artifacts", "uploaded" if store.bucket else "kept_local", uris=artifacts)
    failed = outcome.failed()
    if not outcome.success:
        if outcome.exception is not None:
            error = classify_exception(outcome.exception)
            message = outcome.error or "dbt failed"
        else:
            error = classify_nodes(failed)
            message = f"dbt {' '.join(cfg.dbt_command)} failed: " + (
                ", ".join(n.unique_id for n in failed[:_LIST_LIMIT]) if failed else (outcome.error or "see dbt.log")
            )
        raise errors.StepFailure(
            error,
            message,
            {"failed_nodes": _node_lines(failed), "counts": counts, "artifacts": artifacts, "run_id": cfg.run_id},
        )
    if cfg.upload_docs:
        artifacts.update(_docs(cfg, log, store))
    warned = [n.unique_id for n in outcome.nodes if n.status == "warn"]
    return {
        "step": "dbt",
        "status": "succeeded",
        "run_id": cfg.run_id,
        "yyyymm": cfg.yyyymm,
        "facility_code": cfg.facility_code,
        "target": cfg.dbt_target,
        "command": " ".join(args),
        "invocation_id": outcome.invocation_id,
        "dbt_seconds": outcome.seconds,
        "counts": counts,
        "warned_nodes": warned[:_LIST_LIMIT],
        "artifacts": artifacts,
    }


def _docs(cfg: RunnerConfig, log: JsonLog, store: ArtifactStore) -> dict[str, str]:
    """``dbt docs generate --static`` (docs/decisions/0012), after the main command: one invocation at a time.

    ``--no-compile``: the catalog is read from the warehouse as usual, but the models are not compiled a second
    time (the main command's compiled SQL is in run_results.json and target/compiled)."""
    from dpc.steps import docs_site, transform

    started_wall = time.time()
    outcome = transform.run_dbt(
        ["docs", "generate", "--static", "--no-compile", *DBT_LOG_FLAGS],
        target=cfg.dbt_target,
        project_dir=cfg.project_dir,
        profiles_dir=cfg.profiles_dir,
        extra_env=cfg.dbt_env(),
    )
    files = fresh_files(cfg.target_dir, DOCS_ARTIFACTS, started_wall)
    if not outcome.success or "static_index.html" not in files:
        raise errors.StepFailure(errors.DBT_RUNTIME_ERROR, f"dbt docs generate failed: {outcome.error or 'no site'}")
    # the page names the published schema (mart, <prefix>_mart on Athena), not mart_build (dpc/steps/docs_site.py)
    docs_site.write_static_site(cfg.target_dir, files["static_index.html"])
    uris = store.upload({f"docs/{name}": path for name, path in files.items()})
    log.emit("docs", "uploaded", duration=outcome.seconds, uris=uris)
    return uris


def run_normalise_step(cfg: RunnerConfig, log: JsonLog, store: ArtifactStore) -> dict:
    """The normalise step of one delivery with the local pipeline's own ingest (:func:`dpc.steps.ingest.ingest_delivery`,
    docs/decisions/0002, 0003, 0011 and 0014): under a new load prefix, archiving the version's raw files. Answers
    with the ingest's per-file result under ``ingested`` — the shape LoadRaw and Notify read."""
    from dpc import paths
    from dpc.pseudonymise import load_key
    from dpc.steps.ingest import REJECTED, ingest_delivery
    from dpc.steps.load import last_ingested
    from dpc.steps.validate import revalidated_report, validate_delivery
    from dpc.storage import LocalStorage, S3Storage, Storage

    assert cfg.facility_code is not None and cfg.yyyymm is not None  # checked by load_config
    source: Storage
    target: Storage
    if cfg.data_bucket:
        s3 = S3Storage(cfg.data_bucket)
        source, target = s3, S3Storage(cfg.data_bucket, kms_key_id=cfg.kms_key_id, client=s3.client)
    else:  # local run: the local lake, laid out like the bucket
        source = target = LocalStorage(paths.lake_dir())
    key = load_key()
    load_id = f"{cfg.run_id}-{cfg.facility_code}-{cfg.yyyymm}"
    start = time.monotonic()
    log.emit("normalise", "started", load_id=load_id)
    # the state machine's ValidateManifest step validated this manifest from its listing, without reading the files
    # (only this task may, docs/decisions/0017): check the contents now and that the manifest is still the one; run
    # by hand without it, the runner validates itself
    if cfg.manifest_sha256:
        report = revalidated_report(source, cfg.facility_code, cfg.yyyymm, cfg.manifest_sha256)
    else:
        report = validate_delivery(source, cfg.facility_code, cfg.yyyymm)
    previous = last_ingested(target, cfg.facility_code, cfg.yyyymm)
    # force: the dispatcher decided this manifest needs a run (docs/decisions/0016), even the same version again
    ingested = ingest_delivery(source, report, key=key, load_id=load_id, previous=previous, force=True, target=target)
    if ingested.status == REJECTED:
        first = ingested.findings[0] if ingested.findings else {}
        raise errors.StepFailure(
            errors.DELIVERY_REJECTED,
            f"delivery {cfg.facility_code} {cfg.yyyymm} rejected: {first.get('file')}: {first.get('reason')}",
            {**{k: first.get(k) for k in ("file", "line", "column", "reason")}, "run_id": cfg.run_id},
        )
    for f in ingested.files:
        log.emit(
            "normalise",
            "file",
            node=f.source_file,
            kind=f.kind,
            delivered=f.delivered_rows,
            accepted=f.accepted_rows,
            quarantined=f.quarantined_rows,
        )
    detail = ingested.as_dict()
    artifacts = {}
    if store.bucket:
        artifacts["normalise.json"] = store.put_json("normalise.json", detail)
    return {
        "step": "normalise",
        "status": "succeeded",
        "run_id": cfg.run_id,
        "yyyymm": cfg.yyyymm,
        "facility_code": cfg.facility_code,
        "load_id": load_id,
        "seconds": round(time.monotonic() - start, 2),
        "ingested": detail,
        "outputs": {layer: target.uri(key) for layer, key in ingested.outputs.items()},
        "artifacts": artifacts,
    }
