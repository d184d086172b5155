"""The tutorial (docs/tutorial/) runs: its command blocks, extracted from the Markdown, executed in order as one shell
script against a copy of the session's demo warehouse, from a workspace that looks like a clone after `make demo`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from dpc.exercises import tutorial
from dpc.paths import PROJECT_DIR
from tests.python.conftest import TEST_KEY

# the tests a skipped block may point to (they run the command instead)
SKIP_REASONS = {"make demo": "test_fresh_clone.py", "dpc docs": "test_docs_site.py"}


def test_every_command_block_is_marked_and_every_chapter_is_linked():
    blocks = tutorial.all_blocks()
    assert len([b for b in blocks if b.mode == tutorial.RUN]) >= 20
    unmarked = [b.where for b in blocks if not b.mode]
    assert unmarked == [], f"bash blocks without a `# tutorial:…` marker: {unmarked}"
    for b in blocks:
        if b.mode == tutorial.SKIP:
            command = b.code.strip()
            assert command in SKIP_REASONS, f"{b.where}: only {sorted(SKIP_REASONS)} may be skipped"
            assert (
                SKIP_REASONS[command] in b.reason
                and (PROJECT_DIR / "tests" / "python" / SKIP_REASONS[command]).exists()
            )
    readme = (tutorial.CHAPTERS_DIR / "README.md").read_text(encoding="utf-8")
    for chapter in tutorial.chapters()[1:]:
        assert f"]({chapter.name})" in readme, f"README does not link {chapter.name}"
    topics = " ".join(p.read_text(encoding="utf-8") for p in tutorial.chapters())
    for command in (
        "dpc inspect",
        "dpc sandbox reset",
        "dpc sandbox dbt build",
        "dpc exercise check",
        "dispatch",
        "period_2_days",
        "dq.dq_results",
        "fct_admissions",
        "dbt ls",
    ):
        assert command in topics, command


def test_docs_site_block_is_up_to_date():
    assert tutorial.DOCS_BLOCK.read_text(encoding="utf-8") == tutorial.render_docs(), (
        "docs/dbt/tutorial.md is stale: run `python -m dpc.exercises.tutorial`"
    )


def test_script_runs_blocks_in_order_and_expects_failures(tmp_path: Path):
    (tmp_path / "01-a.md").write_text(
        "```bash\n# tutorial:run\nexport X=1\n```\n```sql\nselect 1\n```\n"
        '```bash\n# tutorial:run expect-fail\ntest "$X" = 2\n```\n```bash\n# tutorial:skip — nothing\nexit 1\n```\n',
        encoding="utf-8",
    )
    script = tutorial.script(tutorial.all_blocks(tmp_path))
    assert subprocess.run(["bash", "-c", script], capture_output=True, text=True).returncode == 0
    broken = script.replace('test "$X" = 2', 'test "$X" = 1')
    result = subprocess.run(["bash", "-c", broken], capture_output=True, text=True)
    assert result.returncode == 1 and "01-a.md:8: expected to fail" in result.stderr


def _workspace(tmp_path: Path, demo_build: Path) -> Path:
    """A checkout after `make demo`: the repository's files (links), data/ with the demo warehouse (a private copy)
    and lake (read only), and an empty exercises/ folder."""
    ws = tmp_path / "ws"
    ws.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in ("data", "exercises", "target", "logs", ".git"):
            (ws / entry.name).symlink_to(entry)
    data = ws / "data"
    data.mkdir()
    (data / "lake").symlink_to(demo_build / "lake")
    shutil.copy2(demo_build / "dpc.duckdb", data / "dpc.duckdb")
    (ws / "exercises").mkdir()
    return ws


def _env(ws: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DPC_", "DBT_", "AWS_"))}
    env.update(
        {
            "PATH": f"{PROJECT_DIR / '.venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "DPC_DATA_DIR": str(ws / "data"),
            "DPC_EXERCISES_DIR": str(ws / "exercises"),
            "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
            "DBT_TARGET_PATH": str(ws / "data" / "target"),
            "DBT_LOG_PATH": str(ws / "data" / "logs"),
            # the Redshift compile needs no warehouse: nothing reachable, dummy credentials
            "AWS_ACCESS_KEY_ID": "tutorial-dummy",
            "AWS_SECRET_ACCESS_KEY": "tutorial-dummy",
            "AWS_REGION": "ap-northeast-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(ws / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(ws / "no-aws-credentials"),
        }
    )
    return env


@pytest.mark.slow
@pytest.mark.xdist_group("learners")
def test_tutorial_commands_run(demo_build: Path, tmp_path: Path):
    ws = _workspace(tmp_path, demo_build)
    script = tutorial.script(tutorial.all_blocks())
    (tmp_path / "tutorial.sh").write_text(script, encoding="utf-8")
    result = subprocess.run(
        ["bash", str(tmp_path / "tutorial.sh")], cwd=ws, env=_env(ws), capture_output=True, text=True, timeout=900
    )
    out = result.stdout
    assert result.returncode == 0, f"{out[-6000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
    assert out.rstrip().endswith("### tutorial finished")
    parts = re.split(r"^### tutorial block \d+ \(([^)]+)\)$", out, flags=re.M)
    ran = list(zip(parts[1::2], parts[2::2], strict=True))  # (file:line, mode), output
    assert [w for w, _ in ran] == [f"{b.where}, {b.mode}" for b in tutorial.all_blocks() if b.mode != tutorial.SKIP]
    # what the chapters promise
    assert "tsv-header" in out and "cp932" in out  # dpc inspect
    failed = [text for where, text in ran if where.endswith("expect-fail")]
    assert len(failed) == 1 and "FAIL 不合格" in failed[0] and "row(s) missing" in failed[0]
    after = [text for where, text in ran if where.startswith("05-first-model.md")][-1]
    assert "PASS 合格" in after and "1 of 10 passed" in after
    assert 'from "dpc"."mart"."fct_admissions"' in out and "last_day(admission_date)" in out  # Redshift compile
    sandbox_db = ws / "data" / "sandboxes" / "alice" / "sandbox.duckdb"
    with duckdb.connect(str(sandbox_db), read_only=True) as con:
        built = {
            r[0]
            for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables where table_schema like 'alice_%'"
            ).fetchall()
        }
        tests = con.execute(
            "select count(*) from alice_dq.dq_results where model_name = 'tutorial_admission_referrals'"
            " and status = 'pass'"
        ).fetchone()[0]
    assert {
        "alice_stage.tutorial_admission_referrals",
        "alice_mart.tutorial_admissions_per_day",
        "alice_mart.exercise_admissions_by_route",
    } <= built
    assert tests >= 5
    assert (ws / "exercises" / "alice" / "models" / "stage" / "tutorial_admission_referrals.sql").exists()
