"""Transform step: dbt, in-process through its programmatic API (dbtRunner), one invocation at a time."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpc.paths import PROJECT_DIR
from dpc.steps import step

PROFILES_DIR = PROJECT_DIR / "profiles"
# dbtRunner is not safe to run twice at once in one process (shared global state): serialise.
_DBT_LOCK = threading.Lock()


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    failures: int | None
    message: str
    seconds: float


@dataclass
class DbtOutcome:
    command: list[str]
    success: bool
    invocation_id: str | None
    nodes: list[NodeResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    exception: BaseException | None = field(default=None, repr=False)  # dbt's own exception, for classification
    invocation_ids: list[str] = field(default_factory=list)  # every invocation of a resumed build (see build())

    def counts(self) -> dict[str, dict[str, int]]:
        """{'model': {'success': 12}, 'test': {'pass': 80, 'warn': 1}, …}"""
        out: dict[str, Counter[str]] = {}
        for n in self.nodes:
            out.setdefault(n.resource_type, Counter())[n.status] += 1
        return {k: dict(v) for k, v in out.items()}

    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


def target_path() -> Path:
    """dbt's target/ folder: DBT_TARGET_PATH when set (parallel tests, read-only containers), else the project's."""
    path = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return path if path.is_absolute() else PROJECT_DIR / path


# What the profile (profiles/profiles.yml, linked as ./profiles.yml) falls back to when the environment says nothing.
PROFILE_DEFAULT_TARGET = "local"
PROFILE_DEFAULT_DUCKDB_PATH = "data/dpc.duckdb"  # relative to the project directory, dbt's working directory


def dbt_env(target: str, duckdb_path: Path | None = None, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    """The environment dbt runs with: only what differs from a plain ``dbt build`` in the same shell.

    dbt re-parses the whole project when the requested target (``--target`` or ``DBT_TARGET``), the ``--vars`` or
    the connection (here the DuckDB path string) differ from the parse it saved in ``target/partial_parse.msgpack``.
    Setting nothing that a plain ``dbt`` run from the project directory would not also see keeps one parse for
    both (docs/decisions/0022): ``dpc run`` after ``dbt build``, or the reverse, parses only changed files."""
    env = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target != os.environ.get("DBT_TARGET", PROFILE_DEFAULT_TARGET):
        env["DBT_TARGET"] = target
    if duckdb_path is not None:
        current = os.environ.get("DPC_DUCKDB_PATH") or PROFILE_DEFAULT_DUCKDB_PATH
        if (project_dir / current).resolve() != (project_dir / duckdb_path).resolve():
            env["DPC_DUCKDB_PATH"] = str(duckdb_path)
    return env


def run_dbt(
    args: list[str],
    *,
    target: str = "local",
    project_dir: Path = PROJECT_DIR,
    profiles_dir: Path = PROFILES_DIR,
    duckdb_path: Path | None = None,
    extra_env: dict[str, str] | None = None,
    hidden_env: Sequence[str] = (),
    quiet: bool = False,
    callbacks: list[Callable[[Any], None]] | None = None,
) -> DbtOutcome:
    """Run one dbt command (e.g. ``["build"]``) and collect per-node results.

    The target is passed the way a shell would (``DBT_TARGET``, only when it is not already the one in force), never
    as ``--target``: dbt hashes the ``--target`` it was given into its partial-parse state (:func:`dbt_env`).

    ``hidden_env`` names environment variables removed while dbt runs (``env_var()`` cannot read them).
    ``callbacks`` receive every dbt event (``EventMsg``) as it happens (the runner logs nodes from them)."""
    from dbt.cli.main import dbtRunner  # heavy import: only when dbt actually runs

    command = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir)]
    if quiet:
        command = ["--quiet", *command]
    env: dict[str, str | None] = {**dbt_env(target, duckdb_path, project_dir), **(extra_env or {})}
    env |= {name: None for name in hidden_env}
    start = time.monotonic()
    with _DBT_LOCK, _environment(env), _cwd(project_dir):
        try:
            result = dbtRunner(callbacks=callbacks).invoke(command)
        finally:
            _release_duckdb()
    outcome = DbtOutcome(command=command, success=bool(result.success), invocation_id=_invocation_id())
    outcome.seconds = round(time.monotonic() - start, 2)
    if result.exception is not None:
        outcome.exception = result.exception
        outcome.error = f"{type(result.exception).__name__}: {result.exception}"
    outcome.nodes = [_node_result(r) for r in getattr(result.result, "results", None) or []]
    return outcome


@step("transform")
def build(args: list[str], *, max_resumes: int = 5, **kwargs: Any) -> DbtOutcome:
    """``dbt build`` that does not let a failing data test hold back other deliveries (docs/decisions/0028).

    ``dbt build`` skips every node downstream of a failing error-severity test. When the only failures are
    tests that failed (no model, seed or test that errored), the skipped nodes are built and tested again
    (``--select result:skipped --state …``), until none is skipped: mart_build then holds every model, built and
    audited, and the DQ step can hold back exactly the deliveries the failing checks blame. Nothing is published
    here. Returns one outcome: the last result of every node, ``invocation_ids`` of every invocation."""
    outcome = run_dbt(args, **kwargs)
    outcome.invocation_ids = [i for i in [outcome.invocation_id] if i]
    nodes = {n.unique_id: n for n in outcome.nodes}
    rest = _without_select(args[1:])
    for _ in range(max_resumes):
        latest = list(nodes.values())
        failed = [n for n in latest if n.status in ("error", "fail", "runtime error")]
        if outcome.exception is not None or not failed or not any(n.status == "skipped" for n in latest):
            break
        if any(n.resource_type != "test" or n.status != "fail" for n in failed):
            break  # something broke, not only the data: the run fails as a whole
        state = target_path() / "resume_state"
        shutil.rmtree(state, ignore_errors=True)
        state.mkdir(parents=True)
        for name in ("manifest.json", "run_results.json"):
            shutil.copyfile(target_path() / name, state / name)
        again = run_dbt(["build", "--select", "result:skipped", "--state", str(state), *rest], **kwargs)
        outcome.invocation_ids += [i for i in [again.invocation_id] if i]
        outcome.seconds = round(outcome.seconds + again.seconds, 2)
        outcome.exception, outcome.error = again.exception, again.error
        nodes.update({n.unique_id: n for n in again.nodes})
        outcome.nodes = list(nodes.values())
    outcome.success = outcome.exception is None and not outcome.failed()
    return outcome


def _without_select(args: list[str]) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("--select", "-s", "--selector"):
            skip = True
        elif not a.startswith(("--select=", "--selector=")):
            out.append(a)
    return out


def _release_duckdb() -> None:
    """dbt-duckdb keeps its database open in a class-level cache after a run; close it so the next step
    (or another process) can open the file, possibly read-only."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - adapter not installed
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            # dbt-duckdb declares `_ENV = None` without a type: mypy takes it for always None
            with contextlib.suppress(Exception):  # type: ignore[unreachable]
                DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _node_result(r: Any) -> NodeResult:
    node = r.node
    return NodeResult(
        unique_id=node.unique_id,
        resource_type=str(node.resource_type),
        status=str(r.status),
        failures=r.failures,
        message=str(r.message or ""),
        seconds=round(float(r.execution_time or 0.0), 3),
    )


def _invocation_id() -> str | None:
    try:
        from dbt_common.invocation import get_invocation_id

        return get_invocation_id()
    except ImportError:  # pragma: no cover - older dbt-common
        return None


class _environment:
    """Set (or, for None, remove) environment variables for the block; restore them afterwards."""

    def __init__(self, values: dict[str, str | None]) -> None:
        self.values = values
        self.saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def __exit__(self, *exc: object) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _cwd:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved = Path.cwd()

    def __enter__(self) -> None:
        self.saved = Path.cwd()
        os.chdir(self.path)

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.saved)
