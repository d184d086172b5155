"""The Lambda package: handlers plus the standard-library-only part of dpc, importable with nothing else."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dpc.generate import generate
from dpc.paths import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "package_lambdas.py"
HANDLERS = (
    "dispatch",
    "validate_manifest",
    "load_raw",
    "record_partitions",
    "data_quality",
    "publish",
    "export",
    "notify",
    "ecs_stopped_guard",
)
HEAVY = ("pyarrow", "duckdb", "dbt", "pandas", "boto3", "botocore")


def _build(out: Path, handlers: Path = PROJECT_DIR / "orchestration" / "lambdas") -> subprocess.CompletedProcess[str]:
    """The packager exactly as Terraform runs it (any python3, standard library only)."""
    python = shutil.which("python3") or sys.executable
    return subprocess.run(
        [python, str(SCRIPT), "--handlers", str(handlers), "--dpc", str(PROJECT_DIR / "dpc"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lambda") / "dpc-lambdas.zip"
    result = _build(out)
    assert result.returncode == 0, result.stderr
    return out


def test_zip_holds_the_handlers_and_only_the_light_part_of_dpc(package: Path) -> None:
    names = set(zipfile.ZipFile(package).namelist())
    assert {f"{h}.py" for h in HANDLERS} <= names
    assert {
        "dpc/__init__.py",
        "dpc/steps/__init__.py",
        "dpc/steps/validate.py",
        "dpc/steps/notify.py",
        "dpc/steps/dq.py",
        "dpc/steps/load.py",
        "dpc/steps/publish.py",
        "dpc/steps/export.py",
        "dpc/executors/__init__.py",
        "dpc/executors/redshift.py",
        "dpc/errors.py",
        "dpc/steps/dispatch.py",
        "dpc/manifest.py",
        "dpc/storage.py",
        "dpc/layouts.py",
    } <= names
    for heavy in (
        "dpc/readers/__init__.py",
        "dpc/readers/read.py",
        "dpc/steps/normalise.py",
        "dpc/steps/ingest.py",
        "dpc/executors/duckdb.py",
        "dpc/executors/duckdb_export.py",
        "dpc/pipeline.py",
        "dpc/steps/transform.py",
    ):
        assert heavy not in names
    assert package.stat().st_size < 1_000_000  # far below Lambda's 250 MB unzipped limit (docs/decisions/0014)


def test_zip_imports_with_the_standard_library_alone_and_validates_a_delivery(package: Path, tmp_path: Path) -> None:
    """In a fresh interpreter without site-packages (-I -S: no boto3, pyarrow or duckdb can be found), with only
    the zip on sys.path: every handler imports, and the packaged validation checks a generated delivery."""
    generate(tmp_path / "lake", seed=5, facilities=1, months=1, admissions_per_month=5)
    code = f"""
import importlib, json, sys
sys.path.insert(0, {str(package)!r})
handlers = {{m: callable(importlib.import_module(m).handler) for m in {list(HANDLERS)!r}}}
from pathlib import Path
from dpc.storage import LocalStorage
from dpc.steps.validate import find_deliveries, validate_delivery
storage = LocalStorage(Path({str(tmp_path / "lake")!r}))
[(facility, yyyymm)] = find_deliveries(storage)
report = validate_delivery(storage, facility, yyyymm)
print(json.dumps({{"handlers": handlers, "ok": report.ok,
                  "loaded": sorted({{m.split(".")[0] for m in sys.modules}} & set({list(HEAVY)!r})),
                  "dpc_from_zip": sys.modules["dpc"].__file__.startswith({str(package)!r})}}))
"""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out == {"handlers": dict.fromkeys(HANDLERS, True), "ok": True, "loaded": [], "dpc_from_zip": True}


def test_package_is_reproducible(package: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.zip"
    assert _build(again).returncode == 0
    assert again.read_bytes() == package.read_bytes()


def test_packager_refuses_a_handler_that_pulls_in_heavy_modules(tmp_path: Path) -> None:
    handlers = tmp_path / "lambdas"
    handlers.mkdir()
    (handlers / "ok.py").write_text("from dpc.steps.validate import validate_delivery\n", encoding="utf-8")
    (handlers / "bad.py").write_text("from dpc.steps.normalise import normalise_delivery\n", encoding="utf-8")
    result = _build(tmp_path / "x.zip", handlers)
    assert result.returncode == 1 and not (tmp_path / "x.zip").exists()
    assert "normalise.py: imports 'pyarrow'" in result.stderr
