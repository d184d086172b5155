"""The README's main command from a fresh clone (issue 2: "the README's two commands run from a fresh clone").

`make test` itself is not run here: nothing inside `make test` calls `make test` (docs/decisions/0021) —
CI runs it on its own clean checkout. The clone's `make demo` installs the runtime lock only (docs/decisions/0022),
and what it prints must be the README's sample summary, up to run ids, timings and paths (issue 27, item 8).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from dpc.paths import PROJECT_DIR

README = PROJECT_DIR / "README.md"
RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{8}\b")
SECONDS = re.compile(r"\b\d+(?:\.\d+)?s\b")
ELIDED = "…"  # a README line of only this stands for any number of printed lines


def readme_sample() -> str:
    """The fenced block after "It prints a summary like:" in the README."""
    text = README.read_text(encoding="utf-8")
    m = re.search(r"It prints a summary like:\n\n```\n(.*?)\n```", text, flags=re.DOTALL)
    assert m, "README.md: no fenced sample after 'It prints a summary like:'"
    return m.group(1)


def _normalise(text: str, root: str | None = None) -> list[str]:
    if root:
        text = text.replace(root.rstrip("/") + "/", "")
    text = SECONDS.sub("<s>", RUN_ID.sub("<run id>", text))
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def sample_mismatch(sample: str, printed: str, root: str | None = None) -> str | None:
    """None when the printed summary (from its "DPC pipeline run" line on) is the README's sample once run ids,
    timings and the checkout's path are set aside, and a line of only "…" in the sample stands for any lines;
    otherwise a diff that says what to change in the README."""
    start = printed.find("DPC pipeline run ")
    if start < 0:
        return "no 'DPC pipeline run' line in the output"
    got = _normalise(printed[start:], root)
    want = _normalise(sample)
    pattern = "".join("(?:[^\n]*\n)*?" if line.strip() == ELIDED else re.escape(line) + "\n" for line in want)
    if re.fullmatch(pattern, "\n".join(got) + "\n"):
        return None
    return "\n".join(difflib.unified_diff(want, got, "README.md sample", "make demo printed", lineterm=""))


def test_the_sample_check_catches_a_changed_figure() -> None:
    """The comparison used on the clone's output can fail: the README's sample, with its elided lines filled in,
    passes; the same with one figure changed, a line dropped or a line added does not."""
    sample = readme_sample()
    printed = sample.replace(
        f"\n  {ELIDED}\n", "\n  131000017 202405  loaded    D 1\n  271000023 202406  loaded    D 2\n"
    )
    printed = "make: noise before the summary\n" + RUN_ID.sub("20990101T000000Z-0123abcd", printed)
    assert sample_mismatch(sample, printed) is None
    lines = printed.splitlines()
    changed_figure = printed.replace("dbt models:     ", "dbt models:     1", 1)
    assert changed_figure != printed and sample_mismatch(sample, changed_figure) is not None
    dropped = "\n".join(line for line in lines if not line.startswith("Headline:"))
    assert sample_mismatch(sample, dropped) is not None
    assert sample_mismatch(sample, printed + "\nAn extra line\n") is not None


@pytest.mark.slow
@pytest.mark.xdist_group("fresh_clone")
def test_make_demo_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(PROJECT_DIR), str(clone)], check=True)
    # as a new user's shell has it: none of our settings, and not inside `make test` (an inherited MAKELEVEL makes the
    # clone's make a sub-make, which prints "Entering/Leaving directory" lines a user never sees)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DPC_", "DBT_", "VIRTUAL_ENV", "MAKE", "MFLAGS"))}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    done = subprocess.run(["make", "demo"], cwd=clone, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    assert "SUCCEEDED" in out and "Published mart: yes" in out
    # the README's sample summary is what make demo prints (update the README when this fails)
    mismatch = sample_mismatch(readme_sample(), out, str(clone))
    assert mismatch is None, mismatch
    # plain dbt from the clone's root, as a dbt user types it: the profile through the root link (which survived the
    # clone), the parse `make demo` left re-used, a named selection, and the demo's deliveries fresh
    # (docs/decisions/0038)
    assert (clone / "profiles.yml").is_symlink()
    assert (clone / "profiles.yml").resolve() == (clone / "profiles" / "profiles.yml").resolve()
    fresh = subprocess.run(
        [str(clone / ".venv" / "bin" / "dbt"), "source", "freshness", "--selector", "raw_deliveries"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert fresh.returncode == 0, fresh.stdout[-3000:] + fresh.stderr[-2000:]
    assert fresh.stdout.count("PASS freshness of dpc_raw.") == 7, fresh.stdout[-3000:]
    log = (clone / "logs" / "dbt.log").read_text(encoding="utf-8")
    this_run = log[log.rindex("Running with dbt=") :]
    assert "Unable to do partial parsing" not in this_run and "Partial parsing enabled" in this_run, this_run[:3000]
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
