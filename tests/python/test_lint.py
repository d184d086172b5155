"""What is configured is enforced: ruff's lint rules and its formatting (pyproject.toml [tool.ruff]) hold over every
Python directory `make lint` names, so `make test` fails on a lint or format error (sqlfluff's lint of the models is
in test_engines.py)."""

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
