"""The Redshift executor: runs the steps' plans through the Data API, one ``BatchExecuteStatement`` per plan.

STANDARD LIBRARY ONLY (the Lambdas import this module; boto3 clients are passed in). Redshift is reached with
the workgroup name and the caller's IAM identity, never a password or secret (docs/decisions/0013 and 0015). The
rules are the steps' (:mod:`dpc.steps.load`, :mod:`dpc.steps.publish`, :mod:`dpc.steps.export`); this module only
writes their SQL:

- Load (docs/decisions/0011, 0015): one transaction deletes the delivery's facility-month from every raw and
  quarantine table, ``COPY … FORMAT AS PARQUET`` it from the load's own versioned prefix and appends its
  ``dq.load_history`` rows — :func:`load_statements`. Only the recorded load's files are ever copied.
- Publish (docs/decisions/0009): one transaction replaces, table by table, the keys the plan names and writes the
  publication log row — :func:`publish_statements`.
- Export: ``UNLOAD … FORMAT AS PARQUET`` with KMS per table the plan rewrites — :func:`export_statements`.

The state machine polls the long statements (``DescribeStatement`` in a ``Wait`` loop); short queries (the DQ
results, the catalog, the KPI months that changed) wait here with :func:`wait_for_statement`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dpc.errors import StatementFailed, StepInputError
from dpc.executors.sql import (
    check_delivery,
    check_facility,
    identifier,
    key_predicate,
    literal,
    replace_statements,
)
from dpc.steps import export as export_rule
from dpc.steps import publish as publish_rule
from dpc.steps.export import ExportPlan
from dpc.steps.load import LOAD_HISTORY_COLUMNS, LoadPlan, PreviousLoad
from dpc.steps.publish import BUILD_SCHEMA, PUBLISHED_SCHEMA, PublishPlan, TablePublish

DEFAULT_IAM_ROLE = "default"  # the namespace's default IAM role (infra: role-redshift-copy)
DONE_STATUSES = ("FINISHED", "FAILED", "ABORTED")


@dataclass(frozen=True)
class DataApiTarget:
    """Where statements run: a Redshift Serverless workgroup and database (IAM authentication)."""

    workgroup: str
    database: str

    def kwargs(self) -> dict[str, str]:
        return {"WorkgroupName": self.workgroup, "Database": self.database}


# --- SQL text -------------------------------------------------------------------------------------------------


def iam_role_clause(iam_role: str) -> str:
    """``iam_role default`` (the namespace's default role) or ``iam_role '<arn>'``."""
    return "iam_role default" if iam_role == DEFAULT_IAM_ROLE else f"iam_role {literal(iam_role)}"


def _timestamp(value: Any) -> str:
    text = value.astimezone(UTC).isoformat(timespec="microseconds") if isinstance(value, datetime) else str(value)
    return f"cast({literal(text)} as timestamptz)"


def load_statements(plan: LoadPlan, bucket: str, iam_role: str = DEFAULT_IAM_ROLE) -> list[str]:
    """The load transaction: per relation DELETE the delivery and COPY the load's files, then its history rows."""
    facility_code, yyyymm = check_delivery(plan.facility_code, plan.yyyymm)
    statements: list[str] = []
    for relation, prefix in plan.prefixes():
        statements.append(f"delete from {relation} where facility_code = '{facility_code}' and yyyymm = {yyyymm}")
        statements.append(
            f"copy {relation} from 's3://{bucket}/{prefix}' {iam_role_clause(iam_role)} format as parquet"
        )
    statements.append(load_history_insert(plan.history_rows()))
    return statements


def load_history_insert(rows: Sequence[Mapping[str, Any]]) -> str:
    """One INSERT of the load-history rows (``loaded_at`` as a UTC timestamp)."""
    if not rows:
        raise ValueError("a load records at least one file")
    values = []
    for row in rows:
        cells = [literal(row[c]) for c in LOAD_HISTORY_COLUMNS[:-1]]
        cells.append(_timestamp(row["loaded_at"]))
        values.append("(" + ", ".join(cells) + ")")
    return f"insert into dq.load_history ({', '.join(LOAD_HISTORY_COLUMNS)}) values " + ", ".join(values)


def latest_load_sql(facility_code: str, yyyymm: int) -> str:
    facility_code, yyyymm = check_delivery(facility_code, yyyymm)
    return (
        "select load_id, manifest_sha256 from dq.load_history "
        f"where facility_code = '{facility_code}' and yyyymm = {yyyymm} order by loaded_at desc, load_id desc limit 1"
    )


def columns_sql(schema: str) -> str:
    """Every table of a schema with its columns and types, in column order (one row per column)."""
    return (
        "select table_name, column_name, data_type from information_schema.columns "
        f"where table_schema = {literal(identifier(schema))} order by table_name, ordinal_position"
    )


def tables_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, list[tuple[str, str]]]:
    """``columns_sql`` rows → {table: [(column, type) in order]}."""
    tables: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        table, column = row[0], row[1]
        data_type = row[2] if len(row) > 2 else ""
        tables.setdefault(str(table), []).append((str(column), str(data_type)))
    return tables


def changed_keys_sql(
    table: str, columns: Sequence[str], key_columns: tuple[str, ...], facilities: frozenset[str]
) -> str:
    """Keys of the given facilities' rows that differ between mart_build and mart (EXCEPT both ways)."""
    name = identifier(table)
    cols = ", ".join(identifier(c) for c in columns)
    keys = ", ".join(identifier(c) for c in key_columns)
    where = "facility_code in (" + ", ".join(literal(check_facility(f)) for f in sorted(facilities)) + ")"
    return (
        f"select distinct {keys} from ("
        f"(select {cols} from {BUILD_SCHEMA}.{name} where {where} "
        f"except select {cols} from {PUBLISHED_SCHEMA}.{name} where {where}) "
        f"union all (select {cols} from {PUBLISHED_SCHEMA}.{name} where {where} "
        f"except select {cols} from {BUILD_SCHEMA}.{name} where {where})) as changed"
    )


def _table_statements(plan: TablePublish) -> list[str]:
    name = identifier(plan.table)
    cols = ", ".join(identifier(c) for c in plan.columns)
    published, build = f"{PUBLISHED_SCHEMA}.{name}", f"{BUILD_SCHEMA}.{name}"
    if plan.mode == publish_rule.KEPT:
        return []
    if plan.mode == publish_rule.WHOLE and plan.recreate:
        return [
            f"drop table if exists {published}",
            f"create table {published} (like {build})",
            f"insert into {published} ({cols}) select {cols} from {build}",
        ]
    # same columns: the table (and its grants) stays
    create = [] if plan.exists else [f"create table if not exists {published} (like {build})"]
    return [*create, *replace_statements(plan, published, build)]


PUBLISH_LOG_DDL = (
    "create table if not exists dq.publish_log (run_id varchar(256) not null, build_started_at timestamptz not null, "
    "published_at timestamptz not null, complete boolean not null, mode varchar(16) not null, "
    "deliveries varchar(65535), tables varchar(65535), held_back varchar(65535))"
)


def publish_statements(plan: PublishPlan) -> list[str]:
    """The publication as ONE transaction: each table's statements, then the publication log row."""
    statements = [s for table in plan.tables for s in _table_statements(table)]
    if not statements:
        raise ValueError("the publication plan copies nothing")
    row = plan.log_row()
    cells = []
    for column in publish_rule.PUBLISH_LOG_COLUMNS:
        value = row[column]
        cells.append(_timestamp(value) if isinstance(value, datetime) else literal(value))
    statements.append(PUBLISH_LOG_DDL)
    statements.append(
        f"insert into dq.publish_log ({', '.join(publish_rule.PUBLISH_LOG_COLUMNS)}) values ({', '.join(cells)})"
    )
    return statements


def unload_statement(
    table: str,
    bucket: str,
    kms_key_id: str,
    *,
    iam_role: str = DEFAULT_IAM_ROLE,
    partition_by: Sequence[str] = (),
    where: str | None = None,
    schema: str = PUBLISHED_SCHEMA,
) -> str:
    """UNLOAD one published table to ``processed/<table>/`` as Parquet, SSE-KMS, partitioned as the plan says.

    CLEANPATH (rather than ALLOWOVERWRITE) removes the previous files of each partition written (only of those,
    when partitioned), so a partition that shrank keeps no stale files.
    """
    name = identifier(table)
    partition = f" partition by ({', '.join(identifier(c) for c in partition_by)})" if partition_by else ""
    select = f"select * from {identifier(schema)}.{name}" + (f" where {where}" if where else "")
    return (
        f"unload ({literal(select)}) to 's3://{bucket}/processed/{name}/' "
        f"{iam_role_clause(iam_role)} format as parquet{partition} kms_key_id {literal(kms_key_id)} encrypted "
        "cleanpath"
    )


def export_statements(plan: ExportPlan, bucket: str, kms_key_id: str, iam_role: str = DEFAULT_IAM_ROLE) -> list[str]:
    """An UNLOAD per table the plan rewrites: the touched facility-months of a partitioned table, else all of it."""
    statements = []
    for table in plan.tables:
        if table.rewrite == export_rule.SKIP:
            continue
        where = None
        if table.rewrite == export_rule.KEYS:
            where = key_predicate(("facility_code", "yyyymm"), table.keys)
        statements.append(
            unload_statement(
                table.table, bucket, kms_key_id, iam_role=iam_role, partition_by=table.partition_by, where=where
            )
        )
    return statements


# --- Data API calls -------------------------------------------------------------------------------------------


def client_token(*parts: object) -> str:
    """An idempotency token (≤ 64 chars) from the run and step: a retried Lambda does not run a batch twice."""
    return hashlib.sha256("/".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:48]


def batch_execute(
    client: Any,
    target: DataApiTarget,
    sqls: Sequence[str],
    *,
    name: str,
    token: str | None = None,
    transaction: bool = True,
) -> str:
    """Submit statements (``BatchExecuteStatement``) as ONE transaction, or each committed on its own with
    ``transaction=False`` (UNLOADs: nothing to roll back); returns the statement id."""
    if not sqls:
        raise ValueError("no statements to run")
    kwargs: dict[str, Any] = {
        **target.kwargs(),
        "Sqls": list(sqls),
        "StatementName": name[:500],
        "ExecutionMode": "TRANSACTION" if transaction else "AUTO_COMMIT",
    }
    if token:
        kwargs["ClientToken"] = token
    return str(client.batch_execute_statement(**kwargs)["Id"])


def execute(client: Any, target: DataApiTarget, sql: str, parameters: Mapping[str, str] | None = None) -> str:
    """Submit one statement (``ExecuteStatement``), with ``:name`` parameters; returns the statement id."""
    kwargs: dict[str, Any] = {**target.kwargs(), "Sql": sql}
    if parameters:
        kwargs["Parameters"] = [{"name": k, "value": str(v)} for k, v in parameters.items()]
    return str(client.execute_statement(**kwargs)["Id"])


def wait_for_statement(
    client: Any,
    statement_id: str,
    *,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """``DescribeStatement`` until FINISHED (returned) or FAILED/ABORTED/timeout (:class:`StatementFailed`).

    For short statements only (a Lambda's time is limited); long ones are polled by the state machine.
    """
    deadline = clock() + timeout
    pause = 0.25
    while True:
        described = client.describe_statement(Id=statement_id)
        status = str(described.get("Status"))
        if status == "FINISHED":
            return described
        if status in ("FAILED", "ABORTED"):
            raise StatementFailed(statement_id, status, str(described.get("Error") or "no error message"))
        if clock() >= deadline:
            raise StatementFailed(statement_id, status, f"not finished after {timeout:.0f}s")
        sleep(pause)
        pause = min(pause * 2, 2.0)


def field_value(field: Mapping[str, Any]) -> Any:
    """One Data API result field (``{"stringValue": …}`` …) as a Python value."""
    if field.get("isNull"):
        return None
    for key in ("stringValue", "longValue", "doubleValue", "booleanValue", "blobValue"):
        if key in field:
            return field[key]
    return None


def fetch_rows(client: Any, statement_id: str) -> list[tuple[Any, ...]]:
    """Every row of a finished statement's result (``GetStatementResult``, all pages)."""
    rows: list[tuple[Any, ...]] = []
    kwargs: dict[str, Any] = {"Id": statement_id}
    while True:
        page = client.get_statement_result(**kwargs)
        rows.extend(tuple(field_value(f) for f in record) for record in page.get("Records", []))
        if not page.get("NextToken"):
            return rows
        kwargs["NextToken"] = page["NextToken"]


def query(
    client: Any,
    target: DataApiTarget,
    sql: str,
    parameters: Mapping[str, str] | None = None,
    *,
    timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[tuple[Any, ...]]:
    """Run a short query and return its rows."""
    statement_id = execute(client, target, sql, parameters)
    wait_for_statement(client, statement_id, timeout=timeout, sleep=sleep)
    return fetch_rows(client, statement_id)


def list_tables(client: Any, target: DataApiTarget, schema: str, **kwargs: Any) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, type)]} of a schema, from the catalog."""
    return tables_from_rows(query(client, target, columns_sql(schema), **kwargs))


class RedshiftExecutor:
    """Plans submitted as Data API batches (polled by the state machine); questions answered by short queries."""

    engine = "redshift"

    def __init__(
        self,
        client: Any,
        target: DataApiTarget,
        *,
        bucket: str = "",
        iam_role: str = DEFAULT_IAM_ROLE,
        kms_key_id: str = "",
        run_id: str = "manual",
    ) -> None:
        self.client = client
        self.target = target
        self.bucket = bucket
        self.iam_role = iam_role
        self.kms_key_id = kms_key_id
        self.run_id = run_id

    def catalog(self, schema: str) -> dict[str, list[tuple[str, str]]]:
        return list_tables(self.client, self.target, schema)

    def changed_keys(
        self, table: str, columns: Sequence[str], key_columns: tuple[str, ...], facilities: frozenset[str]
    ) -> list[tuple[Any, ...]]:
        if not facilities:
            return []
        return query(self.client, self.target, changed_keys_sql(table, columns, key_columns, facilities))

    def latest_load(self, facility_code: str, yyyymm: int) -> PreviousLoad | None:
        rows = query(self.client, self.target, latest_load_sql(facility_code, yyyymm))
        return PreviousLoad(str(rows[0][0]), str(rows[0][1])) if rows else None

    def load(self, plans: Sequence[LoadPlan]) -> str:
        if not self.bucket:
            raise StepInputError("the Redshift executor needs the data bucket to COPY from")
        sqls = [s for plan in plans for s in load_statements(plan, self.bucket, self.iam_role)]
        names = "-".join(f"{p.facility_code}-{p.yyyymm}" for p in plans[:3])
        return batch_execute(
            self.client, self.target, sqls, name=f"dpc-load-{names}", token=client_token(self.run_id, "load")
        )

    def publish(self, plan: PublishPlan) -> str:
        sqls = publish_statements(plan)
        return batch_execute(
            self.client,
            self.target,
            sqls,
            name=f"dpc-publish-{self.run_id}",
            token=client_token(self.run_id, "publish"),
        )

    def export(self, plan: ExportPlan) -> str:
        if not self.kms_key_id:
            raise StepInputError("no KMS key for UNLOAD")
        sqls = export_statements(plan, self.bucket, self.kms_key_id, self.iam_role)
        return batch_execute(
            self.client,
            self.target,
            sqls,
            name=f"dpc-export-{self.run_id}",
            token=client_token(self.run_id, "export"),
            transaction=False,  # each UNLOAD commits on its own: nothing to roll back
        )
