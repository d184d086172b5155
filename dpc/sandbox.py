"""Learners' personal sandboxes (issue 13, docs/decisions/0008 and 0019).

A learner (``DPC_LEARNER`` or ``--learner``) writes dbt models, tests and macros in their working folder
``exercises/<learner>/`` (``DPC_EXERCISES_DIR`` moves the parent), laid out like the project: ``models/stage``,
``models/intermediate``, ``models/mart``, ``models/dq``, ``macros``, ``tests``. Nothing there is in the shared
build: the shared ``dbt_project.yml`` reads ``models/`` only.

Locally the sandbox is the learner's own DuckDB file, ``<data dir>/sandboxes/<learner>/sandbox.duckdb``:

- ``dpc sandbox reset`` copies the learners' published snapshot (:func:`write_snapshot`: the published,
  pseudonymised schemas a learner may read — ``stage``, ``mart``, ``ref``, ``dq``; never ``raw``, ``internal`` or
  ``mart_build``), which every run that publishes refreshes, into that file, and creates the learner's own schemas ``<learner>_stage``, ``<learner>_mart``, ``<learner>_dq`` (with an empty DQ history);
- dbt runs in a generated *sandbox project* (``<sandbox>/project/``): the shared dbt_project.yml with the learner's
  folder added to its paths (``exercises/<learner>/…``, a link, so every path stays relative) and named in
  ``var('dpc_sandbox_dir')``, so ``generate_schema_name`` puts the learner's nodes into ``<learner>_<layer>`` and
  resolves every ``ref()`` to a shared model onto the published copy (``macros/overrides/generate_schema_name.sql``). Its
  ``target/`` and ``logs/`` are the sandbox's own.

On Redshift the same sandbox project runs with ``--target redshift``: shared refs read the published schemas
(granted to ``dpc_learner``), the learner's nodes go to ``<learner>_stage`` / ``_mart`` / ``_dq`` (docs/tutorial/).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from dpc import duck, paths
from dpc.terminal import printable  # the one sanitiser for terminal output (dpc inspect, dpc validate use it too)

LEARNER_ENV = "DPC_LEARNER"
SANDBOX_PROFILES_DIR = paths.PROJECT_DIR / "profiles" / "sandbox"  # the local target, locked in (issue 25)
EXERCISES_ENV = "DPC_EXERCISES_DIR"
EXERCISES_LINK = "exercises"
# the published, pseudonymised schemas a learner reads (docs/decisions/0019) — copied into the sandbox file
READ_SCHEMAS = ("stage", "mart", "ref", "dq")
OWN_LAYERS = ("stage", "mart", "dq")
WORK_FOLDERS = ("models/stage", "models/intermediate", "models/mart", "models/dq", "macros", "tests/generic")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
# dbt's resource paths and their defaults (dbt_project.yml keys)
_RESOURCE_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "macro-paths": ["macros"],
    "analysis-paths": ["analyses"],
    "snapshot-paths": ["snapshots"],
}
# the learner's own folder for each kind of resource
_LEARNER_PATHS = {"model-paths": "models", "macro-paths": "macros", "test-paths": "tests"}


class SandboxError(RuntimeError):
    """Something a learner can fix: the message says how."""


def learner_name(explicit: str | None = None) -> str:
    """The learner: ``--learner`` or ``DPC_LEARNER``; lowercase letters, digits and ``_`` (it names schemas)."""
    name = (explicit or os.environ.get(LEARNER_ENV, "")).strip().lower()
    if not name:
        raise SandboxError(
            f"who is learning? set {LEARNER_ENV}=<your name> (e.g. export {LEARNER_ENV}=alice) or pass --learner NAME"
        )
    if not _NAME.match(name):
        raise SandboxError(
            f"learner name {name!r}: use a lowercase letter, then letters, digits or _ (≤ 31 chars); "
            "it becomes part of schema names"
        )
    return name


def exercises_dir() -> Path:
    """Parent of the learners' working folders: ``DPC_EXERCISES_DIR`` or ``exercises/`` in the checkout."""
    return Path(os.environ.get(EXERCISES_ENV, paths.PROJECT_DIR / "exercises")).resolve()


@dataclass(frozen=True)
class Sandbox:
    learner: str
    root: Path  # <data dir>/sandboxes/<learner>
    work_dir: Path  # exercises/<learner>: the learner's models, macros, tests

    @property
    def work_link(self) -> str:
        """The working folder's path inside the sandbox project (a link): ``exercises/<learner>``."""
        return f"{EXERCISES_LINK}/{self.learner}"

    @property
    def db_path(self) -> Path:
        return self.root / "sandbox.duckdb"

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    @property
    def target_dir(self) -> Path:
        return self.root / "target"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def meta_path(self) -> Path:
        return self.root / "sandbox.json"

    @property
    def progress_path(self) -> Path:
        return self.root / "progress.json"

    def schema(self, layer: str) -> str:
        """The learner's own schema of a layer (mart_build counts as mart: a sandbox has no publish step)."""
        return f"{self.learner}_{'mart' if layer == 'mart_build' else layer}"

    @property
    def own_schemas(self) -> list[str]:
        return [self.schema(layer) for layer in OWN_LAYERS]

    def exists(self) -> bool:
        return self.db_path.exists() and self.meta_path.exists()

    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_path.read_text(encoding="utf-8")) if self.meta_path.exists() else {}


def sandbox_for(learner: str | None = None) -> Sandbox:
    name = learner_name(learner)
    return Sandbox(learner=name, root=paths.data_dir().resolve() / "sandboxes" / name, work_dir=exercises_dir() / name)


# ---------------------------------------------------------------------------------------------------- reset


@dataclass
class ResetResult:
    sandbox: Sandbox
    tables: dict[str, int]  # schema → tables copied
    rows: dict[str, int]  # schema → rows copied
    published_run: str | None
    seconds: float


def snapshot_path(shared_db: Path | None = None) -> Path:
    """The learners' published snapshot of a warehouse: ``published/<name>-learners.duckdb`` beside it."""
    shared = (shared_db or paths.duckdb_path()).resolve()
    return shared.parent / "published" / f"{shared.stem}-learners.duckdb"


def write_snapshot(shared_db: Path) -> Path:
    """Copy the published, pseudonymised schemas a learner may read (:data:`READ_SCHEMAS`) out of the warehouse
    into its learners' snapshot, written beside it and renamed: a reader of the old snapshot keeps reading it.

    Sandboxes are made from this file, never from the live warehouse (whose DuckDB lock a reader would hold
    against the next run); the caller holds the warehouse's run lock (:func:`dpc.pipeline.run_lock`). On a machine
    shared by several people this is the only file of the platform learners' own users need to read
    (docs/security.md)."""
    target = snapshot_path(shared_db)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        with duck.connect(tmp) as con:
            con.execute(f"attach '{_sql_path(shared_db.resolve())}' as shared (read_only)")
            for schema in READ_SCHEMAS:
                con.execute(f'create schema if not exists "{schema}"')
                for (name,) in con.execute(
                    "select table_name from information_schema.tables where table_catalog = 'shared' "
                    "and table_schema = ? order by table_name",
                    [schema],
                ).fetchall():
                    con.execute(f'create table "{schema}"."{name}" as select * from shared."{schema}"."{name}"')
            con.execute("detach shared")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _ensure_snapshot(shared: Path) -> Path:
    """The learners' snapshot; made from the warehouse on first use, under its run lock (never during a run)."""
    snapshot = snapshot_path(shared)
    if snapshot.exists():
        return snapshot
    if not shared.exists():
        raise SandboxError(f"no shared warehouse at {shared}: run `dpc demo` (or `dpc run`) first")
    from dpc.errors import RunLocked
    from dpc.pipeline import run_lock

    try:
        with run_lock(shared):
            return write_snapshot(shared)
    except RunLocked as exc:
        raise SandboxError(
            f"{exc}; it writes the learners' snapshot {snapshot} when it publishes: reset after it has finished"
        ) from None
    except duckdb.Error as exc:
        raise SandboxError(f"cannot read the shared warehouse {shared}: {exc}") from None


def reset(sb: Sandbox, shared_db: Path | None = None) -> ResetResult:
    """(Re)build the learner's DuckDB file from the learners' published snapshot (:func:`write_snapshot`); keep
    their work and progress. Never opens the live warehouse (except to make the first snapshot, under its run lock).

    The new file is written beside the old one and swapped in at the end, so a failed reset leaves the old sandbox.
    """
    import time

    started = time.monotonic()
    shared = (shared_db or paths.duckdb_path()).resolve()
    snapshot = _ensure_snapshot(shared)
    sb.root.mkdir(parents=True, exist_ok=True)
    tmp = sb.db_path.with_suffix(".duckdb.tmp")
    tmp.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    rows: dict[str, int] = {}
    try:
        shutil.copyfile(snapshot, tmp)  # the snapshot is replaced by rename, never rewritten: a consistent copy
        with duck.connect(tmp) as con:
            published_run = _published_run(con, None)
            for schema in READ_SCHEMAS:
                names = [
                    r[0]
                    for r in con.execute(
                        "select table_name from information_schema.tables where table_schema = ? order by 1",
                        [schema],
                    ).fetchall()
                ]
                tables[schema] = len(names)
                rows[schema] = sum(duck.scalar(con, f'select count(*) from "{schema}"."{n}"') for n in names)
            for schema in sb.own_schemas:
                con.execute(f'create schema if not exists "{schema}"')
            if tables.get("dq") and duck.scalar(
                con,
                "select count(*) from information_schema.tables where table_schema = 'dq' and table_name = 'dq_results'",
            ):
                # the on-run-end hook records the learner's own test results here (macros/dq/dq_record_results.sql)
                con.execute(f'create table "{sb.schema("dq")}".dq_results as select * from dq.dq_results limit 0')
        os.replace(tmp, sb.db_path)
    finally:
        tmp.unlink(missing_ok=True)
    if not tables.get("mart"):
        raise SandboxError(f"the shared warehouse {shared} has no published mart yet: run `dpc demo` first")
    init_work_dir(sb)
    write_project(sb)
    result = ResetResult(sb, tables, rows, published_run, round(time.monotonic() - started, 2))
    sb.meta_path.write_text(
        json.dumps(
            {
                "learner": sb.learner,
                "reset_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "shared_db": str(shared),
                "snapshot": str(snapshot),
                "published_run": published_run,
                "tables": tables,
                "rows": rows,
                "work_dir": str(sb.work_dir),
            },
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    return result


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _published_run(con: Any, catalog: str | None = "shared") -> str | None:
    """Run id of the latest complete publication of the shared mart (dq.publish_log), if any."""
    try:
        row = con.execute(f"select max(run_id) from {catalog + '.' if catalog else ''}dq.publish_log").fetchone()
    except Exception:  # no publish log yet (an older warehouse)
        return None
    return row[0] if row else None


WORK_README = """# {learner}'s working folder (dpc sandbox)

Laid out like the project: a model's folder decides its layer (and schema in your sandbox).

| folder | layer | your schema |
|---|---|---|
| models/stage/ | stage | {learner}_stage |
| models/intermediate/ | stage | {learner}_stage |
| models/mart/ | mart | {learner}_mart |
| models/dq/ | dq | {learner}_dq |
| macros/ | macros (dispatched: duckdb__/redshift__/athena__) | — |
| tests/, tests/generic/ | singular and generic dbt tests | — |

`ref('fct_admissions')` and every other shared model read the published copies (stage, mart, ref, dq) in your
sandbox; nothing here is built by the shared pipeline. Build with `dpc sandbox dbt build --select <model>`,
check an exercise with `dpc exercise check N`. See docs/tutorial/.
"""


def init_work_dir(sb: Sandbox) -> None:
    """Create the learner's working folder skeleton (never touches existing files)."""
    for folder in WORK_FOLDERS:
        (sb.work_dir / folder).mkdir(parents=True, exist_ok=True)
    readme = sb.work_dir / "README.md"
    if not readme.exists():
        readme.write_text(WORK_README.format(learner=sb.learner), encoding="utf-8")


# --------------------------------------------------------------------------------------- the sandbox project


def project_config(sb: Sandbox, project_dir: Path = paths.PROJECT_DIR) -> dict[str, Any]:
    """The shared dbt_project.yml with the learner's folders added to its paths and ``dpc_sandbox_dir`` set.

    Paths stay relative (dbt writes compiled SQL to ``target/<kind>/<package>/<original path>``: an absolute path
    there would overwrite the source file): the sandbox project links them (:func:`write_project`)."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    own = sb.work_link
    for key, default in _RESOURCE_PATHS.items():
        config[key] = list(config.get(key, default)) + (
            [f"{own}/{_LEARNER_PATHS[key]}"] if key in _LEARNER_PATHS else []
        )
    for key in ("target-path", "log-path", "clean-targets"):  # the sandbox's own: DBT_TARGET_PATH / DBT_LOG_PATH
        config.pop(key, None)
    config.setdefault("vars", {})["dpc_sandbox_dir"] = own + "/"
    return config


def _shared_paths(config: dict[str, Any]) -> list[str]:
    """Every folder of the shared project the sandbox project links to (resources, docs, installed packages)."""
    found: list[str] = []
    for key, default in {**_RESOURCE_PATHS, "docs-paths": [], "asset-paths": []}.items():
        found += [p for p in config.get(key, default) if not p.startswith(EXERCISES_LINK + "/")]
    found.append(config.get("packages-install-path", "dbt_packages"))
    return sorted(set(found))


def write_project(sb: Sandbox, project_dir: Path = paths.PROJECT_DIR) -> Path:
    """Write the sandbox project: dbt_project.yml (only when it changed, to keep partial parsing) and links.

    ``<sandbox>/project/models`` → the shared ``models/`` (likewise macros, seeds, tests/dbt, docs/dbt …), and
    ``<sandbox>/project/exercises/<learner>`` → the learner's working folder, so every node keeps a relative path:
    shared nodes the same as in the shared project, the learner's under ``exercises/<learner>/``."""
    config = project_config(sb, project_dir)
    text = (
        f"# Generated by `dpc sandbox` for learner {sb.learner} from the shared dbt_project.yml — do not edit;\n"
        f"# your models go into {sb.work_dir}.\n"
    )
    text += yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    root = sb.project_dir
    root.mkdir(parents=True, exist_ok=True)
    links = {p: project_dir / p for p in _shared_paths(config)}
    links[sb.work_link] = sb.work_dir
    for name, target in links.items():
        link = root / name
        if not target.exists():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        link.symlink_to(target, target_is_directory=True)
    path = root / "dbt_project.yml"
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


# dbt's `env_var()` reads the process environment: a learner's model must not read a key or a credential from it
_SECRET_NAME = re.compile(r"KEY|SECRET|TOKEN|PASSWORD|CREDENTIAL", re.IGNORECASE)


def secret_env_names(environ: dict[str, str] | None = None) -> list[str]:
    """Environment variables a sandbox dbt run hides (keys, secrets, tokens, passwords, credentials)."""
    return sorted(name for name in (os.environ if environ is None else environ) if _SECRET_NAME.search(name))


def python_models(sb: Sandbox) -> list[Path]:
    """The learner's Python models: dbt-duckdb would run their code inside this process, with all its rights."""
    found: list[Path] = []
    for folder, _dirs, files in os.walk(sb.work_dir / "models", followlinks=True):
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return sorted(found)


def run_dbt(sb: Sandbox, args: Sequence[str], *, target: str = "local", quiet: bool = True) -> Any:
    """Run dbt in the learner's sandbox project (``transform.run_dbt`` with the sandbox's env and paths).

    Locally (issue 25) dbt opens only the learner's file, through ``profiles/sandbox/profiles.yml``: no file access
    outside it, no ATTACH, no extension, configuration locked. Keys and credentials are hidden from ``env_var()``,
    and Python models are refused (dbt-duckdb runs them in this process, where no database setting applies)."""
    from dpc.steps import transform

    if target == "local" and not sb.db_path.exists():
        raise SandboxError(f"no sandbox for {sb.learner} yet: run `dpc sandbox reset` first")
    init_work_dir(sb)
    if target == "local" and (found := python_models(sb)):
        raise SandboxError(
            "Python models cannot run in a sandbox (they would run with the platform's rights); write SQL models "
            "instead: " + ", ".join(str(p.relative_to(sb.work_dir)) for p in found)
        )
    write_project(sb)
    # one target folder per dbt target: switching targets would otherwise throw away partial parsing each time
    target_dir = sb.target_dir if target == "local" else sb.root / f"target-{target}"
    env = {LEARNER_ENV: sb.learner, "DBT_TARGET_PATH": str(target_dir), "DBT_LOG_PATH": str(sb.logs_dir)}
    if target != "local":
        return transform.run_dbt(list(args), target=target, project_dir=sb.project_dir, extra_env=env, quiet=quiet)
    return transform.run_dbt(
        list(args),
        target=target,
        project_dir=sb.project_dir,
        profiles_dir=SANDBOX_PROFILES_DIR,
        duckdb_path=sb.db_path,
        extra_env=env,
        hidden_env=secret_env_names(),
        quiet=quiet,
    )


def manifest(sb: Sandbox) -> dict[str, Any]:
    """The sandbox project's manifest.json from its last dbt invocation."""
    path = sb.target_dir / "manifest.json"
    if not path.exists():
        raise SandboxError("no manifest yet: dbt has not parsed your sandbox project")
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ status and query


def status(sb: Sandbox) -> dict[str, Any]:
    """What the learner has: the sandbox's origin, its own relations, and whether the shared mart moved on."""
    out: dict[str, Any] = {
        "learner": sb.learner,
        "sandbox": str(sb.db_path),
        "work_dir": str(sb.work_dir),
        "exists": sb.exists(),
    }
    if not out["exists"]:
        return out
    meta = sb.meta()
    out.update({k: meta.get(k) for k in ("reset_at", "shared_db", "published_run", "tables")})
    with duck.connect(sb.db_path, read_only=True) as con:
        out["own_relations"] = [
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in "
                f"({', '.join('?' for _ in sb.own_schemas)}) order by 1, 2",
                sb.own_schemas,
            ).fetchall()
        ]
    out["shared_published_run"] = None
    snapshot = Path(meta.get("snapshot") or snapshot_path(Path(meta.get("shared_db") or paths.duckdb_path())))
    if snapshot.exists():  # the learners' snapshot, never the live warehouse (a run may hold its lock)
        try:
            with duck.connect(snapshot, read_only=True) as con:
                out["shared_published_run"] = _published_run(con, None)
        except duckdb.Error:  # not worth failing status for
            out["shared_published_run"] = None
    out["stale"] = bool(out["shared_published_run"] and out["shared_published_run"] != meta.get("published_run"))
    return out


def format_status(info: dict[str, Any]) -> str:
    if not info["exists"]:
        return f"learner {info['learner']}: no sandbox yet — run `dpc sandbox reset`"
    lines = [
        f"learner:        {info['learner']}",
        f"sandbox:        {info['sandbox']}",
        f"working folder: {info['work_dir']}",
        f"reset at:       {info['reset_at']} from {info['shared_db']} (publication {info['published_run']})",
        "copied:         " + ", ".join(f"{s} {n} tables" for s, n in (info.get("tables") or {}).items()),
        "yours:          " + (", ".join(info["own_relations"]) or "nothing built yet"),
    ]
    if info.get("stale"):
        lines.append(
            f"note:           the shared mart was published again ({info['shared_published_run']}): "
            "`dpc sandbox reset` refreshes your copy"
        )
    return "\n".join(lines)


# a learner's query reaches the sandbox file and nothing else: no file read or written outside it (the key, the
# raw deliveries, the shared warehouse), no ATTACH, no extension, and the settings locked so SQL cannot undo this
ISOLATED_QUERY_SETTINGS: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}


def isolated_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a sandbox file that can reach nothing outside it (:data:`ISOLATED_QUERY_SETTINGS`)."""
    return duckdb.connect(str(path), read_only=True, config=dict(ISOLATED_QUERY_SETTINGS))


def query(sb: Sandbox, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one read-only query in the learner's sandbox file, isolated from every other file."""
    if not sb.db_path.exists():
        raise SandboxError(f"no sandbox for {sb.learner} yet: run `dpc sandbox reset` first")
    with isolated_connection(sb.db_path) as con:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description or []]
        return columns, cur.fetchall()


def width(text: str) -> int:
    """Display width in a terminal: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def format_table(columns: list[str], rows: list[tuple[Any, ...]], limit: int = 50) -> str:
    """A plain-text table (no dependency), like DuckDB's shell but narrower; values made terminal-safe."""
    columns = [printable(c) for c in columns]
    shown = [tuple("NULL" if v is None else printable(v) for v in r) for r in rows[:limit]]
    widths = [max([width(c)] + [width(r[i]) for r in shown]) for i, c in enumerate(columns)]
    line = "  ".join(pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in shown]
    out.append(
        f"({len(rows)} row{'s' if len(rows) != 1 else ''}{f', first {limit} shown' if len(rows) > limit else ''})"
    )
    return "\n".join(out)
