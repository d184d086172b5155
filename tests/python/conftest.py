"""Shared fixtures. The demo is built once per test run (docs/decisions/0023) and copied into tests that need it."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dpc.paths import PROJECT_DIR

TEST_KEY = "pytest-only-pseudonymisation-key-not-a-secret"
TEST_LINK_KEY = "pytest-only-link-key-not-a-secret-either"  # the cross-facility link key has its own key
DEMO = {"seed": 7, "facilities": 2, "months": 3, "start_yyyymm": 202404, "admissions_per_month": 60}


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def demo_env(root: Path) -> dict[str, str]:
    """Everything a run writes goes under root: lake, DuckDB file, dbt target/ and logs."""
    return {
        "DPC_DATA_DIR": str(root),
        "DPC_LAKE": str(root / "lake"),
        "DPC_DUCKDB_PATH": str(root / "dpc.duckdb"),
        "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
        "DPC_LINK_KEY": TEST_LINK_KEY,
        "DBT_TARGET_PATH": str(root / "target"),
        "DBT_LOG_PATH": str(root / "logs"),
    }


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist every worker has its own basetemp; their parent is shared by the run
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo dataset run through the whole local pipeline once per test run; treat it as read-only."""
    root = _shared_dir(tmp_path_factory) / "demo-build"
    with open(str(root) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "summary.json").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            from dpc.generate import generate
            from dpc.pipeline import run_local

            with environment(**demo_env(root)):
                generate(root / "lake", **DEMO)
                summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", unit_tests=True)
            (root / "summary.json").write_text(json.dumps(summary.as_dict(), default=str), encoding="utf-8")
    return root


def delivered_files(demo_build: Path, raw: Path) -> dict[str, bytes]:
    """The files of one demo delivery as the hospital delivered them: the normaliser deleted the raw K生成用データ
    after reading it (docs/pseudonymisation.md), so it is generated again (the generator is deterministic)."""
    files = {p.name: p.read_bytes() for p in raw.iterdir() if p.is_file()}
    manifest = json.loads(files["manifest.json"])
    missing = [f["name"] for f in manifest["files"] if f["name"] not in files]
    if missing:
        again = _demo_generated_again() / raw.relative_to(demo_build / "lake")
        files |= {name: (again / name).read_bytes() for name in missing}
    return files


@functools.cache
def _demo_generated_again() -> Path:
    """The demo's deliveries generated once more, once per test process (several tests read many deliveries)."""
    import atexit
    import tempfile

    from dpc.generate import generate

    lake = Path(tempfile.mkdtemp(prefix="dpc-demo-again-"))
    atexit.register(shutil.rmtree, lake, True)
    generate(lake, **DEMO)
    return lake


@pytest.fixture
def demo_copy(demo_build: Path, tmp_path: Path) -> Iterator[Path]:
    """A private, writable copy of the demo build, with the environment pointing at it."""
    root = tmp_path / "demo"
    root.mkdir()
    shutil.copytree(demo_build / "lake", root / "lake")
    shutil.copy2(demo_build / "dpc.duckdb", root / "dpc.duckdb")
    from dpc.executors.duckdb import ensure_raw_tables

    with duckdb.connect(str(root / "dpc.duckdb")) as con:  # raw.* views follow the copied lake, not the original
        ensure_raw_tables(con, root / "lake")
    with environment(**demo_env(root)):
        yield root


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make `--dist loadgroup` honour xdist_group marks: pytest 9 keeps node ids in item._id, while xdist 3.8
    still renames item._nodeid, so without this the marks are ignored and grouped tests spread over workers."""
    if getattr(config.option, "dist", None) != "loadgroup":
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted(
            {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
        )
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def spec_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The specification's worked examples (tests/python/spec_build.py) through the whole local pipeline, once per
    test run; treat it as read-only. ``summary.json`` holds the run summary, ``dpc.duckdb`` the result."""
    root = _shared_dir(tmp_path_factory) / "spec-build"
    with open(str(root) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "summary.json").exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            from tests.python import spec_build as scenarios

            with environment(**demo_env(root)):
                scenarios.build(root)
    return root
