"""The Athena executor: Glue partitions as load pointers (against a moto server over HTTP), and the publication's
Iceberg statements parsed in the Athena dialect — the same plans the DuckDB and Redshift executors run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from dpc.executors import redshift
from dpc.executors.athena import AthenaExecutor, table_statements
from dpc.steps import load, publish
from tests.python import test_orchestration_moto as support
from tests.python.moto_support import MotoServer

orchestration_server = support.orchestration_server  # the session's moto server (a fixture)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("orchestration")]
FACILITY, YYYYMM = "131000017", 202404


def _plan(load_id: str, sha: str) -> load.LoadPlan:
    return load.plan_load(
        FACILITY,
        YYYYMM,
        load_id=load_id,
        manifest_sha256=sha,
        files=[load.LoadedFile("D", f"Dn_{FACILITY}_2404.txt", "", 1, 1, 1, 0, 0)],
        archived_to=None,
        loaded_by="test",
        loaded_at=datetime(2026, 12, 7, tzinfo=UTC),
    )


@pytest.fixture
def athena(orchestration_server: MotoServer) -> AthenaExecutor:
    glue = orchestration_server.client("glue")
    database = "dpc_" + uuid.uuid4().hex[:8] + "_raw"
    glue.create_database(DatabaseInput={"Name": database})
    for relation, _ in load.RAW_RELATIONS:
        glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": relation.split(".")[1],
                "TableType": "EXTERNAL_TABLE",
                "PartitionKeys": [{"Name": "yyyymm", "Type": "int"}, {"Name": "facility", "Type": "string"}],
                "StorageDescriptor": {
                    "Columns": [{"Name": "facility_code", "Type": "string"}],
                    "Location": "s3://bucket-1/stage/",
                    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                },
            },
        )
    return AthenaExecutor(glue, orchestration_server.client("athena"), raw_database=database, bucket="bucket-1")


def test_recording_a_load_points_every_raw_partition_at_its_prefix(athena: AthenaExecutor) -> None:
    assert athena.latest_load(FACILITY, YYYYMM) is None
    athena.load([_plan("run-1", "a" * 64)])
    assert athena.latest_load(FACILITY, YYYYMM) == load.PreviousLoad("run-1", "a" * 64)
    # a correction's files are written under their own prefix; only recording its load re-points the tables
    athena.load([_plan("run-2", "b" * 64)])
    assert athena.latest_load(FACILITY, YYYYMM) == load.PreviousLoad("run-2", "b" * 64)
    for relation, layer in load.RAW_RELATIONS:
        [partition] = athena.glue.get_partitions(DatabaseName=athena.raw_database, TableName=relation.split(".")[1])[
            "Partitions"
        ]
        assert partition["Values"] == [str(YYYYMM), FACILITY]
        assert partition["StorageDescriptor"]["Location"] == (
            f"s3://bucket-1/{load.current_load_file(layer, FACILITY, YYYYMM, 'run-2').rsplit('/', 1)[0]}/"
        )


def test_publication_statements_parse_in_the_athena_dialect_and_select_the_redshift_keys() -> None:
    build = {
        "fct_billing_lines": [("billing_line_id", "varchar"), ("facility_code", "varchar"), ("yyyymm", "integer")],
        "fct_admissions": [("stay_id", "varchar"), ("facility_code", "varchar")],
        "dim_facility": [("facility_code", "varchar"), ("stays", "bigint")],
        "dim_mdc": [("mdc_code", "varchar")],
    }
    plans = [
        publish.plan_publish(build, {}, None),
        publish.plan_publish(build, build, publish.Touched(frozenset({(FACILITY, YYYYMM)}))),
        publish.plan_publish(
            build, build, publish.Touched(frozenset({(FACILITY, YYYYMM)})), held_back=[("271000023", YYYYMM)]
        ),
    ]
    executor = AthenaExecutor(None, None, raw_database="raw", bucket="bucket-1")
    for plan in plans:
        for sql in executor.statements(plan):
            parsed = sqlglot.parse_one(sql, read="athena")
            assert not isinstance(parsed, exp.Command), sql
        for table in plan.tables:
            ours = [
                s for s in table_statements(table, mart="mart", build="mart_build", location="s3://b/") if "where" in s
            ]
            theirs = [s for s in redshift._table_statements(table) if "where" in s]
            # the same predicate, hence the same keys, for the same plan
            assert [s.split(" where ", 1)[1] for s in ours] == [s.split(" where ", 1)[1] for s in theirs], table
