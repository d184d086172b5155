"""One dbt project, three engines: proof without an AWS account (issue 8, docs/decisions/0010).

- dbt parses once per target and compiles every model, data test and analysis for Redshift and Athena with
  no credentials and no network (dummy AWS values, every endpoint pointed at a closed local port), cache
  population and introspection off, in both branches of every incremental model (``offline_compile`` with
  ``assume_incremental`` false, then true with a list of deliveries). Unit tests stay out: they run on DuckDB.
- every compiled statement parses with sqlglot in the target's dialect, and no function of another engine
  leaked into it;
- Athena's relation lookups, when introspection is on, are answered by Glue — here a moto server;
- sqlfluff (dbt templater, DuckDB target, rules in .sqlfluff) finds nothing in models/ and tests/dbt;
- no model names an engine outside its config block.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot.tokens import TokenType

from dpc.paths import PROJECT_DIR
from tests.python.conftest import environment
from tests.python.moto_support import moto_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("engines")]

PROFILES_DIR = PROJECT_DIR / "profiles"
DIALECTS = {"redshift": "redshift", "athena": "athena"}
DELIVERIES = [
    {"facility_code": "131000017", "yyyymm": 202405},
    {"facility_code": "131000017", "yyyymm": 202406},
    {"facility_code": "271000023", "yyyymm": 202406},
]
BRANCHES = {
    "first_run": {"offline_compile": True, "assume_incremental": False},
    "incremental": {"offline_compile": True, "assume_incremental": True, "deliveries": DELIVERIES},
}
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, so any network call fails at once
# functions that exist on DuckDB (or nowhere but one engine) and would fail on the target: a guard against
# engine-specific SQL leaking out of macros/engines into a model
FOREIGN_FUNCTIONS = {
    "redshift": {
        "strptime",
        "strftime",
        "regexp_matches",
        "regexp_extract",
        "regexp_like",
        "quantile_cont",
        "quantile_disc",
        "string_agg",
        "array_agg",
        "array_join",
        "approx_percentile",
        "date_parse",
        "date_diff",
        "epoch_ms",
        "list_value",
        "struct_pack",
        "to_milliseconds",
        "from_iso8601_date",
    },
    "athena": {
        "strptime",
        "strftime",
        "regexp_matches",
        "quantile_cont",
        "quantile_disc",
        "string_agg",
        "listagg",
        "median",
        "percentile_cont",
        "to_date",
        "regexp_substr",
        "getdate",
        "datediff",
        "dateadd",
        "epoch_ms",
        "list_value",
        "struct_pack",
        "nvl",
        "len",
    },
}


def offline_env(tmp: Path) -> dict[str, str]:
    """Dummy connection values and no reachable endpoint: compiling must not need a warehouse."""
    return {
        "AWS_ACCESS_KEY_ID": "offline-compile-dummy",
        "AWS_SECRET_ACCESS_KEY": "offline-compile-dummy",
        "AWS_SESSION_TOKEN": "offline-compile-dummy",
        "AWS_REGION": "ap-northeast-1",
        "AWS_DEFAULT_REGION": "ap-northeast-1",
        "AWS_ENDPOINT_URL": CLOSED,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "HTTP_PROXY": CLOSED,
        "HTTPS_PROXY": CLOSED,
        "NO_PROXY": "",
        "DPC_REDSHIFT_HOST": "127.0.0.1",
        "DPC_DUCKDB_PATH": str(tmp / "unused.duckdb"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET": "local",
    }


@dataclass
class Compiled:
    target: str
    branch: str
    path: Path  # the target path of the compile
    manifest: Any
    success: bool
    error: str | None

    @property
    def compiled_dir(self) -> Path:
        return self.path / "compiled" / "dpc_learning"


def _dbt(args: list[str], manifest: Any = None) -> Any:
    from dbt.cli.main import dbtRunner

    return dbtRunner(manifest=manifest).invoke(args)


def _common(target: str, target_path: Path) -> list[str]:
    return [
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROFILES_DIR),
        "--target",
        target,
        "--target-path",
        str(target_path),
        "--quiet",
    ]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Compiled]]:
    """Parse once per target, then compile both branches from that manifest (no re-parse)."""
    tmp = tmp_path_factory.mktemp("engines")
    out: dict[tuple[str, str], Compiled] = {}
    saved_profile = os.environ.pop("AWS_PROFILE", None)
    try:
        with environment(**offline_env(tmp)):
            for target in DIALECTS:
                parse_path = tmp / f"{target}-parse"
                parsed = _dbt(["parse", *_common(target, parse_path), "--vars", json.dumps(BRANCHES["first_run"])])
                assert parsed.success, f"dbt parse --target {target}: {parsed.exception}"
                for branch, variables in BRANCHES.items():
                    path = tmp / f"{target}-{branch}"
                    result = _dbt(
                        [
                            "compile",
                            *_common(target, path),
                            "--no-populate-cache",
                            "--no-introspect",
                            "--exclude",
                            "resource_type:unit_test",
                            "--vars",
                            json.dumps(variables),
                        ],
                        manifest=parsed.result,
                    )
                    error = (
                        None
                        if result.success
                        else f"{result.exception}; "
                        + "; ".join(
                            f"{r.node.unique_id}: {r.message}"
                            for r in (getattr(result.result, "results", None) or [])
                            if str(r.status) != "success"
                        )
                    )
                    out[(target, branch)] = Compiled(target, branch, path, parsed.result, result.success, error)
        yield out
    finally:
        if saved_profile is not None:
            os.environ["AWS_PROFILE"] = saved_profile


def _models(manifest: Any) -> dict[str, Any]:
    return {n.name: n for n in manifest.nodes.values() if n.resource_type == "model" and n.config.enabled}


def _incremental(manifest: Any) -> dict[str, Any]:
    return {name: n for name, n in _models(manifest).items() if n.config.materialized == "incremental"}


def test_every_model_test_and_analysis_compiles_offline(compiled: dict[tuple[str, str], Compiled]) -> None:
    for (target, branch), c in compiled.items():
        assert c.success, f"{target} {branch}: {c.error}"
        files = list(c.compiled_dir.rglob("*.sql"))
        models = {
            p.stem for p in files if p.parent.suffix != ".yml" and "models" in p.relative_to(c.compiled_dir).parts
        }
        assert models == set(_models(c.manifest)), (target, branch)
        data_tests = [n for n in c.manifest.nodes.values() if n.resource_type == "test"]
        assert len(data_tests) > 200
        assert len(files) == len(models) + len(data_tests) + 1, (target, branch)  # + the analysis
        assert (c.compiled_dir / "analyses" / "incremental_statements.sql").exists()


def test_both_branches_of_every_incremental_model_are_compiled(compiled: dict[tuple[str, str], Compiled]) -> None:
    for target in DIALECTS:
        first = compiled[(target, "first_run")]
        incremental = compiled[(target, "incremental")]
        models = _incremental(first.manifest)
        assert {"stg_dpc__efn", "fct_billing_lines", "fct_admissions", "kpi_monthly_facility_mdc"} <= set(models)
        for name, node in models.items():
            # append-only histories: no incremental branch
            if name in ("dq_results", "dq_failure_deliveries", "dq_insurance_index_history"):
                continue
            path = Path(node.original_file_path).relative_to("models").with_suffix(".sql")
            full_sql = (first.compiled_dir / "models" / path).read_text()
            inc_sql = (incremental.compiled_dir / "models" / path).read_text()
            assert full_sql != inc_sql, f"{target} {name}: the incremental branch compiles to the same SQL"
            assert "yyyymm = 202406 and facility_code in ('131000017', '271000023')" in inc_sql or (
                "int_run__touched_" in inc_sql.split("\n", 1)[1]  # beyond the depends_on comment
            ), f"{target} {name}: the incremental branch does not select what the run touched"


def _statements(c: Compiled) -> Iterator[tuple[Path, str]]:
    for path in sorted(c.compiled_dir.rglob("*.sql")):
        yield path, path.read_text(encoding="utf-8")


def test_every_compiled_statement_parses_in_the_target_dialect(compiled: dict[tuple[str, str], Compiled]) -> None:
    errors: list[str] = []
    parsed = 0
    for (target, _), c in compiled.items():
        dialect = DIALECTS[target]
        for path, sql in _statements(c):
            try:
                trees = sqlglot.parse(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
                for tree in trees:
                    if tree is not None:
                        tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
                parsed += 1
            except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, sqlglot.errors.UnsupportedError) as e:
                errors.append(f"{target} {path.relative_to(c.path)}: {str(e)[:300]}")
    assert errors == []
    assert parsed > 4 * 250


def test_no_function_of_another_engine_in_compiled_sql(compiled: dict[tuple[str, str], Compiled]) -> None:
    found: list[str] = []
    for (target, _), c in compiled.items():
        for path, sql in _statements(c):
            tokens = sqlglot.tokenize(sql, read=DIALECTS[target])  # comments are not tokens
            for token, following in zip(tokens, tokens[1:], strict=False):
                name = token.text.lower()
                if following.token_type == TokenType.L_PAREN and name in FOREIGN_FUNCTIONS[target]:
                    found.append(f"{target} {path.relative_to(c.path)}: {name}(")
    assert sorted(set(found)) == []


def test_incremental_statements_of_the_pre_hooks_are_compiled(compiled: dict[tuple[str, str], Compiled]) -> None:
    """The DELETE each incremental model's pre-hook runs, rendered for every engine (parsed by the test above)."""
    for target in DIALECTS:
        c = compiled[(target, "incremental")]
        sql = (c.compiled_dir / "analyses" / "incremental_statements.sql").read_text()
        deletes = [s for s in sql.split(";") if "delete from" in s]
        hooked = {
            name
            for name, node in _incremental(c.manifest).items()
            if any("replace_touched_rows" in h.sql for h in node.config.pre_hook)
        }
        histories = {"dq_results", "dq_failure_deliveries", "dq_insurance_index_history"}
        assert hooked == set(_incremental(c.manifest)) - histories - {"int_stays__delivery_versions"}
        assert len(deletes) == len(hooked)
        efn = next(s for s in deletes if "stg_dpc__efn" in s)
        assert "(yyyymm = 202405 and facility_code in ('131000017'))" in efn
        assert "(yyyymm = 202406 and facility_code in ('131000017', '271000023'))" in efn


def test_engine_configs(compiled: dict[tuple[str, str], Compiled]) -> None:
    athena = _models(compiled[("athena", "first_run")].manifest)
    redshift = _models(compiled[("redshift", "first_run")].manifest)
    for name, node in athena.items():
        assert node.config.get("table_type") == "iceberg", name
        if node.config.materialized == "incremental":
            # Iceberg takes append or merge only; insert_overwrite would be refused (docs/decisions/0011)
            assert node.config.incremental_strategy in ("append", "merge"), name
        assert node.schema.startswith("dpc_dev_"), name  # one Glue database per layer
    for name in ("stg_dpc__efn", "stg_dpc__d", "stg_dpc__ff1", "stg_dpc__h", "fct_billing_lines"):
        assert athena[name].config.get("partitioned_by") == ["yyyymm"], name
        assert redshift[name].config.get("partitioned_by") is None, name
        assert redshift[name].config.incremental_strategy == "delete+insert", name
        assert redshift[name].config.unique_key == ["facility_code", "yyyymm"], name
    assert redshift["fct_billing_lines"].config.get("dist") == "stay_id"
    assert redshift["fct_billing_lines"].config.get("sort") == ["yyyymm", "facility_code"]
    assert redshift["kpi_monthly_facility_mdc"].config.get("dist") == "all"
    assert {n.schema for n in redshift.values()} <= {
        "stage",
        "internal",
        "mart_build",
        "dq",
        "ref",
    }  # layers are schemas
    assert redshift["stg_dpc__k"].schema == "internal"  # link keys: nobody but the pipeline reads them


def test_deliveries_var_is_validated_before_it_reaches_sql(
    compiled: dict[tuple[str, str], Compiled], tmp_path: Path
) -> None:
    manifest = compiled[("redshift", "first_run")].manifest
    with environment(**offline_env(tmp_path)):
        for bad in (
            {"facility_code": "131'; drop table x; --", "yyyymm": 202406},
            {"facility_code": "131000017", "yyyymm": 202413},
        ):
            variables = {**BRANCHES["incremental"], "deliveries": [bad]}
            result = _dbt(
                [
                    "compile",
                    *_common("redshift", tmp_path / "bad"),
                    "--no-populate-cache",
                    "--no-introspect",
                    "--select",
                    "stg_dpc__efn",
                    "--vars",
                    json.dumps(variables),
                ],
                manifest=manifest,
            )
            assert not result.success
            assert "var deliveries" in str(result.exception) + " ".join(
                str(r.message) for r in (getattr(result.result, "results", None) or [])
            )


def test_athena_relation_lookups_are_answered_by_glue(
    compiled: dict[tuple[str, str], Compiled], tmp_path: Path
) -> None:
    """With introspection on, dbt-athena asks Glue which relations exist: a moto server answers, and
    is_incremental() follows what Glue says (no offline_compile var)."""
    manifest = compiled[("athena", "first_run")].manifest
    with moto_server(stepfunctions_interpreter=False) as moto:
        glue = moto.client("glue")
        for layer in ("stage", "mart_build"):
            glue.create_database(DatabaseInput={"Name": f"dpc_dev_{layer}"})
        glue.create_table(
            DatabaseName="dpc_dev_stage",
            TableInput={
                "Name": "stg_dpc__efn",
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG"},
                "StorageDescriptor": {
                    "Columns": [{"Name": "facility_code", "Type": "string"}, {"Name": "yyyymm", "Type": "int"}],
                    "Location": "s3://dpc-learning-data-dev/warehouse/dpc_dev_stage/stg_dpc__efn/0000",
                },
            },
        )
        env = {**offline_env(tmp_path), **moto.env(), "HTTP_PROXY": "", "HTTPS_PROXY": ""}
        with environment(**env):
            result = _dbt(
                [
                    "compile",
                    *_common("athena", tmp_path / "glue"),
                    "--select",
                    "stg_dpc__efn",
                    "fct_billing_lines",
                    "--vars",
                    json.dumps({"deliveries": DELIVERIES}),
                ],
                manifest=manifest,
            )
        assert result.success, f"{result.exception} {moto.log_tail()}"
    models = tmp_path / "glue" / "compiled" / "dpc_learning" / "models"
    efn = (models / "stage" / "stg_dpc__efn.sql").read_text()
    lines = (models / "mart" / "fct_billing_lines.sql").read_text()
    assert "yyyymm = 202406" in efn  # the table exists in Glue: incremental branch
    assert "yyyymm = 202406" not in lines  # no such table yet: first run


def _outside_config_blocks(sql: str) -> str:
    """The model's text without its {{ config(...) }} blocks (where engine-specific settings may live)."""
    out, i = [], 0
    for match in re.finditer(r"\{\{\s*config\(", sql):
        if match.start() < i:
            continue
        depth, j = 0, match.end() - 1
        while j < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[j], 0)
            j += 1
            if depth == 0:
                break
        out.append(sql[i : match.start()])
        i = sql.index("}}", j) + 2
    out.append(sql[i:])
    return "".join(out)


def test_no_model_names_an_engine_outside_its_config() -> None:
    pattern = re.compile(r"duckdb|redshift|athena|trino", re.IGNORECASE)
    offenders = []
    models = sorted((PROJECT_DIR / "models").rglob("*.sql"))
    assert len(models) > 20
    for path in models:
        for line in _outside_config_blocks(path.read_text(encoding="utf-8")).splitlines():
            if pattern.search(line):
                offenders.append(f"{path.relative_to(PROJECT_DIR)}: {line.strip()}")
    assert offenders == []


def _sqlfluff(tmp_path: Path, paths: list[str], *extra: str) -> tuple[list[dict], subprocess.CompletedProcess]:
    env = {**os.environ, **offline_env(tmp_path), "DBT_TARGET_PATH": str(tmp_path / "target")}
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    result = subprocess.run(
        [str(sqlfluff), "lint", *paths, "--format", "json", "--processes", "1", "--nofail", *extra],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return json.loads(result.stdout), result


# The incremental models' SQL as dbt renders it once their tables exist (after `make demo`), without a warehouse:
# the is_incremental override answers from these vars (docs/decisions/0010), passed by sqlfluff's dbt templater.
INCREMENTAL_RENDERING = "[sqlfluff:templater:dbt:context]\noffline_compile = True\nassume_incremental = True\n"
# The only shape an incremental branch may take in a model: a whole `where` clause closing a CTE's select. The
# full-build rendering is then the incremental one without that clause, so sqlfluff's answer is the same for both
# (`make lint` before and after `make demo`, docs/decisions/0038). A condition ANDed into an existing where clause
# uses touched_filter() (1 = 1 in a full build), which renders one expression in both branches.
INCREMENTAL_BLOCK = re.compile(r"\{%-? if is_incremental\(\) -?%\}(.*?)\{%-? endif -?%\}", re.DOTALL)
WHOLE_WHERE_CLAUSE = re.compile(r"\n    where \{\{ touched_predicate\([^\n]*\) \}\}\n    ")


def test_sqlfluff_lint_is_clean(tmp_path: Path) -> None:
    """One sqlfluff run over models and tests/dbt, every incremental model in its incremental branch (the full-build
    branch differs only by whole clauses: test_incremental_branches_differ_by_whole_clauses)."""
    config = tmp_path / "incremental.sqlfluff"
    config.write_text(INCREMENTAL_RENDERING, encoding="utf-8")
    env = {**os.environ, **offline_env(tmp_path), "DBT_TARGET_PATH": str(tmp_path / "target")}
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    result = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests/dbt", "--format", "json", "--processes", "1", "--nofail"]
        + ["--config", str(config)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout)
    violations = [
        f"{f['filepath']}:{v['start_line_no']} {v['code']} {v['description']}" for f in report for v in f["violations"]
    ]
    assert len(report) > 40, result.stderr[-2000:]
    assert violations == []


def test_incremental_branches_differ_by_whole_clauses() -> None:
    blocks = 0
    for path in sorted((PROJECT_DIR / "models").rglob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        found = INCREMENTAL_BLOCK.findall(sql)
        assert sql.count("is_incremental()") == len(found), f"{path.name}: is_incremental() outside an if block"
        for body in found:
            assert WHOLE_WHERE_CLAUSE.fullmatch(body), f"{path.name}: an incremental branch that is not a where clause"
        blocks += len(found)
    assert blocks > 15
    # and the shape that broke the lint after `make demo` (an `and` inside {%- if %}) is caught:
    broken = "    where is_discharged\n    {%- if is_incremental() %}\n        and {{ touched_predicate('stays') }}\n    {%- endif %}"
    assert not all(WHOLE_WHERE_CLAUSE.fullmatch(b) for b in INCREMENTAL_BLOCK.findall(broken))
