"""What is configured is enforced: ruff's lint rules and its formatting (pyproject.toml [tool.ruff]) hold over every
Python directory `make lint` names, and mypy (pyproject.toml [tool.mypy]) finds no type error in dpc, runner and
orchestration, so `make test` fails on a lint, format or type error (sqlfluff's lint of the models is in
test_engines.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dpc.paths import PROJECT_DIR

PYTHON_DIRS = ["dpc", "runner", "orchestration", "tests", "bench", "scripts"]  # the Makefile's lint target


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = Path(sys.executable).with_name("ruff")
    return subprocess.run([str(ruff), *args, *PYTHON_DIRS], cwd=PROJECT_DIR, capture_output=True, text=True)


def test_ruff_check_is_clean() -> None:
    result = _ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    """`mypy` as `make lint` and pre-commit run it: the files and options are pyproject.toml's [tool.mypy].

    The cache (.mypy_cache/test, gitignored) makes a run with few changes take about a second instead of 15-30 s;
    it is dropped whenever [tool.mypy] changes, because mypy 1.19 keeps a module's cached errors when only the
    per-module options of what it imports change (an added or removed ignore_missing_imports)."""
    import hashlib
    import json
    import shutil
    import tomllib

    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    cache = PROJECT_DIR / ".mypy_cache" / "test"
    stamp = cache / "tool-mypy.sha256"
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != digest:
        shutil.rmtree(cache, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest, encoding="utf-8")
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_runs_the_same_checks() -> None:
    """.pre-commit-config.yaml's hooks are the checks above: each names a tool that exists in the project's .venv (or
    on PATH), and the generated-files hook passes as `make test` requires."""
    import shlex
    import shutil

    import yaml

    config = yaml.safe_load((PROJECT_DIR / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy", "sqlfluff", "generated-files", "terraform-fmt"} <= set(hooks)
    for hook in hooks.values():
        tool = shlex.split(hook["entry"])[0]
        assert (PROJECT_DIR / tool).exists() or shutil.which(tool), hook["id"]
    result = subprocess.run(
        shlex.split(hooks["generated-files"]["entry"].replace(".venv/bin/python", sys.executable)),
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_engine_variant_repeats_its_default() -> None:
    """An engine's dispatch variant exists only where the engine differs (docs/engines.md): a duckdb__/redshift__/
    athena__ macro identical to its default__ is a copy that could drift, so the default serves that engine."""
    import re

    macro = re.compile(r"{% macro (\w+)\([^)]*\) -?%}(.*?){%-? endmacro %}", re.S)
    copies = []
    for path in sorted((PROJECT_DIR / "macros").rglob("*.sql")):
        bodies = {name: body.strip() for name, body in macro.findall(path.read_text(encoding="utf-8"))}
        for name, body in bodies.items():
            if name.startswith("default__"):
                base = name.removeprefix("default__")
                copies += [
                    f"{path.name}: {e}__{base}"
                    for e in ("duckdb", "redshift", "athena")
                    if bodies.get(f"{e}__{base}") == body
                ]
    assert copies == []
