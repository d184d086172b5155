"""Learners (issue 13): sandboxes, exercises that check themselves, progress.

The slow test builds two learners' sandboxes from one copy of the session's demo warehouse: one holds every reference
solution (tests/exercises/solutions/, each must pass its own check), the other every deliberately wrong solution
(tests/exercises/wrong/, each must fail with the message a learner needs). Building the second must not change the
first, nor the shared warehouse. The other tests need no dbt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dpc import exercises, sandbox
from dpc.cli import main
from dpc.exercises import catalogue
from dpc.exercises.check import check, compare, format_result
from dpc.paths import PROJECT_DIR
from tests.python.conftest import TEST_KEY, environment

SOLUTIONS = PROJECT_DIR / "tests" / "exercises" / "solutions"
WRONG = PROJECT_DIR / "tests" / "exercises" / "wrong"
# what each deliberately wrong solution must be told (fragments of the check's report)
WRONG_MESSAGES = {
    1: ["row(s) missing", "column stays:", "expected is higher"],
    2: [
        "your test unique_exercise_body_measurements_stay_id fails",
        "occur more than once",
        "one row per stay_id expected",
    ],
    3: ["column ffs_points:", "expected is higher"],
    4: ["column data_tests:", "expected is lower"],
    5: ["column discharges:", "expected is lower"],
    6: ["column patient_days:"],
    7: ["your test dpc_code_format missed 2: '0A0080x099x0xx', '040080x099y0xx'"],
    8: ["no redshift__iso_weekday variant", "no athena__iso_weekday variant", "admission_weekday=0"],
    9: ["did not recompute it", ">=, not >"],
    10: [
        "must use disclosure_min_stays",
        "describe every column",
        "add a not_null test on column facility_code",
        "add a unique_combination test",
    ],
}


def _install(source: Path, work_dir: Path) -> None:
    for exercise_dir in sorted(source.iterdir()):
        shutil.copytree(exercise_dir, work_dir, dirs_exist_ok=True)


def _fingerprints(db: Path, schemas: list[str]) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = con.execute(
            f"select table_schema, table_name from information_schema.tables where table_schema in "
            f"({', '.join('?' for _ in schemas)}) order by 1, 2",
            schemas,
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(
                f"select count(*) || ':' || coalesce(md5(string_agg(cast(x as varchar), '|' "
                f'order by cast(x as varchar))), \'\') from "{s}"."{t}" as x'
            ).fetchone()[0]
            for s, t in names
        }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# what a learner's dbt model may try (issue 25, docs/security.md "Learners"): a hook or `run_query` attaching the shared
# warehouse, deleting from its mart, reading the key or a raw delivery, writing a file, unlocking the settings
DBT_ESCAPES = {
    "escape_attach_shared": "{{{{ config(pre_hook=\"attach '{shared}' as shared_rw\") }}}} select 1 as x",
    "escape_delete_shared_mart": "{{{{ config(pre_hook=[\"attach '{shared}' as shared_rw\", "
    "'delete from shared_rw.mart.fct_admissions']) }}}} select 1 as x",
    "escape_read_key": "select * from read_text('{key}')",
    "escape_read_raw_csv": "select * from read_csv('{raw}', all_varchar = true)",
    "escape_read_raw_blob": "{{% if execute %}}{{% do run_query(\"select * from read_blob('{raw}')\") %}}{{% endif %}}"
    " select 1 as x",
    "escape_copy_to": "{{{{ config(post_hook=\"copy (select 1 as x) to '{written}'\") }}}} select 1 as x",
    "escape_unlock": "{{{{ config(pre_hook='set enable_external_access = true') }}}} select 1 as x",
}


def _attempt_dbt_escapes(sb: sandbox.Sandbox, shared: Path, data: Path) -> None:
    key = data / ".pseudonymisation_key"
    key.write_text("the-key-a-learner-must-never-read", encoding="utf-8")
    raw = next(Path(os.environ["DPC_LAKE"]).glob("raw/yyyymm=*/facility=*/EFn_*"))
    written = data / "written.csv"
    folder = sb.work_dir / "models" / "stage" / "escapes"
    folder.mkdir(parents=True)
    for name, sql in DBT_ESCAPES.items():
        (folder / f"{name}.sql").write_text(sql.format(shared=shared, key=key, raw=raw, written=written) + "\n")
    # env_var() cannot read a key: the model builds, with the default
    (folder / "escape_env_key.sql").write_text('select \'{{ env_var("DPC_PSEUDONYMISATION_KEY", "hidden") }}\' as k\n')
    outcome = sandbox.run_dbt(sb, ["build", "--select", "path:exercises/wrong/models/stage/escapes"])
    status = {n.unique_id.rsplit(".", 1)[1]: (n.status, n.message) for n in outcome.nodes if n.resource_type == "model"}
    assert sorted(status) == sorted([*DBT_ESCAPES, "escape_env_key"]), status
    for name in DBT_ESCAPES:
        state, message = status[name]
        assert state == "error" and ("Permission Error" in message or "locked" in message), (name, message)
        assert "the-key-a-learner-must-never-read" not in message
    assert status["escape_env_key"][0] == "success"
    with duckdb.connect(str(sb.db_path), read_only=True) as con:
        assert con.execute("select k from wrong_stage.escape_env_key").fetchall() == [("hidden",)]
    assert not written.exists()
    # a Python model would run with the platform's rights: refused before dbt starts
    (folder / "escape_python.py").write_text("def model(dbt, session):\n    return session.sql('select 1')\n")
    with pytest.raises(sandbox.SandboxError, match="Python models cannot run in a sandbox"):
        sandbox.run_dbt(sb, ["build", "--select", "escape_python"])
    shutil.rmtree(folder)


@pytest.fixture
def learner_env(demo_build: Path, tmp_path: Path) -> Iterator[Path]:
    """A private copy of the demo warehouse (the lake is only read), learners' folders under tmp_path."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(demo_build / "dpc.duckdb", data / "dpc.duckdb")
    values = {
        "DPC_DATA_DIR": str(data),
        "DPC_DUCKDB_PATH": str(data / "dpc.duckdb"),
        "DPC_LAKE": str(demo_build / "lake"),
        "DPC_EXERCISES_DIR": str(tmp_path / "exercises"),
        "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    with environment(**values):
        yield data


@pytest.mark.slow
@pytest.mark.xdist_group("learners")
def test_reference_solutions_pass_wrong_ones_fail_and_two_sandboxes_do_not_interfere(learner_env: Path, capsys):
    shared = learner_env / "dpc.duckdb"
    shared_before = _sha256(shared)
    solver, wrong = sandbox.sandbox_for("solver"), sandbox.sandbox_for("wrong")
    for sb in (solver, wrong):
        result = sandbox.reset(sb)
        assert result.tables["mart"] >= 5 and result.tables["stage"] >= 5 and "raw" not in result.tables
    _answered_before_dbt(wrong, capsys)
    _install(SOLUTIONS, solver.work_dir)
    _install(WRONG, wrong.work_dir)  # (over the typo _answered_before_dbt left)

    good = check(solver, list(catalogue()))
    report = "\n\n".join(format_result(r) for r in good)
    assert [r.exercise.id for r in good if not r.passed] == [], report
    assert all(r.rows for r in good), report
    # the behaviour checks really ran
    assert "caught all 4 invalid values" in report and "old months untouched" in report
    # the tutorial is in the docs site: the sandbox project parsed the shared docs, with the project overview
    parsed = sandbox.manifest(solver)
    assert "Tutorial" in parsed["docs"]["doc.dpc_learning.__dpc_learning__"]["block_contents"]
    # in the sandbox the learner's models go to solver_<layer>; shared refs read the published layers
    schema_of = {n["name"]: n["schema"] for n in parsed["nodes"].values() if n["resource_type"] == "model"}
    assert schema_of["exercise_dpc6_period2"] == "solver_mart" and schema_of["exercise_h_ward_days"] == "solver_stage"
    assert schema_of["fct_admissions"] == "mart" and schema_of["stg_dpc__h"] == "stage"
    solver_tables = _fingerprints(solver.db_path, solver.own_schemas)
    assert {f"solver_mart.{e.model}" for e in catalogue() if e.layer == "mart"} <= set(solver_tables)
    assert "solver_stage.exercise_body_measurements" in solver_tables

    # the second learner, through the command line: same model names, another sandbox
    assert main(["exercise", "--learner", "wrong", "check", "all"]) == 1
    out = capsys.readouterr().out
    sections = {int(m.group(1)): m.group(0) for m in re.finditer(r"(?ms)^Exercise (\d+) .*?(?=^Exercise |\Z)", out)}
    assert sorted(sections) == [e.id for e in catalogue()], out
    for number, fragments in WRONG_MESSAGES.items():
        assert "FAIL 不合格" in sections[number], sections[number]
        for fragment in fragments:
            assert fragment in sections[number], f"exercise {number}: {fragment!r} not in\n{sections[number]}"
    assert "0 of 10 passed" in out
    # the report never shows the hidden reference query
    for e in catalogue():
        for line in e.reference_path.read_text(encoding="utf-8").splitlines():
            if len(line.strip()) > 25 and not line.strip().startswith("--"):
                assert line.strip() not in out, f"reference SQL of exercise {e.id} leaked: {line.strip()}"

    # a learner's dbt models attempt every escape an audit found (issue 25): each fails, nothing outside their file moves
    _attempt_dbt_escapes(wrong, shared, learner_env)

    # no interference: the solver's tables are untouched, the shared warehouse is byte-identical and has no sandbox
    assert _fingerprints(solver.db_path, solver.own_schemas) == solver_tables
    assert _sha256(shared) == shared_before
    with duckdb.connect(str(shared), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert not {s for s in schemas if s.startswith(("solver_", "wrong_"))}
    with duckdb.connect(str(wrong.db_path), read_only=True) as con:
        wrong_schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
        own_dq = con.execute("select count(*), count(*) filter (where status = 'fail') from wrong_dq.dq_results")
        results, failed = own_dq.fetchone()
    assert not {s for s in wrong_schemas if s.startswith("solver_")} and "raw" not in wrong_schemas
    assert results > 0 and failed > 0  # the wrong learner's failing tests went to their own DQ history

    # progress, at a glance
    assert main(["exercise", "--learner", "solver", "status"]) == 0
    status = capsys.readouterr().out
    assert (
        status.count("PASS 合格") == len(catalogue()) and f"{len(catalogue())} of {len(catalogue())} passed" in status
    )
    progress = json.loads(wrong.progress_path.read_text(encoding="utf-8"))["exercises"]
    assert all(not progress[str(e.id)]["passed"] and progress[str(e.id)]["checked_at"] for e in catalogue())

    # a reset rebuilds the sandbox from the published layers; the learner's files and progress stay
    sandbox.reset(solver)
    info = sandbox.status(solver)
    assert info["own_relations"] == ["solver_dq.dq_results"] and not info["stale"]
    assert (solver.work_dir / "models" / "mart" / "exercise_dpc6_period2.sql").exists()
    assert "10 of 10 passed" in exercises.progress.format_status(solver)


def _answered_before_dbt(sb: sandbox.Sandbox, capsys) -> None:
    """Issue 27 item 5: a missing file and a SQL typo are told in well under a second, with the file, the line and
    DuckDB's own message, never a traceback — and dbt never ran (the sandbox has no manifest yet)."""
    started = time.monotonic()
    assert main(["exercise", "--learner", sb.learner, "check", "1"]) == 1
    missing = capsys.readouterr()
    assert f"no model exercise_admissions_by_route in your folder: create {sb.work_dir}/models/mart/" in missing.out
    solution = next((SOLUTIONS / "01_admissions_by_route").rglob("exercise_admissions_by_route.sql"))
    typo = solution.read_text(encoding="utf-8").replace("\n    from admissions\n", "\n    form admissions\n")
    (sb.work_dir / "models" / "mart" / solution.name).write_text(typo, encoding="utf-8")
    assert main(["exercise", "--learner", sb.learner, "check", "1"]) == 1
    told = capsys.readouterr()
    line = typo.splitlines().index("    form admissions") + 1
    assert (
        f'models/mart/exercise_admissions_by_route.sql:{line}: Parser Error: syntax error at or near "form"\n'
        "      form admissions" in told.out
    ), told.out
    assert time.monotonic() - started < 3 and "Traceback" not in missing.err + told.err
    assert not (sb.target_dir / "manifest.json").exists()  # dbt did not run
    # a column that does not exist parses, so dbt builds it: DuckDB's message, and the line in the learner's file
    unknown = solution.read_text(encoding="utf-8").replace(
        "        admissions.admission_route_code,\n", "        admissions.admission_rout_code,\n"
    )
    (sb.work_dir / "models" / "mart" / solution.name).write_text(unknown, encoding="utf-8")
    assert main(["exercise", "--learner", sb.learner, "check", "1"]) == 1
    built = capsys.readouterr()
    line = unknown.splitlines().index("        admissions.admission_rout_code,") + 1
    assert f"dbt could not build exercise_admissions_by_route (models/mart/{solution.name}:{line}):" in built.out
    assert 'Binder Error: Values list "admissions" does not have a column named "admission_rout_code"' in built.out
    assert "Traceback" not in built.out + built.err


def test_exercises_are_well_formed_and_rise_in_difficulty():
    items = catalogue()
    assert len(items) >= 8
    assert [e.id for e in items] == list(range(1, len(items) + 1))
    assert [e.level for e in items] == sorted(e.level for e in items)
    assert {e.layer for e in items} >= {"stage", "mart", "dq"}
    folders = {e.folder for e in items}
    assert {"models/stage", "models/intermediate", "models/mart", "models/dq"} <= folders
    assert any(e.require.get("dispatch") for e in items), "one exercise is an engine difference"
    assert any(e.require.get("materialized") == "incremental" for e in items)
    assert any(e.mutation for e in items), "one exercise is a test that must catch bad rows"
    shipped = {p.stem for p in (PROJECT_DIR / "models").rglob("*.sql")}
    for e in items:
        assert e.task["ja"].strip() and e.task["en"].strip() and e.title["ja"] and e.title["en"]
        assert e.reference_path.exists()
        assert e.model not in shipped, f"exercise {e.id} is answered by a shipped model"
        for source in (SOLUTIONS, WRONG):
            folder = source / f"{e.id:02d}_{e.slug}"
            assert (folder / e.folder / f"{e.model}.sql").exists(), f"{folder} lacks {e.folder}/{e.model}.sql"


def test_compare_says_what_differs_without_the_expected_values():
    e = exercises.get(5)
    expected = [
        ("040080", 202404.0, 10.0, 4.0, 0.4),
        ("040080", 202405.0, 8.0, 2.0, 0.25),
        ("050050", 202404.0, 12.0, 3.0, 0.25),
    ]
    actual = [
        ("040080", 202404.0, 10.0, 4.0, 0.4),
        ("040080", 202405.0, 9.0, 2.0, 0.2222222),
        ("040080", 202405.0, 9.0, 2.0, 0.2222222),
        ("060010", 202404.0, 1.0, 0.0, 0.0),
    ]
    problems = compare(e, expected, actual)
    text = "\n".join(problems)
    assert "expected 3 rows, yours has 4" in text
    assert "1 key(s) occur more than once" in text and "(dpc6='040080', discharge_yyyymm=202405)" in text
    assert "1 row(s) missing, e.g. (dpc6='050050', discharge_yyyymm=202404)" in text
    assert "1 row(s) that should not be there, e.g. (dpc6='060010', discharge_yyyymm=202404)" in text
    assert "column discharges: 1 of 2 rows differ" in text and "yours 9 — expected is lower" in text
    assert "column share_over_period_2: 1 of 2 rows differ" in text and "expected is higher" in text
    assert "0.25" not in text and " 8" not in text  # the expected values themselves are not shown
    assert compare(e, expected, list(expected)) == []
    # floats within 1e-6 are equal; NULL equals only NULL
    close = [r[:4] + (r[4] + 1e-9,) for r in expected]
    assert compare(e, expected, close) == []
    nulls = [r[:4] + (None,) for r in expected]
    assert "expected a value" in "\n".join(compare(e, expected, nulls))


def test_sandbox_project_keeps_paths_relative_and_adds_only_the_learners_folder(tmp_path: Path):
    with environment(DPC_DATA_DIR=str(tmp_path / "data"), DPC_EXERCISES_DIR=str(tmp_path / "ex")):
        sb = sandbox.sandbox_for("Alice")
        assert sb.learner == "alice" and sb.schema("mart_build") == "alice_mart"
        sandbox.init_work_dir(sb)
        path = sandbox.write_project(sb)
    config = sandbox.project_config(sb)
    assert config["name"] == "dpc_learning"
    assert config["model-paths"] == ["models", "exercises/alice/models"]
    assert config["macro-paths"] == ["macros", "exercises/alice/macros"]
    assert config["test-paths"] == ["tests/dbt", "exercises/alice/tests"]
    assert config["vars"]["dpc_sandbox_dir"] == "exercises/alice/"
    # dbt writes compiled SQL under target/<kind>/<package>/<original path>: no absolute path may reach it
    for key, value in config.items():
        if key.endswith("-paths"):
            assert not any(Path(p).is_absolute() for p in value), key
    root = path.parent
    assert (root / "models").resolve() == (PROJECT_DIR / "models").resolve()
    assert (root / "tests" / "dbt").resolve() == (PROJECT_DIR / "tests" / "dbt").resolve()
    assert (root / "exercises" / "alice").resolve() == (tmp_path / "ex" / "alice").resolve()
    assert (tmp_path / "ex" / "alice" / "models" / "intermediate").is_dir()
    # the shared project never sees learners' folders
    shared = (PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")
    assert "exercises" not in shared and "sandbox" not in shared


@pytest.mark.slow
@pytest.mark.xdist_group("learners")
def test_shared_project_keeps_its_layer_schemas_even_with_a_learner_exported(demo_build: Path, tmp_path: Path):
    """generate_schema_name: the demo's shared build put every node in its layer's schema, and a learner who exported
    DPC_LEARNER and runs the shared project (dpc run, make demo) still gets the shared layers."""
    from dpc.steps import transform

    manifest = json.loads((demo_build / "target" / "manifest.json").read_text(encoding="utf-8"))
    schemas = {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}
    assert schemas == {"stage", "internal", "mart_build", "dq", "ref"}
    with environment(DBT_TARGET_PATH=str(tmp_path / "target"), DBT_LOG_PATH=str(tmp_path / "logs")):
        outcome = transform.run_dbt(
            ["parse"], duckdb_path=tmp_path / "unused.duckdb", quiet=True, extra_env={"DPC_LEARNER": "alice"}
        )
    assert outcome.success, outcome.error
    parsed = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    with_learner = {
        n["unique_id"]: n["schema"] for n in parsed["nodes"].values() if n["resource_type"] in ("model", "seed")
    }
    assert set(with_learner.values()) == {"stage", "internal", "mart_build", "dq", "ref"}
    built = {n["unique_id"]: n["schema"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}
    assert {k: v for k, v in with_learner.items() if k in built} == {
        k: v for k, v in built.items() if k in with_learner
    }


def test_learner_commands_say_what_to_do(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("DPC_LEARNER", raising=False)
    with environment(DPC_DATA_DIR=str(tmp_path / "data"), DPC_EXERCISES_DIR=str(tmp_path / "ex")):
        assert main(["exercise", "check", "1"]) == 2
        assert "set DPC_LEARNER=<your name>" in capsys.readouterr().err
        assert main(["sandbox", "--learner", "9lives", "status"]) == 2
        assert "use a lowercase letter" in capsys.readouterr().err
        assert main(["exercise", "--learner", "carol", "check", "1"]) == 2
        assert "run `dpc sandbox reset` first" in capsys.readouterr().err
        assert main(["exercise", "--learner", "carol", "check", "99"]) == 2
        assert "no exercise 99" in capsys.readouterr().err
        assert main(["sandbox", "--learner", "carol", "status"]) == 0
        assert "no sandbox yet" in capsys.readouterr().out
        assert main(["sandbox", "--learner", "carol", "reset", "--from-db", str(tmp_path / "none.duckdb")]) == 2
        assert "run `dpc demo`" in capsys.readouterr().err
        assert main(["exercise", "list"]) == 0
        listing = capsys.readouterr().out
        assert all(e.title["en"] in listing for e in catalogue())
        assert main(["exercise", "show", "8", "--hints"]) == 0
        shown = capsys.readouterr().out
        assert "課題" in shown and "Task" in shown and "Hints" in shown and "redshift__" in shown


def test_checks_that_need_no_build_say_file_line_and_message_and_never_flag_valid_sql(tmp_path: Path):
    """The precheck before dbt (issue 27 item 5) flags nothing dbt would accept — no reference or wrong solution,
    no model or data test of the project — and flags broken YAML, Jinja and SQL with the file and line."""
    from dpc.exercises.precheck import precheck, sql_problem

    variables = sandbox.project_config(sandbox.sandbox_for("anyone"))["vars"]
    for folder in sorted([*SOLUTIONS.iterdir(), *WRONG.iterdir()]):
        found = precheck(folder, list(catalogue()), variables)
        assert found.project == [] and all(p[0].startswith("no model ") for p in found.exercise.values()), folder
    project_sql = sorted([*(PROJECT_DIR / "models").rglob("*.sql"), *(PROJECT_DIR / "tests" / "dbt").rglob("*.sql")])
    assert len(project_sql) > 40
    assert [p for f in project_sql if (p := sql_problem(f, PROJECT_DIR, variables))] == []

    model = tmp_path / "models" / "mart" / "exercise_admissions_by_route.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select\n    {{ type_double() }} as x,\n    count(*\nfrom {{ ref('fct_admissions') }}\n")
    assert sql_problem(model, tmp_path, variables) == (
        'models/mart/exercise_admissions_by_route.sql:4: Parser Error: syntax error at or near "from"\n'
        "      from {{ ref('fct_admissions') }}"
    )
    model.write_text("select 1 as x\nfrom {{ ref('fct_admissions') }\n")
    assert sql_problem(model, tmp_path, variables).startswith("models/mart/exercise_admissions_by_route.sql:2: Jinja")
    (tmp_path / "models" / "mart" / "_schema.yml").write_text("models:\n  - name: a\n   description: b\n")
    [problem] = precheck(tmp_path, [exercises.get(1)], variables).project
    assert problem.startswith("models/mart/_schema.yml:3: YAML error:")


def test_a_database_error_points_at_the_learners_line_not_the_line_dbt_ran():
    from dpc.exercises.precheck import source_line_of

    sql = "select\n    admissions.stay_idd,\n    1 as x\nfrom (select 1 as stay_id) as admissions\n"
    with duckdb.connect() as con, pytest.raises(duckdb.BinderException) as caught:
        con.execute(f"create table t as (\n{sql})")  # wrapped, as dbt-duckdb runs a model
    assert "LINE 3:" in str(caught.value)
    source = "{{ config(materialized='table') }}\n-- stays\n" + sql
    assert source_line_of(str(caught.value), source) == 4
    assert source_line_of(str(caught.value), source + "-- admissions.stay_idd,\n") is None  # two candidates: none
