"""Each Lambda handler against a moto server over HTTP (the Data API calls moto lacks through botocore's Stubber)."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dpc.errors import StatementFailed
from dpc.executors.redshift import (
    DataApiTarget,
    columns_sql,
    execute,
    fetch_rows,
    load_statements,
    wait_for_statement,
)
from dpc.generate import generate
from dpc.layouts import KIND_SLUG
from dpc.manifest import manifest_sha256
from dpc.steps import dq
from dpc.steps.load import LoadedFile, plan_load
from dpc.steps.notify import summary_fields
from dpc.storage import S3Storage
from tests.python import test_orchestration_moto as support
from tests.python.conftest import TEST_KEY, TEST_LINK_KEY, environment
from tests.python.moto_support import MotoServer
from tests.python.test_orchestration_moto import (
    DATABASE,
    WORKGROUP,
    DataApi,
    Stack,
    create_stack,
    import_handler,
    upload_delivery,
)

orchestration_server = support.orchestration_server  # the session's moto server (a fixture)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration")]
YYYYMM = 202404
TABLES = ("ff1", "ff4", "h", "efn", "efg", "d", "k")  # every kind of the monthly submission (docs/files.md)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two small generated deliveries of the same month (two facilities)."""
    root = tmp_path_factory.mktemp("orch-lake")
    deliveries = generate(root, seed=3, facilities=2, months=1, start_yyyymm=YYYYMM, admissions_per_month=8)
    return root, [d.facility_code for d in deliveries]


@pytest.fixture
def stack(orchestration_server: MotoServer, request: pytest.FixtureRequest) -> Iterator[Stack]:
    name = "h-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]  # unique resource names per test
    created = create_stack(orchestration_server, name=name, full=False)
    with environment(**created.env()):
        yield created


def _event(stack: Stack, facility: str, **state: Any) -> dict[str, Any]:
    return {
        "run_id": f"{facility}-{YYYYMM}-test-1",
        "redshift": {"workgroup": WORKGROUP, "database": DATABASE},
        "state": {"facility_code": facility, "yyyymm": YYYYMM, "bucket": stack.bucket, **state},
    }


# --- ValidateManifest -----------------------------------------------------------------------------------------


def _key(facility: str, name: str) -> str:
    return f"raw/yyyymm={YYYYMM}/facility={facility}/{name}"


def _manifest(stack: Stack, facility: str) -> dict[str, Any]:
    body = stack.client("s3").get_object(Bucket=stack.bucket, Key=_key(facility, "manifest.json"))["Body"].read()
    return json.loads(body)


def _put(stack: Stack, facility: str, name: str, body: bytes) -> None:
    stack.client("s3").put_object(Bucket=stack.bucket, Key=_key(facility, name), Body=body)


def _get(stack: Stack, facility: str, name: str) -> bytes:
    return stack.client("s3").get_object(Bucket=stack.bucket, Key=_key(facility, name))["Body"].read()


def _edit_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[Stack, str], None]:
    def apply(stack: Stack, facility: str) -> None:
        m = _manifest(stack, facility)
        edit(m)
        _put(stack, facility, "manifest.json", json.dumps(m).encode())

    return apply


def _data_file(stack: Stack, facility: str, kind: str = "Dn") -> str:
    return next(f["name"] for f in _manifest(stack, facility)["files"] if f["name"].startswith(kind + "_"))


def _truncate(stack: Stack, facility: str) -> None:
    name = _data_file(stack, facility)
    data = _get(stack, facility, name)
    _put(stack, facility, name, data[: data.rindex(b"\r\n", 0, len(data) - 2) + 2])


def _flip_byte(stack: Stack, facility: str) -> None:
    name = _data_file(stack, facility)
    data = bytearray(_get(stack, facility, name))
    data[-5] = ord("9") if data[-5] != ord("9") else ord("8")
    _put(stack, facility, name, bytes(data))


def _rename_kind(m: dict[str, Any]) -> None:
    m["files"][0]["kind"] = "H" if m["files"][0]["kind"] != "H" else "D"


BROKEN: dict[str, tuple[Callable[[Stack, str], None], set[str]]] = {
    "missing_manifest": (
        lambda s, f: s.client("s3").delete_object(Bucket=s.bucket, Key=_key(f, "manifest.json")),
        {"missing_manifest"},
    ),
    "bad_manifest": (lambda s, f: _put(s, f, "manifest.json", b"{not json"), {"bad_manifest"}),
    "manifest_field": (_edit_manifest(lambda m: m.pop("files")), {"manifest_field"}),
    "delivery_mismatch": (_edit_manifest(lambda m: m.update(facility_code="999999999")), {"delivery_mismatch"}),
    "missing_file": (
        lambda s, f: s.client("s3").delete_object(Bucket=s.bucket, Key=_key(f, _data_file(s, f, "Hn"))),
        {"missing_file"},
    ),
    "extra_file": (lambda s, f: _put(s, f, f"Dn_{f}_2404_old.txt", b"x\r\n"), {"extra_file"}),
    # the Lambda sees sizes from the listing; checksums and row counts are the normalise task's (CONTENTS below)
    "truncated": (_truncate, {"size_mismatch"}),
    "unknown_kind": (
        _edit_manifest(lambda m: m["files"].append({"name": "ZZ_x.txt", "bytes": 1, "rows": 1, "sha256": "0" * 64})),
        {"unknown_kind", "missing_file"},
    ),
    "kind_mismatch": (_edit_manifest(_rename_kind), {"kind_mismatch"}),
}


# Breaks only a file's bytes show: the Lambda, which may read no delivered file (its role reads raw/*/manifest.json
# only, docs/decisions/0017), passes them; the normalise task's check rejects them before anything is written.
CONTENTS: dict[str, tuple[Callable[[Stack, str], None], set[str]]] = {
    "checksum": (_flip_byte, {"checksum_mismatch"}),
    "rows_in_manifest": (
        _edit_manifest(lambda m: m["files"][0].update(rows=m["files"][0]["rows"] + 1)),
        {"row_count_mismatch"},
    ),
}


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_content_breaks_pass_the_lambda_and_fail_the_normalise_check(
    stack: Stack, lake: tuple[Path, list[str]], kind: str
) -> None:
    from dpc.steps.validate import revalidated_report
    from dpc.storage import S3Storage

    root, (facility, _) = lake
    upload_delivery(stack, root, facility, YYYYMM)
    breaker, expected = CONTENTS[kind]
    breaker(stack, facility)
    out = import_handler("validate_manifest").handler(_event(stack, facility))
    assert out["ok"] is True, out["findings"]
    report = revalidated_report(
        S3Storage(stack.bucket, client=stack.client("s3")), facility, YYYYMM, str(out["manifest_sha256"])
    )
    assert {str(f["reason_code"]) for f in report.findings} == expected and not report.ok


def test_validate_accepts_a_generated_delivery(stack: Stack, lake: tuple[Path, list[str]]) -> None:
    root, (facility, _) = lake
    upload_delivery(stack, root, facility, YYYYMM)
    out = import_handler("validate_manifest").handler(_event(stack, facility))
    manifest = _manifest(stack, facility)
    assert out["ok"] is True and out["findings"] == [] and out["cause"] == ""
    assert out["manifest_sha256"] == manifest_sha256(manifest)
    assert out["files"] == [{k: f[k] for k in ("name", "kind", "bytes", "rows", "sha256")} for f in manifest["files"]]
    json.dumps(out)  # a Lambda output must be JSON


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_validate_rejects_each_broken_kind_with_reasons(stack: Stack, lake: tuple[Path, list[str]], kind: str) -> None:
    root, (facility, _) = lake
    upload_delivery(stack, root, facility, YYYYMM)
    breaker, expected = BROKEN[kind]
    breaker(stack, facility)
    out = import_handler("validate_manifest").handler(_event(stack, facility))
    assert out["ok"] is False
    assert {f["reason_code"] for f in out["findings"]} == expected
    assert out["files"] == []
    assert out["cause"].startswith(f"delivery {facility} {YYYYMM} rejected:")
    for finding in out["findings"]:  # every finding names its file and reason in the cause people read
        assert f"{finding['file']}" in out["cause"] and f"[{finding['reason_code']}]" in out["cause"]


# --- LoadRaw --------------------------------------------------------------------------------------------------


def _normalised(stack: Stack, facility: str, validation: dict[str, Any], run_id: str) -> dict[str, Any]:
    """What the normalise runner answers: the runner's own step (the project's ingest) on the delivery in the bucket."""
    from runner.artifacts import ArtifactStore
    from runner.config import load_config
    from runner.logs import JsonLog
    from runner.steps import run_normalise_step

    cfg = load_config(
        {
            "STEP": "normalise",
            "RUN_ID": run_id,
            "FACILITY_CODE": facility,
            "YYYYMM": str(YYYYMM),
            "DATA_BUCKET": stack.bucket,
            "KMS_KEY_ID": stack.kms_key_arn,
            "MANIFEST_SHA256": str(validation["manifest_sha256"]),
            "DPC_PSEUDONYMISATION_KEY": TEST_KEY,
        }
    )
    with environment(DPC_PSEUDONYMISATION_KEY=TEST_KEY, DPC_LINK_KEY=TEST_LINK_KEY):
        answer = run_normalise_step(
            cfg, JsonLog(cfg.log_context(), io.StringIO()), ArtifactStore(None, "", run_id, None)
        )
    return json.loads(json.dumps(answer, default=str))


def _load(
    stack: Stack, root: Path, facility: str, run: int = 1
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    if not S3Storage(bucket=stack.bucket, client=stack.client("s3")).list(f"raw/yyyymm={YYYYMM}/facility={facility}/"):
        upload_delivery(stack, root, facility, YYYYMM)
    event = _event(stack, facility)
    event["run_id"] = run_id = f"{facility}-{YYYYMM}-test-{run}"
    validation = import_handler("validate_manifest").handler(event)
    assert validation["ok"], validation
    normalised = _normalised(stack, facility, validation, run_id)
    api = DataApi(stack.server).batch(statement_id=str(uuid.uuid4()))
    event = _event(stack, facility, validation=validation, normalise=normalised)
    event["run_id"] = run_id
    with api as client:
        out = import_handler("load_raw").handler(event, redshift_data=client)
    [request] = api.sent("BatchExecuteStatement")
    return out, request, normalised


def test_load_raw_one_transaction_delete_copy_history(stack: Stack, lake: tuple[Path, list[str]]) -> None:
    root, (facility, _) = lake
    out, request, normalised = _load(stack, root, facility)
    # the Data API with the workgroup and the function's IAM identity: no secret, no user, no cluster
    assert request["WorkgroupName"] == WORKGROUP and request["Database"] == DATABASE
    assert not {"SecretArn", "DbUser", "ClusterIdentifier"} & set(request)
    assert request.get("ExecutionMode") == "TRANSACTION" and request["ClientToken"]
    sqls = request["Sqls"]
    deletes = [s for s in sqls if s.startswith("delete ")]
    copies = [s for s in sqls if s.startswith("copy ")]
    assert deletes == [
        f"delete from {schema}{t} where facility_code = '{facility}' and yyyymm = {YYYYMM}"
        for t in TABLES
        for schema in ("raw.", "dq.quarantine_")
    ]
    load_id = normalised["ingested"]["load_id"]
    assert copies == [
        f"copy {schema}{t} from 's3://{stack.bucket}/stage/{prefix}{t}/yyyymm={YYYYMM}/facility={facility}/"
        f"load={load_id}/' iam_role default format as parquet"
        for t in TABLES
        for schema, prefix in (("raw.", ""), ("dq.quarantine_", "quarantine_"))
    ]
    assert sqls[:-1] == [s for pair in zip(deletes, copies, strict=True) for s in pair]
    history = sqls[-1]
    assert history.startswith("insert into dq.load_history (load_id, facility_code, yyyymm, kind, source_file,")
    files = normalised["ingested"]["files"]
    for f in files:  # one row per delivered file, with the normaliser's counts
        assert f"'{f['source_file']}'" in history
        assert f"'{f['kind']}', '{f['source_file']}', '{f['sha256']}', {f['bytes']}, {f['delivered_rows']}" in history
    assert history.count("cast('") == len(files)
    assert out["statement_id"] and out["poll_seconds"] == 1 and out["polls_left"] > 0
    assert out["result"] == {
        "statements": len(sqls),
        "files": len(files),
        "load_id": load_id,
        "dbt_vars": {"deliveries": [{"facility_code": facility, "yyyymm": YYYYMM}]},
    }
    # the normalised Parquet the COPY reads is where the statements say
    keys = set(S3Storage(bucket=stack.bucket, client=stack.client("s3")).list("stage/"))
    assert f"stage/efn/yyyymm={YYYYMM}/facility={facility}/load={load_id}/part-0.parquet" in keys


def test_load_raw_redelivery_replaces_only_its_facility_month(stack: Stack, lake: tuple[Path, list[str]]) -> None:
    root, (a, b) = lake
    _, first_a, first_answer = _load(stack, root, a)
    _, first_b, _ = _load(stack, root, b)
    # a corrected re-delivery of facility a: one more data row in its D file, a new manifest
    name = _data_file(stack, a)
    data = _get(stack, a, name)
    lines = data.split(b"\r\n")
    _put(stack, a, name, b"\r\n".join([*lines[:-1], lines[-2], lines[-1]]))
    from dpc.manifest import file_facts

    m = _manifest(stack, a)
    for f in m["files"]:
        if f["name"] == name:
            f.update(file_facts(name, _get(stack, a, name)).as_dict())
    _put(stack, a, "manifest.json", json.dumps(m).encode())
    _, again_a, normalised = _load(stack, root, a, run=2)
    for request, facility, other in ((first_a, a, b), (again_a, a, b), (first_b, b, a)):
        text = "\n".join(request["Sqls"])
        assert other not in text  # facility b's rows are never named by a's load (and vice versa)
        for sql in request["Sqls"]:
            if sql.startswith("delete "):
                assert sql.endswith(f"where facility_code = '{facility}' and yyyymm = {YYYYMM}")
    first_load, again_load = f"{a}-{YYYYMM}-test-1-{a}-{YYYYMM}", f"{a}-{YYYYMM}-test-2-{a}-{YYYYMM}"
    assert [s.replace(again_load, first_load) for s in again_a["Sqls"] if not s.startswith("insert")] == [
        s for s in first_a["Sqls"] if not s.startswith("insert")
    ]
    assert manifest_sha256(m) in again_a["Sqls"][-1] and manifest_sha256(m) not in first_a["Sqls"][-1]
    # the AWS path archives the replaced version: its raw files and manifest, byte for byte — never the raw K file
    storage = S3Storage(bucket=stack.bucket, client=stack.client("s3"))
    first_sha = first_answer["ingested"]["manifest_sha256"]
    archive = f"archive/raw/yyyymm={YYYYMM}/facility={a}/{first_sha[:12]}/"
    assert normalised["ingested"]["archived_to"] == archive and f"'{archive}'" in again_a["Sqls"][-1]
    archived = {k.rsplit("/", 1)[1] for k in storage.list(archive)}
    assert "manifest.json" in archived and not any(n.startswith("K") for n in archived), archived
    original = (root / f"raw/yyyymm={YYYYMM}/facility={a}" / name).read_bytes()
    assert storage.read_bytes(archive + name) == original != _get(stack, a, name)
    # the first version's normalised files stay under their own load prefix, beside the correction's
    for load_id in (first_load, again_load):
        assert storage.exists(f"stage/d/yyyymm={YYYYMM}/facility={a}/load={load_id}/part-0.parquet")


def test_load_raw_refuses_an_answer_that_is_not_this_delivery_s(stack: Stack) -> None:
    """LoadRaw reads the one shape the runner answers with; anything else is a named error, not a guess."""
    from dpc.errors import StepInputError

    with pytest.raises(StepInputError, match="no normalise answer"):
        import_handler("load_raw").handler(_event(stack, "131000001", normalise={"rows": {}}))
    answer = {"facility_code": "131000002", "yyyymm": YYYYMM, "status": "normalised", "files": []}
    with pytest.raises(StepInputError, match="not a normalised 131000001"):
        import_handler("load_raw").handler(_event(stack, "131000001", normalise={"ingested": answer}))


def test_load_statements_replace_exactly_the_delivery() -> None:
    arn = "arn:aws:iam::123456789012:role/role-redshift-copy"
    plan = plan_load(
        "131000001",
        YYYYMM,
        load_id="r-131000001-202404",
        manifest_sha256="m",
        files=[LoadedFile("D", "Dn_131000001_2404.txt", "", 1, 1, 1, 0, 0)],
        archived_to=None,
        loaded_by="test",
    )
    statements = load_statements(plan, "bucket-x", arn)
    deletes = [s for s in statements if s.lower().startswith("delete")]
    copies = [s for s in statements if s.lower().startswith("copy")]
    assert len(deletes) == len(copies) == 2 * len(KIND_SLUG)
    for sql in deletes:
        assert "facility_code = '131000001'" in sql and f"yyyymm = {YYYYMM}" in sql
    for sql in copies:
        assert f"/yyyymm={YYYYMM}/facility=131000001/" in sql and "format as parquet" in sql.lower() and arn in sql


# --- Redshift Data API helpers against moto -------------------------------------------------------------------


def test_execute_wait_fetch_against_moto(orchestration_server: MotoServer) -> None:
    client = orchestration_server.client("redshift-data")
    target = DataApiTarget(WORKGROUP, DATABASE)
    sid = execute(client, target, "select count(*) from dq.dq_results where run_id = :run_id", {"run_id": "r-1"})
    described = client.describe_statement(Id=sid)
    assert described["QueryString"].startswith("select count(*)")
    assert described["QueryParameters"] == [{"name": "run_id", "value": "r-1"}]
    naps: list[float] = []
    assert wait_for_statement(client, sid, sleep=naps.append)["Status"] == "FINISHED"
    rows = fetch_rows(client, sid)  # moto answers any query with its fixed sample: parse its wire format
    assert rows and all(isinstance(r[0], int) and isinstance(r[1], str) for r in rows)
    cancelled = execute(client, target, "select 1")
    client.cancel_statement(Id=cancelled)
    with pytest.raises(StatementFailed, match="ABORTED"):
        wait_for_statement(client, cancelled, sleep=naps.append)


# --- DataQuality ----------------------------------------------------------------------------------------------


def _dq_rows(db: Path, run_id: str) -> tuple[list[tuple[Any, ...]], int]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(dq.results_sql("?"), [run_id]).fetchall()
        mismatches = con.execute(dq.RECONCILIATION_SQL).fetchone()[0]
    return rows, mismatches


def _run_dq(stack: Stack, run_id: str, rows: list[tuple[Any, ...]], mismatches: int) -> tuple[dict, DataApi]:
    api = DataApi(stack.server).query(rows, statement_id=str(uuid.uuid4()))
    api.query([(mismatches,)], statement_id=str(uuid.uuid4()))
    with api as client:
        out = import_handler("data_quality").handler(
            _event(stack, "131000001", dbt={"invocation_id": run_id}), redshift_data=client
        )
    return out, api


def test_data_quality_same_verdict_as_the_local_dq_step(stack: Stack, demo_build: Path) -> None:
    run_id = json.loads((demo_build / "summary.json").read_text())["dbt"]["invocation_id"]
    rows, mismatches = _dq_rows(demo_build / "dpc.duckdb", run_id)
    assert len(rows) > 100
    out, api = _run_dq(stack, run_id, rows, mismatches)
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        local = dq.evaluate(con, run_id).as_dict()
    assert {k: v for k, v in out.items() if k != "cause"} == local
    assert out["ok"] is True and out["cause"] == ""
    [results_query, recon_query] = api.sent("ExecuteStatement")
    assert results_query["Sql"] == dq.results_sql(":run_id")
    assert results_query["Parameters"] == [{"name": "run_id", "value": run_id}]
    assert recon_query["Sql"] == dq.RECONCILIATION_SQL
    assert results_query["WorkgroupName"] == WORKGROUP and "SecretArn" not in results_query


def test_data_quality_error_result_fails_the_verdict(stack: Stack) -> None:
    rows = [
        ("not_null_fct_admissions_stay_id", "fct_admissions", "pass", "error", 0, ""),
        ("unique_fct_admissions_stay_id", "fct_admissions", "fail", "error", 3, "Got 3 results"),
        ("accepted_values_sex_code", "fct_admissions", "warn", "warn", 1, "Got 1 result"),
    ]
    out, _ = _run_dq(stack, "inv-1", rows, 0)
    assert out["ok"] is False and out["passed"] == 1
    assert [e["check"] for e in out["errors"]] == ["unique_fct_admissions_stay_id"]
    assert [w["check"] for w in out["warnings"]] == ["accepted_values_sex_code"]
    assert "unique_fct_admissions_stay_id (3 rows)" in out["cause"]


# --- Publish and Export ---------------------------------------------------------------------------------------


def _catalog(db: Path, schema: str) -> list[tuple[str, str, str]]:
    sql = columns_sql(schema)  # the same catalog query the Lambda sends, answered by the demo's DuckDB
    with duckdb.connect(str(db), read_only=True) as con:
        return [tuple(r) for r in con.execute(sql).fetchall()]


def test_publish_runs_the_publish_rule_in_one_transaction(stack: Stack, demo_build: Path) -> None:
    """The Lambda plans with the local pipeline's rule (dpc.steps.publish.GRAINS), not from column names: the
    delivery's facility-month of fct_billing_lines, its facility's stays, the KPI months that changed (none: mart
    equals mart_build in the demo), every other table whole — then the publication log row."""
    build, published = _catalog(demo_build / "dpc.duckdb", "mart_build"), _catalog(demo_build / "dpc.duckdb", "mart")
    tables = sorted({row[0] for row in build})
    assert {"fct_admissions", "fct_billing_lines", "kpi_monthly_facility_mdc", "dim_facility"} <= set(tables)
    api = (
        DataApi(stack.server)
        .query(build, statement_id=str(uuid.uuid4()))
        .query(published, statement_id=str(uuid.uuid4()))
        .query([], statement_id=str(uuid.uuid4()))  # the KPI months that differ between mart_build and mart
        .batch(statement_id=str(uuid.uuid4()))
    )
    with api as client:
        out = import_handler("publish").handler(_event(stack, "131000001"), redshift_data=client)
    changed = [q["Sql"] for q in api.sent("ExecuteStatement")][-1]
    assert changed.startswith("select distinct facility_code, discharge_yyyymm from (") and "'131000001'" in changed
    [batch] = api.sent("BatchExecuteStatement")
    assert batch["ExecutionMode"] == "TRANSACTION" and batch["WorkgroupName"] == WORKGROUP
    sqls = batch["Sqls"]
    assert len(sqls) == 2 * len(tables) + 2 and out["result"]["tables"] == tables
    by_table = {t: [s for s in sqls if re.search(rf"\bmart\.{t}\b", s)] for t in tables}
    assert by_table["fct_billing_lines"][0] == (
        "delete from mart.fct_billing_lines where (facility_code = '131000001' and yyyymm = 202404)"
    )
    assert by_table["fct_admissions"][0] == "delete from mart.fct_admissions where (facility_code = '131000001')"
    assert by_table["kpi_monthly_facility_mdc"][0] == "delete from mart.kpi_monthly_facility_mdc where false"
    assert by_table["dim_mdc"][0] == "delete from mart.dim_mdc"
    assert by_table["dim_facility"][0] == "delete from mart.dim_facility"  # whole, as locally
    insert = by_table["fct_admissions"][1]
    columns = [row[1] for row in build if row[0] == "fct_admissions"]
    assert insert == (
        f"insert into mart.fct_admissions ({', '.join(columns)}) select {', '.join(columns)} "
        "from mart_build.fct_admissions where (facility_code = '131000001')"
    )
    assert out["result"]["modes"]["kpi_monthly_facility_mdc"] == "kpi"
    assert sqls[-1].startswith("insert into dq.publish_log (run_id, build_started_at, published_at, complete, mode,")
    assert all(s.startswith(("delete from mart.", "insert into mart.")) for s in sqls[:-2])


def test_export_unloads_as_the_export_rule_says_with_kms(stack: Stack, demo_build: Path) -> None:
    catalog = _catalog(demo_build / "dpc.duckdb", "mart")
    tables = sorted({row[0] for row in catalog})
    api = DataApi(stack.server).query(catalog, statement_id=str(uuid.uuid4())).batch(statement_id=str(uuid.uuid4()))
    with api as client:
        event = _event(stack, "131000001")
        event["kms_key_id"] = stack.kms_key_arn
        out = import_handler("export").handler(event, redshift_data=client)
    [batch] = api.sent("BatchExecuteStatement")
    assert batch["ExecutionMode"] == "AUTO_COMMIT"
    unloads = dict(zip(tables, batch["Sqls"], strict=True))
    # the delivery tables: only this delivery's partition, partitioned like the local export; the rest whole
    assert unloads["fct_billing_lines"] == (
        "unload ('select * from mart.fct_billing_lines where (facility_code = ''131000001'' and yyyymm = 202404)') "
        f"to 's3://{stack.bucket}/processed/fct_billing_lines/' iam_role default format as parquet "
        f"partition by (yyyymm, facility_code) kms_key_id '{stack.kms_key_arn}' encrypted cleanpath"
    )
    assert unloads["fct_admissions"].startswith("unload ('select * from mart.fct_admissions') to ")
    assert "partition by" not in unloads["fct_admissions"] and "partition by" not in unloads["dim_mdc"]
    assert out["result"]["prefix"] == f"s3://{stack.bucket}/processed/"


# --- Notify ---------------------------------------------------------------------------------------------------


def _notify_state(facility: str) -> dict[str, Any]:
    return {
        "facility_code": facility,
        "yyyymm": YYYYMM,
        "validation": {"ok": True, "findings": []},
        "normalise": {  # the runner's answer: the ingest's per-file result
            "ingested": {
                "facility_code": facility,
                "yyyymm": YYYYMM,
                "status": "normalised",
                "files": [
                    {
                        "kind": "EFn",
                        "source_file": f"EFn_{facility}_2404.txt",
                        "sha256": "",
                        "bytes": 1,
                        "delivered_rows": 10,
                        "accepted_rows": 9,
                        "quarantined_rows": 1,
                        "warnings": 0,
                    }
                ],
            }
        },
        "load": {"statement_id": "s", "status": "FINISHED", "result": {}},
        "dbt": {
            "invocation_id": "inv",
            "success": True,
            "counts": {"model": {"success": 20}, "test": {"pass": 90}},
            "artifacts": {"run_results": "s3://artifacts/dbt-artifacts/x/run_results.json"},
        },
        "dq": {"ok": True, "passed": 90, "warnings": [{"check": "w", "failing_rows": 2}], "errors": [], "cause": ""},
        "publish": {"statement_id": "p", "status": "FINISHED", "result": {}},
        "export": {"statement_id": "e", "status": "FINISHED", "result": {"prefix": "s3://b/processed/"}},
    }


def _notify_event(stack: Stack, status: str, state: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": status,
        "run_id": "131000001-202404-abc-1",
        "execution_arn": "arn:aws:states:ap-northeast-1:123456789012:execution:x:131000001-202404-abc-1",
        "state": state,
    }


def test_notify_publishes_the_summary_to_sns_and_skips_slack_without_a_secret(stack: Stack) -> None:
    notify = import_handler("notify")
    state = _notify_state("131000001")
    out = notify.handler(_notify_event(stack, "SUCCEEDED", state))
    assert out["slack"] == "skipped: no webhook secret configured"
    [envelope] = stack.received_messages()
    assert envelope["MessageId"] == out["sns_message_id"] and envelope["Subject"].startswith("DPC SUCCEEDED")
    text, fields_json = envelope["Message"].split("\n\n" + notify.SUMMARY_JSON_MARKER + "\n")
    fields = json.loads(fields_json)
    assert (
        fields
        == out["fields"]
        == summary_fields(notify.summary_from_state("131000001-202404-abc-1", "SUCCEEDED", state))
    )
    assert fields["status"] == "SUCCEEDED" and fields["published"] is True and fields["dq_warnings"] == 1
    assert fields["deliveries"] == [{"facility_code": "131000001", "yyyymm": YYYYMM, "status": "loaded", "findings": 0}]
    assert "131000001 202404  loaded    EFn 9 (+1 quarantined)" in text
    assert "Execution:" in text and "run_results" in text and "docs/orchestration.md" in text
    # a secret ARN that names no secret: still no Slack call, still the SNS message
    with environment(SLACK_WEBHOOK_SECRET_ARN="arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:none-AbCdEf"):
        failed = {**state, "error": {"Error": "DbtTestFailure", "Cause": "unique_fct_admissions_stay_id failed"}}
        out = notify.handler(_notify_event(stack, "FAILED", failed))
    assert out["slack"] == "skipped: the webhook secret does not exist"
    [envelope] = stack.received_messages()
    assert "Error:          DbtTestFailure: unique_fct_admissions_stay_id failed" in envelope["Message"]


def test_notify_posts_to_slack_when_the_webhook_secret_exists(stack: Stack) -> None:
    received: list[dict[str, Any]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook) as hook:
        threading.Thread(target=hook.serve_forever, daemon=True).start()
        arn = stack.client("secretsmanager").create_secret(
            Name=f"{stack.bucket}-slack", SecretString=f"http://127.0.0.1:{hook.server_address[1]}/hook"
        )["ARN"]
        with environment(SLACK_WEBHOOK_SECRET_ARN=arn):
            out = import_handler("notify").handler(_notify_event(stack, "SUCCEEDED", _notify_state("131000001")))
        hook.shutdown()
    assert out["slack"] == "sent (200)"
    [message] = received
    assert "DPC pipeline run 131000001-202404-abc-1: SUCCEEDED" in message["text"]
    assert len(stack.received_messages()) == 1  # and the topic got it too


# --- ECS STOPPED guard ----------------------------------------------------------------------------------------


def test_guard_ignores_what_is_not_a_waiting_runner_task(stack: Stack) -> None:
    guard = import_handler("ecs_stopped_guard")
    token = {"containerOverrides": [{"name": "dpc-runner", "environment": [{"name": "TASK_TOKEN", "value": "t"}]}]}
    running = {"detail": {"lastStatus": "RUNNING", "group": "family:dpc-runner-dbt-dev", "overrides": token}}
    other = {"detail": {"lastStatus": "STOPPED", "group": "family:someone-else", "overrides": token}}
    by_hand = {"detail": {"lastStatus": "STOPPED", "group": "family:dpc-runner-dbt-dev", "overrides": {}}}
    assert [guard.handler(e)["action"] for e in (running, other, by_hand)] == ["ignored"] * 3


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("TaskTimedOut", "already_answered"),
        ("TaskDoesNotExist", "already_answered"),
        ("InvalidToken", "already_answered"),
        ("InvalidOutput", None),
    ],
)
def test_guard_answers_once_and_treats_a_refused_answer_as_already_answered(
    orchestration_server: MotoServer, code: str, action: str | None
) -> None:
    """Step Functions refuses a second answer for a token (moto does not): botocore's Stubber returns the error
    the service model defines; anything else is raised (the Lambda's retry and logs show it)."""
    from botocore.stub import Stubber

    guard = import_handler("ecs_stopped_guard")
    sfn = orchestration_server.client("stepfunctions")
    overrides = {
        "containerOverrides": [{"name": "dpc-runner", "environment": [{"name": "TASK_TOKEN", "value": "tok"}]}]
    }
    task = {
        "lastStatus": "STOPPED",
        "group": "family:dpc-runner-dbt-dev",
        "overrides": overrides,
        "stoppedReason": "Essential container in task exited",
        "stopCode": "EssentialContainerExited",
        "containers": [{"name": "dpc-runner", "exitCode": 137, "reason": "OutOfMemoryError"}],
    }
    with Stubber(sfn) as stub:
        stub.add_response(
            "send_task_failure",
            {},
            {"taskToken": "tok", "error": "TaskStoppedBeforeAnswer", "cause": guard.stop_cause(task)},
        )
        stub.add_client_error("send_task_failure", service_error_code=code, http_status_code=400)
        assert guard.handler({"detail": task}, stepfunctions=sfn)["action"] == "failed_task"
        if action is None:
            with pytest.raises(sfn.exceptions.ClientError, match=code):
                guard.handler({"detail": task}, stepfunctions=sfn)
        else:
            assert guard.handler({"detail": task}, stepfunctions=sfn)["action"] == action
    cause = json.loads(guard.stop_cause(task))
    assert cause["stopCode"] == "EssentialContainerExited" and cause["containers"][0]["exitCode"] == 137
