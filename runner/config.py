"""The runner's environment contract, read and checked in one place (docs/runner.md lists it).

Every problem is collected before failing, so one ``RunnerConfigError`` names all of them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dpc.paths import PROJECT_DIR
from runner.errors import RunnerConfigError

STEPS = ("dbt", "normalise")
# dbt subcommands the runner may be asked to run (DBT_COMMAND's first word)
DBT_SUBCOMMANDS = frozenset(
    {"build", "run", "test", "seed", "snapshot", "source", "compile", "docs", "parse", "run-operation", "ls", "list"}
)
DEFAULT_HEARTBEAT_SECONDS = 60.0
DEFAULT_ARTIFACTS_PREFIX = "dbt-artifacts"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]{0,127}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def new_run_id() -> str:
    """Same shape as the local pipeline's run ids: ``20240501T120000Z-1a2b3c4d``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class RunnerConfig:
    step: str
    task_token: str | None
    run_id: str
    yyyymm: int | None
    facility_code: str | None
    dbt_target: str
    dbt_command: tuple[str, ...]
    dbt_select: str | None
    dbt_selector: str | None
    dbt_exclude: str | None
    dbt_vars: dict[str, Any] | None
    full_refresh: bool
    upload_docs: bool
    artifacts_bucket: str | None
    artifacts_prefix: str
    kms_key_id: str | None
    heartbeat_seconds: float
    data_bucket: str | None
    project_dir: Path
    profiles_dir: Path
    target_dir: Path
    baked_target_dir: Path | None
    manifest_sha256: str | None = None  # STEP=normalise: the manifest ValidateManifest validated
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def local(self) -> bool:
        """No task token: run on a laptop (or in the container by hand) and print the summary."""
        return self.task_token is None

    def dbt_args(self) -> list[str]:
        """The dbt command line (without project/profile/target, which run_dbt adds)."""
        args = list(self.dbt_command)
        if self.dbt_select:
            args += ["--select", self.dbt_select]
        if self.dbt_selector:
            args += ["--selector", self.dbt_selector]
        if self.dbt_exclude:
            args += ["--exclude", self.dbt_exclude]
        if self.dbt_vars:
            args += ["--vars", json.dumps(self.dbt_vars, sort_keys=True)]
        if self.full_refresh:
            args += ["--full-refresh"]
        return args

    def dbt_env(self) -> dict[str, str]:
        """Values dbt models and hooks may read with env_var(): the delivery being processed."""
        env = {"DPC_RUN_ID": self.run_id, "DBT_TARGET_PATH": str(self.target_dir)}
        if self.yyyymm is not None:
            env["DPC_YYYYMM"] = str(self.yyyymm)
        if self.facility_code:
            env["DPC_FACILITY_CODE"] = self.facility_code
        return env

    def log_context(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "yyyymm": self.yyyymm, "facility_code": self.facility_code, "step": self.step}


def _flag(name: str, value: str | None, problems: list[str]) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text not in _FALSE:
        problems.append(f"{name} must be true or false, got {value!r}")
    return False


def _resolve(path: str, base: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base / p


def load_config(environ: Mapping[str, str] | None = None) -> RunnerConfig:
    """Read the environment; raise :class:`RunnerConfigError` naming every missing or invalid value."""
    env = {k: v for k, v in (os.environ if environ is None else environ).items() if v is not None}

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    problems: list[str] = []
    step = (get("STEP") or "dbt").lower()
    if step not in STEPS:
        problems.append(f"STEP must be one of {', '.join(STEPS)}, got {step!r}")
    token = get("TASK_TOKEN")

    run_id = get("RUN_ID")
    if run_id is None:
        run_id = new_run_id()  # locally; with a task token RUN_ID is required (below)
    elif not _RUN_ID.fullmatch(run_id):
        problems.append("RUN_ID must be 1–128 characters of letters, digits, '.', '_', '=', '-'")

    yyyymm: int | None = None
    if (raw := get("YYYYMM")) is not None:
        if re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])", raw):
            yyyymm = int(raw)
        else:
            problems.append(f"YYYYMM must be a month such as 202404, got {raw!r}")
    facility = get("FACILITY_CODE")
    if facility is not None and not re.fullmatch(r"\d{9}", facility):
        problems.append(f"FACILITY_CODE must be the 9-digit 施設コード, got {facility!r}")

    command = tuple(shlex.split(get("DBT_COMMAND") or "build"))
    if step == "dbt" and (not command or command[0] not in DBT_SUBCOMMANDS):
        problems.append(f"DBT_COMMAND must start with one of {', '.join(sorted(DBT_SUBCOMMANDS))}, got {command!r}")
    select, selector = get("DBT_SELECT"), get("DBT_SELECTOR")
    if select and selector:
        problems.append("set DBT_SELECT or DBT_SELECTOR, not both")
    dbt_vars: dict[str, Any] | None = None
    if (raw := get("DBT_VARS")) is not None:
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"DBT_VARS is not valid JSON: {exc}")
        else:
            if isinstance(parsed, dict):
                dbt_vars = parsed
            else:
                problems.append("DBT_VARS must be a JSON object")

    heartbeat = DEFAULT_HEARTBEAT_SECONDS
    if (raw := get("HEARTBEAT_SECONDS")) is not None:
        try:
            heartbeat = float(raw)
            if heartbeat < 0:
                raise ValueError(raw)
        except ValueError:
            problems.append(f"HEARTBEAT_SECONDS must be a number of seconds ≥ 0 (0 disables), got {raw!r}")

    bucket, kms = get("ARTIFACTS_BUCKET"), get("KMS_KEY_ID")
    data_bucket = get("DATA_BUCKET")
    required: list[str] = []
    if token is not None:
        required += ["RUN_ID", "KMS_KEY_ID", "ARTIFACTS_BUCKET" if step == "dbt" else "DATA_BUCKET"]
    if step == "normalise":
        required += ["FACILITY_CODE", "YYYYMM"]
        if token is not None and not (get("DPC_PSEUDONYMISATION_SECRET_ARN") or get("DPC_PSEUDONYMISATION_KEY")):
            # never let a task fall back to a random local key: pseudonyms would not match across deliveries
            problems.append("DPC_PSEUDONYMISATION_SECRET_ARN is required for STEP=normalise")
        if token is not None and not (get("DPC_LINK_KMS_KEY_ID") or get("DPC_LINK_KEY")):
            # nor to a random local link key: link keys would not match across deliveries (docs/pseudonymisation.md)
            problems.append("DPC_LINK_KMS_KEY_ID is required for STEP=normalise")
    if bucket and not kms:
        required.append("KMS_KEY_ID")  # artifacts are always written with SSE-KMS
    if data_bucket and not kms and step == "normalise":
        required.append("KMS_KEY_ID")
    missing = sorted({name for name in required if get(name) is None})
    if missing:
        problems.insert(0, "missing required environment: " + ", ".join(missing))

    project_dir = Path(get("DPC_PROJECT_DIR") or PROJECT_DIR)
    if not (project_dir / "dbt_project.yml").is_file():
        problems.append(f"DPC_PROJECT_DIR has no dbt_project.yml: {project_dir}")
    profiles_dir = _resolve(get("DBT_PROFILES_DIR") or "profiles", project_dir)
    target_dir = _resolve(get("DBT_TARGET_PATH") or "target", project_dir)
    baked = get("DPC_BAKED_TARGET")

    full_refresh = _flag("DBT_FULL_REFRESH", get("DBT_FULL_REFRESH"), problems)
    upload_docs = _flag("UPLOAD_DOCS", get("UPLOAD_DOCS"), problems)

    if problems:
        raise RunnerConfigError(problems)
    return RunnerConfig(
        step=step,
        task_token=token,
        run_id=run_id,
        yyyymm=yyyymm,
        facility_code=facility,
        dbt_target=get("DBT_TARGET") or "local",
        dbt_command=command,
        dbt_select=select,
        dbt_selector=selector,
        dbt_exclude=get("DBT_EXCLUDE"),
        dbt_vars=dbt_vars,
        full_refresh=full_refresh,
        upload_docs=upload_docs,
        artifacts_bucket=bucket,
        artifacts_prefix=(get("ARTIFACTS_PREFIX") or DEFAULT_ARTIFACTS_PREFIX).strip("/"),
        kms_key_id=kms,
        heartbeat_seconds=heartbeat,
        data_bucket=data_bucket,
        project_dir=project_dir,
        profiles_dir=profiles_dir,
        target_dir=target_dir,
        baked_target_dir=Path(baked) if baked else None,
        manifest_sha256=get("MANIFEST_SHA256") or None,
    )


def partial_context(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Best-effort log context when the configuration itself is invalid."""
    env = os.environ if environ is None else environ
    return {
        "run_id": env.get("RUN_ID") or None,
        "yyyymm": env.get("YYYYMM") or None,
        "facility_code": env.get("FACILITY_CODE") or None,
        "step": env.get("STEP") or "dbt",
    }
