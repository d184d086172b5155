"""The README's main command from a fresh clone (issue 2: "the README's two commands run from a fresh clone").

`make test` itself is not run here: nothing inside `make test` calls `make test` (docs/decisions/0021) —
CI runs it on its own clean checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from dpc.paths import PROJECT_DIR

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fresh_clone")]


def test_make_demo_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DPC_", "DBT_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    done = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    assert "SUCCEEDED" in out and "Published mart: yes" in out
    data = clone / "data"
    assert (data / "docs" / "index.html").stat().st_size > 100_000
    assert (data / ".pseudonymisation_key").exists()
    assert oct((data / ".pseudonymisation_key").stat().st_mode)[-3:] == "600"
    processed = {p.name for p in (data / "lake" / "processed").iterdir()}
    assert {"fct_admissions", "fct_billing_lines", "dim_facility", "dim_mdc", "kpi_monthly_facility_mdc"} <= processed
    with duckdb.connect(str(data / "dpc.duckdb"), read_only=True) as con:
        stays = con.execute("select count(*) from mart.fct_admissions").fetchone()[0]
    summary = json.loads(next((data / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert summary["headline"]["stays"] == stays > 0
    # the key never left data/: not in the clone's tracked files
    tracked = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    assert tracked.strip() == "", tracked
