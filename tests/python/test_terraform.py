"""infra/terraform checks (issue 11): fmt, init + validate of every root and module, checkov with zero failures,
`terraform test` suites (mock provider) for every module and root — the platform composition once per environment,
with that environment's values — and an apply of the moto-supported resources against a local moto server,
idempotent (a second plan shows no changes), then destroyed.

Environments are values, not copies (issue 24): one composition, infra/terraform/platform, and per environment
infra/terraform/environments/<env>.tfvars and <env>.backend.hcl.

Terraform runs in a temporary copy of the tree (no .terraform/ or lock files in the work tree). Offline machines
use the provider mirror at /opt/tf-plugins through a CLI configuration file this module writes; elsewhere the
public registry. Missing terraform or checkov fails the tests: run `make test-setup`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xdist_group("terraform"), pytest.mark.slow]  # `pytest -m "not slow"` leaves it out

REPO = Path(__file__).resolve().parents[2]
TF = REPO / "infra" / "terraform"
MIRROR = Path("/opt/tf-plugins")
MODULES = ["foundation", "iam", "redshift", "glue_athena", "pipeline", "quicksight"]
PLATFORM = "platform"  # the one composition of the modules; environments are its values
ROOTS = ["bootstrap", PLATFORM]
DIRS = [f"modules/{m}" for m in MODULES] + ROOTS
# One environment per values file (environments/<env>.tfvars); dev and prod are the design's.
ENVIRONMENTS = sorted(p.name.removesuffix(".tfvars") for p in (TF / "environments").glob("*.tfvars"))
# Flags that must differ in production, with their protected values (the composition's defaults).
PROTECTION = {
    "deletion_protection": "true",
    "force_destroy_buckets": "false",
    "force_destroy_workgroup": "false",
    "ecr_force_delete": "false",
}
SETUP_HINT = "run `make test-setup`"
# The one Lambda packager (tested by test_orchestration_package.py); Terraform runs it at apply.
PACKAGER = "scripts/package_lambdas.py"

# Resources moto 5.2 implements faithfully enough for apply -> plan (no changes) -> destroy. Step Functions
# (ValidateStateMachineDefinition), Redshift Serverless, Athena workgroup tags, Lambda, Scheduler, Budgets and
# QuickSight are covered by `terraform test` instead; the S3 lifecycle configurations too (the provider waits for
# a consistency moto never reports). The real resources are not weakened for moto: only this test's override
# file changes provider endpoints and two module arguments moto does not round-trip.
MOTO_TARGETS = [
    *(
        f"module.foundation.{r}"
        for r in [
            "aws_kms_key.this",
            "aws_kms_alias.this",
            "aws_s3_bucket.data",
            "aws_s3_bucket.artifacts",
            "aws_s3_bucket_public_access_block.data",
            "aws_s3_bucket_public_access_block.artifacts",
            "aws_s3_bucket_ownership_controls.data",
            "aws_s3_bucket_ownership_controls.artifacts",
            "aws_s3_bucket_versioning.data",
            "aws_s3_bucket_versioning.artifacts",
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "aws_s3_bucket_server_side_encryption_configuration.artifacts",
            "aws_s3_bucket_policy.data",
            "aws_s3_bucket_policy.artifacts",
            "aws_cloudtrail.this",
            "aws_secretsmanager_secret.pseudonymisation_key",
            "aws_secretsmanager_secret.slack_webhook",
        ]
    ),
    "module.iam",
    "module.glue_athena.aws_glue_catalog_database.layer",
    "module.pipeline.aws_ecs_cluster.this",
    "module.pipeline.aws_ecs_task_definition.runner",
    "module.pipeline.aws_ecr_repository.runner",
    "module.pipeline.aws_cloudwatch_log_group.runner",
    "module.pipeline.aws_cloudwatch_log_group.lambda",
    "module.pipeline.aws_cloudwatch_log_group.statemachine",
    "module.pipeline.aws_sns_topic.notifications",
    "module.pipeline.aws_sns_topic_policy.notifications",
    "module.pipeline.aws_dynamodb_table.deliveries",
    "module.pipeline.aws_security_group.runner",
]
MOTO_ENDPOINTS = [
    "cloudtrail",
    "cloudwatch",
    "cloudwatchlogs",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "events",
    "glue",
    "iam",
    "kms",
    "lambda",
    "s3",
    "secretsmanager",
    "sns",
    "sts",
    "scheduler",
    "sfn",
    "athena",
    "redshiftserverless",
    "budgets",
]


def _need(path: str | None, what: str) -> str:
    if not path:
        pytest.fail(f"{what} is not installed: {SETUP_HINT}", pytrace=False)
    return path


def checkov_bin() -> str:
    env = os.environ.get("CHECKOV_BIN")
    if env and Path(env).is_file():
        return env
    local = REPO / ".venv-checkov" / "bin" / "checkov"
    return _need(str(local) if local.is_file() else None, "checkov (CHECKOV_BIN or .venv-checkov/bin/checkov)")


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    _need(shutil.which("terraform"), "terraform")
    base = tmp_path_factory.mktemp("tfcli")
    cache = base / "plugin-cache"
    cache.mkdir()
    cli = base / "cli.tfrc"
    if MIRROR.is_dir():
        cli.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{MIRROR}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }}\n'
            '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        )
    else:
        cli.write_text("# public registry\n")
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(cli),
        TF_PLUGIN_CACHE_DIR=str(cache),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    for k in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TF_WORKSPACE"):
        env.pop(k, None)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _copy_tree(dest: Path) -> Path:
    """A copy of what the Terraform configurations read: infra/, the ASL template, the handlers, dpc/ and the
    Lambda packager (scripts/package_lambdas.py)."""
    ignore = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*", "__pycache__")
    shutil.copytree(REPO / "infra", dest / "infra", ignore=ignore)
    shutil.copytree(REPO / "orchestration", dest / "orchestration", ignore=ignore)
    shutil.copytree(REPO / "dpc", dest / "dpc", ignore=ignore)
    (dest / "scripts").mkdir()
    shutil.copy2(REPO / PACKAGER, dest / PACKAGER)
    return dest / "infra" / "terraform"


@pytest.fixture(scope="session")
def tf_copy(tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Path:
    """A temporary copy of the tree with every root and module initialised (-backend=false)."""
    root = _copy_tree(tmp_path_factory.mktemp("tfrepo"))

    def init(d: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        return d, run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], root / d, tf_env)

    # The first init fills the shared plugin cache; the rest link from it, two at a time (2 cores). Terraform
    # links from the cache only for a provider whose checksum the directory's lock file records: without one,
    # every init installs into the cache again, and two at once race on its directories ("mkdir: file exists").
    # Every directory needs the same provider (hashicorp/aws ~> 5.100), so the first lock file serves all.
    first = init(DIRS[0])
    lock = root / DIRS[0] / ".terraform.lock.hcl"
    if first[1].returncode == 0:
        for d in DIRS[1:]:
            shutil.copy2(lock, root / d / ".terraform.lock.hcl")
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [first, *pool.map(init, DIRS[1:])]
    failed = {d: r.stdout + r.stderr for d, r in results if r.returncode != 0}
    assert not failed, f"terraform init failed: {failed}"
    return root


def test_fmt(tf_env: dict[str, str]) -> None:
    r = run(["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", "infra/terraform"], REPO, tf_env)
    assert r.returncode == 0, (
        f"terraform fmt -check failed (run terraform fmt -recursive infra/terraform):\n{r.stdout}{r.stderr}"
    )


@pytest.mark.parametrize("d", DIRS)
def test_validate(tf_copy: Path, tf_env: dict[str, str], d: str) -> None:
    r = run(["terraform", "validate", "-no-color"], tf_copy / d, tf_env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_checkov_zero_failures(tmp_path: Path) -> None:
    binary = checkov_bin()
    # Serial: with forked workers checkov 3.3.30 sometimes drops inline skips of a module called from two roots.
    env = dict(
        os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", CHECKOV_PARALLELIZATION_TYPE="none"
    )
    r = subprocess.run(
        [
            binary,
            "-d",
            str(REPO / "infra"),
            "--framework",
            "terraform",
            "--quiet",
            "--compact",
            "--skip-download",
            "-o",
            "cli",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    out = r.stdout + r.stderr
    assert "Failed checks: 0" in out and r.returncode == 0, out[-6000:]
    assert "Parsing errors" not in out, f"checkov could not parse every file:\n{out[-3000:]}"


def test_checkov_skips_are_inline_with_reasons() -> None:
    """Every skip is an inline #checkov:skip=CKV_…:reason (no config-file skips, no bare skips)."""
    bad = []
    for tf in (REPO / "infra").rglob("*.tf"):
        for n, line in enumerate(tf.read_text(encoding="utf-8").splitlines(), 1):
            if "checkov:skip" in line:
                parts = line.split("checkov:skip=", 1)[1].split(":", 1)
                if not parts[0].startswith("CKV") or len(parts) < 2 or len(parts[1].strip()) < 20:
                    bad.append(f"{tf}:{n}")
    assert not bad, f"checkov skips without a real reason: {bad}"
    assert not list(REPO.glob(".checkov.y*ml")), "skips belong inline, not in a checkov config file"


def _assignments(path: Path) -> dict[str, str]:
    """Top-level `name = value` lines of a flat .tfvars or backend .hcl file, values as written, comments dropped."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([a-z_]+)\s*=\s*(.*?)\s*(#.*)?$", line)
        if m:
            found[m[1]] = m[2]
    return found


def test_environments_are_values_of_one_composition() -> None:
    """One composition (platform) and, per environment, its values and its state: environments/<env>.tfvars naming
    the environment, environments/<env>.backend.hcl with the state key <env>/terraform.tfstate, and a platform test
    suite run with those values. No root is a per-environment copy of the composition."""
    assert sorted({p.parent.name for p in TF.glob("*/*.tf")}) == sorted(ROOTS)
    envs = TF / "environments"
    assert {"dev", "prod"} <= set(ENVIRONMENTS), ENVIRONMENTS
    assert sorted(p.name.removesuffix(".backend.hcl") for p in envs.glob("*.backend.hcl")) == ENVIRONMENTS
    for env in ENVIRONMENTS:
        assert _assignments(envs / f"{env}.tfvars").get("environment") == f'"{env}"', env
        assert _assignments(envs / f"{env}.backend.hcl").get("key") == f'"{env}/terraform.tfstate"', env
        assert (TF / PLATFORM / "tests" / f"{env}.tftest.hcl").is_file(), env


def test_production_keeps_its_protection() -> None:
    """The flags that must differ in production default to protected in the composition, each with a validation
    that refuses prod values turning it off; prod.tfvars leaves them protected and dev opts out explicitly. The
    planned resources are asserted by the platform's tests/prod.tftest.hcl and tests/dev.tftest.hcl."""
    variables = (TF / PLATFORM / "variables.tf").read_text(encoding="utf-8")
    for flag, safe in PROTECTION.items():
        block = re.search(rf'^variable "{flag}" \{{\n(.*?)^\}}', variables, flags=re.S | re.M)
        assert block, f"platform/variables.tf has no variable {flag}"
        assert re.search(rf"^  default\s*=\s*{safe}$", block[1], flags=re.M), f"{flag} must default to {safe}"
        assert 'var.environment != "prod"' in block[1], f"{flag}: a validation must keep prod protected"
    prod = _assignments(TF / "environments" / "prod.tfvars")
    assert {f: prod.get(f, safe) for f, safe in PROTECTION.items()} == PROTECTION
    dev = _assignments(TF / "environments" / "dev.tfvars")
    opted_out = {f: {"true": "false", "false": "true"}[safe] for f, safe in PROTECTION.items()}
    assert {f: dev.get(f) for f in PROTECTION} == opted_out, "dev opts out of every protection explicitly"


def test_modules_take_their_name_as_input() -> None:
    """Every module names its resources from a required name_prefix input: no module hard-codes dpc-learning,
    except the design's KMS aliases (alias/dpc-learning-kms, alias/dpc-learning-link-key) as defaults."""
    bad = []
    for m in MODULES:
        d = TF / "modules" / m
        block = re.search(
            r'^variable "name_prefix" \{\n(.*?)^\}', (d / "variables.tf").read_text(encoding="utf-8"), flags=re.S | re.M
        )
        assert block and "default" not in block[1], f"modules/{m}: name_prefix must be a required input"
        for tf in sorted(d.glob("*.tf")):
            for n, line in enumerate(tf.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if "dpc-learning" in code.replace("alias/dpc-learning-", ""):
                    bad.append(f"{tf.relative_to(REPO)}:{n}")
    assert not bad, f"hard-coded dpc-learning names in modules (use var.name_prefix): {bad}"


def _var_file(env: str) -> str:
    """-var-file of an environment, relative to the platform directory."""
    return f"-var-file=../environments/{env}.tfvars"


def test_terraform_test_suites(tf_copy: Path, tf_env: dict[str, str]) -> None:
    """Native `terraform test` (mock provider) in every module and root, two at a time; the platform's suites once
    per environment with its values (tests/<env>.tftest.hcl with -var-file=../environments/<env>.tfvars)."""
    for d in DIRS:
        assert list((tf_copy / d / "tests").glob("*.tftest.hcl")), f"{d} has no terraform test suite"
    platform_suites = sorted(
        p.stem.removesuffix(".tftest") for p in (tf_copy / PLATFORM / "tests").glob("*.tftest.hcl")
    )
    assert platform_suites == ENVIRONMENTS, f"one platform suite per environment: {platform_suites}"
    # (label, directory, arguments)
    suites = [(d, d, []) for d in DIRS if d != PLATFORM] + [
        (f"{PLATFORM} ({env})", PLATFORM, [_var_file(env), f"-filter=tests/{env}.tftest.hcl"]) for env in ENVIRONMENTS
    ]

    def test(suite: tuple[str, str, list[str]]) -> tuple[str, float, subprocess.CompletedProcess[str]]:
        label, d, args = suite
        t0 = time.monotonic()
        r = run(["terraform", "test", "-no-color", *args], tf_copy / d, tf_env, timeout=600)
        return label, time.monotonic() - t0, r

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(test, suites))
    for d, secs, r in results:
        print(f"terraform test {d}: {secs:.1f}s, {r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ''}")
    failed = {d: (r.stdout + r.stderr)[-4000:] for d, _, r in results if r.returncode != 0}
    assert not failed, failed


def test_glue_columns_match_layouts() -> None:
    r = subprocess.run(
        [sys.executable, "infra/scripts/glue_columns.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    import json

    from dpc.steps.normalise import quarantine_schema

    glue = json.loads((TF / "modules" / "glue_athena" / "stage_columns.json").read_text(encoding="utf-8"))
    for slug, cols in glue["quarantine"].items():
        # the Parquet the normaliser writes under stage/quarantine_<slug>/ (yyyymm is the partition key)
        assert [c["name"] for c in cols] == [n for n in quarantine_schema().names if n != "yyyymm"], slug


def test_redshift_tables_match_normaliser() -> None:
    """infra/sql/redshift_bootstrap.sql creates what LoadRaw COPYs into (FORMAT AS PARQUET maps by position):
    raw.<slug> = normalised_schema(kind), dq.quarantine_<slug> = quarantine_schema(), dq.load_history as the
    DuckDB pipeline's — checked by parsing the SQL (Redshift dialect), and the generated block is not stale."""
    import sqlglot
    from sqlglot import exp

    from dpc.executors.duckdb import LOAD_HISTORY_DDL
    from dpc.layouts import KIND_SLUG
    from dpc.steps.normalise import normalised_schema, quarantine_schema

    r = subprocess.run(
        [sys.executable, "infra/scripts/redshift_tables.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    sql = (REPO / "infra" / "sql" / "redshift_bootstrap.sql").read_text(encoding="utf-8")
    tables: dict[str, list[tuple[str, str]]] = {}
    for stmt in re.findall(r"^CREATE TABLE IF NOT EXISTS \w+\.\w+ \(.*?;", sql, flags=re.S | re.M):
        create = sqlglot.parse_one(stmt, read="redshift")
        assert isinstance(create, exp.Create), stmt
        table = create.this.this
        tables[f"{table.db}.{table.name}"] = [
            (c.name, c.args["kind"].sql("redshift").lower()) for c in create.this.expressions
        ]
    kinds = {"ff1": "FF1", "ff4": "FF4", "h": "H", "efn": "EFn", "efg": "EFg", "d": "D", "k": "K"}
    assert set(KIND_SLUG.values()) == set(kinds)
    expected = {f"raw.{slug}": normalised_schema(kind) for slug, kind in kinds.items()}
    expected |= {f"dq.quarantine_{slug}": quarantine_schema() for slug in kinds}
    for table, schema in expected.items():
        assert [c for c, _ in tables.get(table, [])] == schema.names, f"{table} columns differ from the normaliser's"
        for (col, typ), field in zip(tables[table], schema, strict=True):
            arrow = str(field.type)
            ok = {
                "string": typ.startswith("varchar"),
                "int64": typ == "bigint",
                "int32": typ in ("int", "integer"),
                "decimal128(18, 4)": typ.replace(" ", "") == "decimal(18,4)",
                "timestamp[us, tz=UTC]": typ in ("timestamptz", "timestamp with time zone"),
            }.get(arrow)
            assert ok, f"{table}.{col}: Redshift {typ} cannot take Parquet {arrow}"
    history = re.findall(r"^ +(\w+) ", LOAD_HISTORY_DDL, flags=re.M)
    assert [c for c, _ in tables["dq.load_history"]] == history
    assert (
        "GRANT ALL ON ALL TABLES IN SCHEMA raw, stage, internal, mart_build, mart, ref, dq TO ROLE dpc_pipeline" in sql
    )
    assert "internal" not in " ".join(x for x in sql.splitlines() if "dpc_analyst" in x or "dpc_learner" in x)
    assert sql.index("END generated tables") < sql.index("GRANT ALL ON ALL TABLES"), "tables before the grants"


def test_learner_sandbox_procedure_creates_the_dbt_layers() -> None:
    """dq.create_learner_sandbox creates <learner>_stage/_mart/_dq owned by the learner, dq_results like
    dq.dq_results, grants dpc_learner (docs/decisions/0019) and nothing to analysts; the tutorial's admin SQL calls it."""
    sql = (REPO / "infra" / "sql" / "redshift_bootstrap.sql").read_text(encoding="utf-8")
    body = sql[sql.index("CREATE OR REPLACE PROCEDURE dq.create_learner_sandbox") :]
    body = body[: body.index("$$ LANGUAGE plpgsql;")]
    for layer in ("_stage", "_mart", "_dq"):
        assert f"'CREATE SCHEMA IF NOT EXISTS ' || quote_ident(learner || '{layer}') || ' AUTHORIZATION '" in body
    assert "dq_results (LIKE dq.dq_results)" in body and "OWNER TO ' || owner_ident" in body
    assert "'GRANT ROLE dpc_learner TO ' || owner_ident" in body
    assert "sandbox_" not in body and "dpc_analyst" not in body
    tutorial = (REPO / "docs" / "tutorial" / "02-sandbox.md").read_text(encoding="utf-8")
    # each learner's own Redshift user (their own role, docs/decisions/0019), as `terraform output learners` renders it
    statement = "CALL dq.create_learner_sandbox('alice', 'IAMR:role-learner-dpc-alice');"
    assert statement in tutorial and "sandbox_alice" not in tutorial
    assert (
        'v.sandbox_sql == "CALL dq.create_learner_sandbox(' in (TF / PLATFORM / "tests" / "dev.tftest.hcl").read_text()
    )


def test_terraform_uses_the_one_lambda_packager() -> None:
    """Terraform builds the Lambda zip with scripts/package_lambdas.py (the import-following, stdlib+boto3-only
    packager); no second packager under infra/. The pipeline suite's `lambda_package_built_by_scripts_packager`
    run executes it through terraform apply; the packager itself is tested by test_orchestration_package.py."""
    main = (TF / "modules" / "pipeline" / "main.tf").read_text(encoding="utf-8")
    assert f'"${{path.module}}/../../../../{PACKAGER}"' in main
    assert (TF / "modules" / "pipeline" / "../../../.." / PACKAGER).resolve() == REPO / PACKAGER
    assert (REPO / PACKAGER).is_file()
    assert not list((REPO / "infra").rglob("package_lambdas*.py")), "one packager: scripts/package_lambdas.py"


# ---------------------------------------------------------------------------------------------------------------
# apply against moto
# ---------------------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def moto_endpoint(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "moto.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()  # noqa: S310 - local moto server
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start: {(tmp_path / 'moto.log').read_text()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _moto_override(endpoint: str) -> str:
    eps = "\n".join(f'    {s} = "{endpoint}"' for s in MOTO_ENDPOINTS)
    return f"""# Written by tests/python/test_terraform.py: the platform with the dev values against a local moto server.
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  region                      = "ap-northeast-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  max_retries                 = 1

  # moto's Glue CreateDatabase drops tags, so default tags would show as drift on every plan.
  default_tags {{
    tags = {{}}
  }}

  endpoints {{
{eps}
  }}
}}

# moto does not round-trip these (the real defaults are asserted by terraform test):
# a KMS rotation period, S3 EventBridge notifications, and the Redshift workgroup (not applied here).
module "foundation" {{
  kms_rotation_period_days     = null
  s3_eventbridge_notifications = false
}}

module "iam" {{
  redshift_workgroup_arn = null
}}
"""


def test_apply_against_moto_is_idempotent(tmp_path: Path, tf_env: dict[str, str], moto_endpoint: str) -> None:
    root = _copy_tree(tmp_path / "repo")
    platform = root / PLATFORM
    (platform / "moto_override.tf").write_text(_moto_override(moto_endpoint))
    env = dict(tf_env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="ap-northeast-1")
    targets = [f"-target={t}" for t in MOTO_TARGETS]
    tfvars = [_var_file("dev"), "-var", "build_lambda_package=false"]
    timings: dict[str, float] = {}

    def step(name: str, args: list[str], ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        t0 = time.monotonic()
        r = run(["terraform", *args], platform, env, timeout=600)
        timings[name] = round(time.monotonic() - t0, 1)
        assert r.returncode in ok, f"terraform {name} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-6000:]}"
        return r

    step("init", ["init", "-input=false", "-no-color"])
    step("apply", ["apply", "-auto-approve", "-input=false", "-no-color", *tfvars, *targets])
    plan = step("plan", ["plan", "-detailed-exitcode", "-input=false", "-no-color", *tfvars, *targets], ok=(0, 2))
    destroy_ok = True
    try:
        assert plan.returncode == 0, f"second plan is not empty (not idempotent):\n{plan.stdout[-6000:]}"
    finally:
        d = run(
            ["terraform", "destroy", "-auto-approve", "-input=false", "-no-color", *tfvars, *targets],
            platform,
            env,
            timeout=600,
        )
        destroy_ok = d.returncode == 0
        print(f"moto apply timings: {timings}")
    assert destroy_ok, f"terraform destroy failed:\n{(d.stdout + d.stderr)[-4000:]}"
