"""runner/Dockerfile (hadolint, and the rules it must keep) and the runner's pieces that need no AWS: the
environment contract, error naming, summaries, and the baked dbt parse the image relies on."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dpc.paths import PROJECT_DIR
from runner import errors
from runner.__main__ import EXIT_CONFIG, EXIT_OK, run
from runner.config import load_config
from runner.steps import classify_exception, classify_nodes, tally
from tests.python.conftest import environment

DOCKERFILE = PROJECT_DIR / "runner" / "Dockerfile"
DOCKERIGNORE = PROJECT_DIR / "runner" / "Dockerfile.dockerignore"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


# --- Dockerfile --------------------------------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    proc = subprocess.run(
        [str(hadolint), "--format", "json", str(DOCKERFILE)], capture_output=True, text=True, timeout=120
    )
    assert json.loads(proc.stdout or "[]") == [], proc.stdout
    assert proc.returncode == 0, proc.stderr


def test_dockerfile_keeps_its_rules() -> None:
    steps = _instructions()
    (base,) = [args for word, args in steps if word == "FROM"]
    # exact patch version and Debian release, never a floating tag such as python:3.11-slim
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base
    env = " ".join(args for word, args in steps if word == "ENV")
    # target/ and logs/ live on the tmp mount; the parsed state is baked where the runner looks for it
    assert "DBT_TARGET_PATH=/tmp/" in env and "DBT_LOG_PATH=/tmp/" in env
    baked = re.search(r"DPC_BAKED_TARGET=(\S+)", env)
    assert baked is not None
    runs = [args for word, args in steps if word == "RUN"]
    # the runtime lock only, hash-checked: no development tools in the image (docs/decisions/0022)
    installs = [r for r in runs if "pip install" in r]
    assert installs and all("--require-hashes -r requirements/runtime.txt" in r for r in installs), installs
    assert any(f"DBT_TARGET_PATH={baked.group(1)}" in r and "dbt parse" in r for r in runs)
    # non-root, and the last word on the user
    users = [i for i, (word, _) in enumerate(steps) if word == "USER"]
    assert users and steps[users[-1]][1] not in ("root", "0")
    assert all(word != "RUN" for word, _ in steps[users[-1] :])
    # no secrets in layers: no credentials or keys set, no key files copied
    for word, args in steps:
        if word in ("ENV", "ARG"):
            assert not re.search(r"(SECRET|PASSWORD|ACCESS_KEY|PSEUDONYMISATION_KEY|TASK_TOKEN)\w*=", args), args
    ignored = DOCKERIGNORE.read_text(encoding="utf-8")
    for pattern in ("**/.venv*", "**/.git", "data/", "target/", "**/.pseudonymisation_key", "**/.env"):
        assert pattern in ignored.splitlines(), pattern
    # everything copied exists in a checkout (wildcards may match nothing)
    for word, args in steps:
        if word == "COPY":
            for source in args.split()[:-1]:
                assert "*" in source or (PROJECT_DIR / source).exists(), source


# --- configuration and naming ------------------------------------------------------------------------------------


def test_configuration_collects_every_problem() -> None:
    with pytest.raises(errors.RunnerConfigError) as caught:
        load_config(
            {
                "TASK_TOKEN": "t",
                "STEP": "normalise",
                "YYYYMM": "202413",
                "HEARTBEAT_SECONDS": "-1",
                "UPLOAD_DOCS": "maybe",
            }
        )
    problems = caught.value.problems
    assert problems[0] == "missing required environment: DATA_BUCKET, FACILITY_CODE, KMS_KEY_ID, RUN_ID"
    assert any(p.startswith("YYYYMM must be a month") for p in problems)
    assert any(p.startswith("HEARTBEAT_SECONDS") for p in problems)
    assert any(p.startswith("UPLOAD_DOCS") for p in problems)
    assert "DPC_PSEUDONYMISATION_SECRET_ARN is required for STEP=normalise" in problems
    assert "DPC_LINK_KMS_KEY_ID is required for STEP=normalise" in problems
    assert caught.value.error == "RunnerConfigError"

    with pytest.raises(errors.RunnerConfigError, match="DBT_COMMAND must start with"):
        load_config({"DBT_COMMAND": "rm -rf /"})
    with pytest.raises(errors.RunnerConfigError, match="not both"):
        load_config({"DBT_SELECT": "a", "DBT_SELECTOR": "b"})


def test_dbt_command_line_from_the_environment() -> None:
    cfg = load_config(
        {
            "DBT_COMMAND": "source freshness",
            "DBT_SELECT": "source:dpc_raw",
            "DBT_EXCLUDE": "source:dpc_raw.h",
            "DBT_VARS": '{"b": 2, "a": 1}',
            "DBT_FULL_REFRESH": "true",
            "RUN_ID": "202404-131000017-abc",
            "YYYYMM": "202404",
            "FACILITY_CODE": "131000017",
        }
    )
    assert cfg.local and cfg.step == "dbt" and cfg.heartbeat_seconds == 60.0
    assert cfg.dbt_args() == [
        "source", "freshness", "--select", "source:dpc_raw", "--exclude", "source:dpc_raw.h",
        "--vars", '{"a": 1, "b": 2}', "--full-refresh",
    ]  # fmt: skip
    assert cfg.dbt_env()["DPC_YYYYMM"] == "202404" and cfg.dbt_env()["DPC_FACILITY_CODE"] == "131000017"


def test_local_configuration_error_prints_and_exits_2() -> None:
    out = io.StringIO()
    code = run({"STEP": "publish"}, stdout=out, log_stream=io.StringIO())
    assert code == EXIT_CONFIG
    printed = json.loads(out.getvalue())
    assert printed["error"] == "RunnerConfigError" and "STEP must be one of" in printed["cause"]["message"]


def test_error_names_from_real_dbt_exceptions_and_results() -> None:
    from dbt.exceptions import DbtProfileError, EnvVarMissingError, ParsingError
    from dbt_common.exceptions import CompilationError, DbtDatabaseError

    assert classify_exception(CompilationError("x")) == "DbtCompilationError"
    assert classify_exception(ParsingError("bad yaml")) == "DbtCompilationError"
    assert classify_exception(EnvVarMissingError("DPC_X")) == "RunnerConfigError"
    assert classify_exception(DbtProfileError("no such target")) == "RunnerConfigError"
    assert classify_exception(DbtDatabaseError("connection lost")) == "DbtRuntimeError"
    assert classify_exception(KeyboardInterrupt()) == "Interrupted"

    from dpc.steps.transform import NodeResult

    def node(kind: str, status: str, message: str = "") -> NodeResult:
        return NodeResult(f"{kind}.p.n", kind, status, None, message, 0.0)

    assert classify_nodes([node("test", "fail")]) == "DbtTestFailure"
    assert classify_nodes([node("test", "fail"), node("model", "error", "Database Error")]) == "DbtRuntimeError"
    assert classify_nodes([node("model", "error", "Compilation Error in model m")]) == "DbtCompilationError"
    assert tally({"test": {"pass": 3, "warn": 1, "fail": 2, "skipped": 1}}) == {
        "test": {"passed": 3, "warned": 1, "failed": 2, "skipped": 1}
    }


def test_failure_cause_stays_within_the_step_functions_limit() -> None:
    nodes = [{"node": f"test.p.t{i}", "message": "x" * 300} for i in range(1000)]
    failure = errors.StepFailure("DbtTestFailure", "1000 tests failed", {"failed_nodes": nodes})
    cause = failure.cause()
    assert len(cause) <= errors.CAUSE_LIMIT
    parsed = json.loads(cause)
    assert parsed["failed_nodes_truncated"] is True and parsed["failed_nodes"][0]["node"] == "test.p.t0"


# --- the baked parse -------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.xdist_group("runner")
def test_baked_parse_makes_partial_parsing_work_from_an_empty_target_mount(tmp_path: Path) -> None:
    """What the image does: `dbt parse` for the production target at build time into the baked folder; at start
    target/ is an empty tmp mount, the runner copies the parsed state in, and dbt parses partially."""
    from dpc.steps import transform

    project = tmp_path / "opt-dpc"  # the image's /opt/dpc: only what the Dockerfile copies
    project.mkdir()
    shutil.copy2(PROJECT_DIR / "dbt_project.yml", project)
    for folder in ("profiles", "macros", "models", "seeds", "tests/dbt", "docs/dbt"):
        if (PROJECT_DIR / folder).is_dir():
            shutil.copytree(PROJECT_DIR / folder, project / folder)
    baked = project / "baked-target"
    common = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PROFILES_DIR": str(project / "profiles")}
    with environment(**common, DBT_TARGET_PATH=str(baked), DBT_LOG_PATH=str(tmp_path / "build-logs")):
        built = transform.run_dbt(["parse"], target="redshift", project_dir=project, profiles_dir=project / "profiles")
    assert built.success, built.error
    assert (baked / "partial_parse.msgpack").is_file()

    out, logs = io.StringIO(), io.StringIO()
    task_env = {
        **common,
        "DPC_PROJECT_DIR": str(project),
        "DBT_TARGET": "redshift",
        "DBT_COMMAND": "parse",
        "DPC_BAKED_TARGET": str(baked),
        "DBT_TARGET_PATH": str(tmp_path / "tmp-mount" / "target"),
        "DBT_LOG_PATH": str(tmp_path / "tmp-mount" / "logs"),
    }
    with environment(**task_env):
        code = run(stdout=out, log_stream=logs)
    assert code == EXIT_OK, out.getvalue()
    dbt_log = (tmp_path / "tmp-mount" / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert "Unable to do partial parsing" not in dbt_log
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in dbt_log
    restored = [json.loads(line) for line in logs.getvalue().splitlines() if '"baked_parse_state"' in line]
    assert "partial_parse.msgpack" in restored[0]["files"]
