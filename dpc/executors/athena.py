"""The Athena executor: loads as Glue partition pointers, publications as one Iceberg commit per table.

STANDARD LIBRARY ONLY (boto3 clients are passed in). The rules are the steps' (:mod:`dpc.steps.load`,
:mod:`dpc.steps.publish`); this module only turns their plans into Glue calls and Athena SQL.

- Load (docs/decisions/0011): the raw Glue tables (one per kind and per kind's quarantine, database
  ``<prefix>_raw``) are partitioned by ``yyyymm`` and ``facility``. Recording a load points each table's partition
  of the delivery at the load's own versioned prefix (``CreatePartition`` the first time, ``UpdatePartition``
  after), with the load id and manifest hash as partition parameters: Athena reads exactly the recorded load, and a
  prefix the normaliser wrote for a load never recorded is never read. Each pointer update is atomic per table;
  the tables of one delivery are re-pointed one after the other (seconds apart), never to an unrecorded load.
- Publish (docs/decisions/0009): per table of the plan, ``DELETE`` the selected keys and ``INSERT … SELECT`` them
  from mart_build (two Iceberg commits), or re-create the table (``CREATE TABLE … AS`` Iceberg) when its columns
  changed. Athena has no multi-statement transaction: a reader may see a table between its two commits; the
  publication log row is written last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from dpc.errors import StatementFailed
from dpc.executors.sql import check_delivery, identifier, literal, replace_statements
from dpc.steps import publish as publish_rule
from dpc.steps.load import LoadPlan, PreviousLoad
from dpc.steps.publish import PublishPlan, TablePublish


def glue_table(relation: str) -> str:
    """The Glue table (in the raw database) of a raw or quarantine relation."""
    return identifier(relation.split(".", 1)[1])


def table_statements(plan: TablePublish, *, mart: str, build: str, location: str) -> list[str]:
    """One table's part of a publication, as Athena (Trino) SQL on Iceberg tables."""
    name = identifier(plan.table)
    cols = ", ".join(identifier(c) for c in plan.columns)
    published, source = f"{identifier(mart)}.{name}", f"{identifier(build)}.{name}"
    if plan.mode == publish_rule.KEPT:
        return []
    if plan.mode == publish_rule.WHOLE and plan.recreate:
        return [
            f"drop table if exists {published}",
            f"create table {published} with (table_type = 'ICEBERG', is_external = false, "
            f"location = {literal(location.rstrip('/') + '/' + name + '/')}) as select {cols} from {source}",
        ]
    return replace_statements(plan, published, source)


def publish_statements(plan: PublishPlan, *, mart: str, build: str, log_table: str, location: str) -> list[str]:
    """The publication: each table's statements, then the publication log row."""
    statements = [
        s for table in plan.tables for s in table_statements(table, mart=mart, build=build, location=location)
    ]
    row = plan.log_row()
    cells = []
    for column in publish_rule.PUBLISH_LOG_COLUMNS:
        value = row[column]
        if hasattr(value, "isoformat"):
            text = value.isoformat(sep=" ", timespec="milliseconds").split("+")[0]
            cells.append(f"timestamp {literal(text)}")
        else:
            cells.append(literal(value))
    columns = ", ".join(publish_rule.PUBLISH_LOG_COLUMNS)
    statements.append(f"insert into {log_table} ({columns}) values ({', '.join(cells)})")
    return statements


class AthenaExecutor:
    """Glue for the load pointers, Athena for SQL (``StartQueryExecution`` in a workgroup, waited for)."""

    engine = "athena"

    def __init__(
        self,
        glue: Any,
        athena: Any,
        *,
        raw_database: str,
        bucket: str,
        workgroup: str = "primary",
        mart_database: str = "mart",
        build_database: str = "mart_build",
        log_table: str = "dq.publish_log",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.glue = glue
        self.athena = athena
        self.raw_database = raw_database
        self.bucket = bucket
        self.workgroup = workgroup
        self.mart_database = mart_database
        self.build_database = build_database
        self.log_table = log_table
        self.sleep = sleep

    # --- load: partitions as pointers --------------------------------------------------------------------------

    def _partition(self, table: str, values: list[str]) -> dict[str, Any] | None:
        try:
            return dict(
                self.glue.get_partition(DatabaseName=self.raw_database, TableName=table, PartitionValues=values)[
                    "Partition"
                ]
            )
        except self.glue.exceptions.EntityNotFoundException:
            return None

    def load(self, plans: Sequence[LoadPlan]) -> dict[str, list[str]]:
        """Point every raw and quarantine table's partition of each delivery at its load; returns table → the
        locations written."""
        out: dict[str, list[str]] = {}
        for plan in plans:
            facility_code, yyyymm = check_delivery(plan.facility_code, plan.yyyymm)
            values = [str(yyyymm), facility_code]
            parameters = {
                "load_id": plan.load_id,
                "manifest_sha256": plan.manifest_sha256,
                "loaded_at": plan.loaded_at.isoformat(),
            }
            for relation, prefix in plan.prefixes():
                table = glue_table(relation)
                descriptor = dict(
                    self.glue.get_table(DatabaseName=self.raw_database, Name=table)["Table"]["StorageDescriptor"]
                )
                descriptor["Location"] = f"s3://{self.bucket}/{prefix}"
                partition = {"Values": values, "StorageDescriptor": descriptor, "Parameters": parameters}
                if self._partition(table, values) is None:
                    self.glue.create_partition(
                        DatabaseName=self.raw_database, TableName=table, PartitionInput=partition
                    )
                else:
                    self.glue.update_partition(
                        DatabaseName=self.raw_database,
                        TableName=table,
                        PartitionValueList=values,
                        PartitionInput=partition,
                    )
                out.setdefault(table, []).append(descriptor["Location"])
        return out

    def latest_load(self, facility_code: str, yyyymm: int) -> PreviousLoad | None:
        """The load the delivery's partitions point at (read from the D table's partition)."""
        facility_code, yyyymm = check_delivery(facility_code, yyyymm)
        partition = self._partition("d", [str(yyyymm), facility_code])
        if partition is None:
            return None
        parameters = partition.get("Parameters") or {}
        return PreviousLoad(str(parameters.get("load_id", "")), str(parameters.get("manifest_sha256", "")))

    # --- publish: Iceberg commits --------------------------------------------------------------------------

    def statements(self, plan: PublishPlan) -> list[str]:
        return publish_statements(
            plan,
            mart=self.mart_database,
            build=self.build_database,
            log_table=self.log_table,
            location=f"s3://{self.bucket}/iceberg/{self.mart_database}",
        )

    def publish(self, plan: PublishPlan, *, timeout: float = 600.0) -> list[str]:
        """Run the publication's statements one after the other; returns their query execution ids."""
        ids = []
        for sql in self.statements(plan):
            ids.append(self.run(sql, timeout=timeout))
        return ids

    def run(self, sql: str, *, timeout: float = 600.0) -> str:
        query_id = str(self.athena.start_query_execution(QueryString=sql, WorkGroup=self.workgroup)["QueryExecutionId"])
        deadline, pause = time.monotonic() + timeout, 0.5
        while True:
            status = self.athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = str(status.get("State"))
            if state == "SUCCEEDED":
                return query_id
            if state in ("FAILED", "CANCELLED"):
                raise StatementFailed(query_id, state, str(status.get("StateChangeReason") or "no reason given"))
            if time.monotonic() >= deadline:
                raise StatementFailed(query_id, state, f"not finished after {timeout:.0f}s")
            self.sleep(pause)
            pause = min(pause * 2, 5.0)
