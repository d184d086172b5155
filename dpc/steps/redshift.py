"""Redshift through the Data API: the SQL of the load, publish and export transactions, and helpers to run it.

STANDARD LIBRARY ONLY (the Lambdas import this module; boto3 clients are passed in). Redshift is reached with
the workgroup name and the caller's IAM identity, never a password or secret (docs/decisions/0013 and 0015).

- Load (docs/decisions/0015): one ``BatchExecuteStatement`` transaction deletes the delivery's facility-month from
  every raw and quarantine table, ``COPY … FORMAT AS PARQUET`` it from the normalised prefix and appends its
  ``dq.load_history`` rows — :func:`load_transaction`. A re-delivery replaces exactly its facility-month.
- Publish (docs/decisions/0009): one transaction copies what a delivery can change from ``mart_build`` to ``mart``
  (:func:`publish_statements`): tables with ``facility_code`` and ``yyyymm`` by facility-month, other tables
  with ``facility_code`` by facility (stays span months and KPI months include readmission look-backs, so every
  month of the facility is recomputed), tables without ``facility_code`` entirely (dimensions).
- Export: ``UNLOAD … FORMAT AS PARQUET PARTITION BY (…)`` with KMS per published table (:func:`unload_statement`).

The state machine polls the long statements (``DescribeStatement`` in a ``Wait`` loop); short queries (the DQ
results, the table lists) wait here with :func:`wait_for_statement`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dpc.layouts import KIND_SLUG
from dpc.storage import stage_prefix

DEFAULT_IAM_ROLE = "default"  # the namespace's default IAM role (infra: role-redshift-copy)
BUILD_SCHEMA = "mart_build"
PUBLISHED_SCHEMA = "mart"
# an UNLOAD is partitioned by the first of these columns a table has
PARTITION_COLUMNS = ("yyyymm", "discharge_yyyymm")
DONE_STATUSES = ("FINISHED", "FAILED", "ABORTED")
LOAD_HISTORY_COLUMNS = (
    "load_id",
    "facility_code",
    "yyyymm",
    "kind",
    "source_file",
    "sha256",
    "bytes",
    "delivered_rows",
    "accepted_rows",
    "quarantined_rows",
    "warnings",
    "manifest_sha256",
    "archived_to",
    "loaded_by",
    "loaded_at",
)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_FACILITY = re.compile(r"^\d{9}$")


class StatementFailed(RuntimeError):
    """A Data API statement ended FAILED or ABORTED (or did not finish in time)."""

    def __init__(self, statement_id: str, status: str, error: str) -> None:
        super().__init__(f"statement {statement_id} {status}: {error}")
        self.statement_id = statement_id
        self.status = status
        self.error = error


@dataclass(frozen=True)
class DataApiTarget:
    """Where statements run: a Redshift Serverless workgroup and database (IAM authentication)."""

    workgroup: str
    database: str

    def kwargs(self) -> dict[str, str]:
        return {"WorkgroupName": self.workgroup, "Database": self.database}


# --- SQL text -------------------------------------------------------------------------------------------------


def identifier(name: str) -> str:
    """A lower-case SQL identifier, checked (table and column names come from the catalog, never from users)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def literal(value: object) -> str:
    """A SQL literal: NULL, numbers and booleans as is, text single-quoted with quotes doubled."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("NUL in a SQL literal")
    return "'" + text.replace("'", "''") + "'"


def iam_role_clause(iam_role: str) -> str:
    """``iam_role default`` (the namespace's default role) or ``iam_role '<arn>'``."""
    return "iam_role default" if iam_role == DEFAULT_IAM_ROLE else f"iam_role {literal(iam_role)}"


def _check_delivery(facility_code: str, yyyymm: int) -> tuple[str, int]:
    if not _FACILITY.match(str(facility_code)):
        raise ValueError(f"facility code must be 9 digits, got {facility_code!r}")
    month = int(yyyymm)
    if not (190001 <= month <= 299912 and 1 <= month % 100 <= 12):
        raise ValueError(f"not a month yyyymm: {yyyymm!r}")
    return str(facility_code), month


def load_statements(facility_code: str, yyyymm: int, bucket: str, iam_role: str = DEFAULT_IAM_ROLE) -> list[str]:
    """DELETE the delivery's facility-month, then COPY its normalised Parquet, for every raw and quarantine table.

    The same statements as :func:`dpc.steps.load.redshift_load_statements` (which needs pyarrow to import).
    """
    facility_code, yyyymm = _check_delivery(facility_code, yyyymm)
    statements: list[str] = []
    for slug in KIND_SLUG.values():
        for table, layer in ((f"raw.{slug}", slug), (f"dq.quarantine_{slug}", f"quarantine_{slug}")):
            statements.append(f"delete from {table} where facility_code = '{facility_code}' and yyyymm = {yyyymm}")
            statements.append(
                f"copy {table} from 's3://{bucket}/{stage_prefix(layer, facility_code, yyyymm)}' "
                f"{iam_role_clause(iam_role)} format as parquet"
            )
    return statements


def load_history_rows(
    *,
    load_id: str,
    facility_code: str,
    yyyymm: int,
    manifest_files: Iterable[Mapping[str, Any]],
    normalised_files: Iterable[Mapping[str, Any]],
    manifest_sha256: str,
    loaded_by: str,
    loaded_at: datetime | None = None,
    archived_to: str | None = None,
) -> list[dict[str, Any]]:
    """One dq.load_history row per delivered file: the manifest's facts joined with the normaliser's counts
    (as :func:`dpc.pipeline.loaded_files` does locally)."""
    facts = {str(f["name"]): f for f in manifest_files}
    at = (loaded_at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    rows = []
    for f in normalised_files:
        m = facts.get(str(f["source_file"]), {})
        rows.append(
            {
                "load_id": load_id,
                "facility_code": facility_code,
                "yyyymm": int(yyyymm),
                "kind": f["kind"],
                "source_file": f["source_file"],
                "sha256": str(m.get("sha256", "")),
                "bytes": int(m.get("bytes", 0)),
                "delivered_rows": int(f["delivered"]),
                "accepted_rows": int(f["accepted"]),
                "quarantined_rows": int(f["quarantined"]),
                "warnings": int(f["warnings"]),
                "manifest_sha256": manifest_sha256,
                "archived_to": archived_to,
                "loaded_by": loaded_by,
                "loaded_at": at,
            }
        )
    return rows


def normalised_files(
    normalised: Mapping[str, Any], manifest_files: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per-file counts of the Normalise answer: its ``files`` when it lists them, else its counts per kind
    (``rows``/``by_kind``) given to the one file of that kind the manifest lists (one file per kind is the
    delivery convention; anything else is an error rather than a guess)."""
    if normalised.get("files"):
        return [dict(f) for f in normalised["files"]]
    per_kind = normalised.get("rows") or normalised.get("by_kind") or {}
    names: dict[str, list[str]] = {}
    for f in manifest_files:
        names.setdefault(str(f.get("kind")), []).append(str(f["name"]))
    out = []
    for kind, counts in sorted(per_kind.items()):
        files = names.get(kind, [])
        if len(files) != 1:
            raise ValueError(
                f"the Normalise answer counts rows per kind, and the manifest lists {len(files)} {kind} files "
                f"({', '.join(files) or 'none'}): the answer must list its files"
            )
        out.append(
            {
                "kind": kind,
                "source_file": files[0],
                **{k: int(counts.get(k, 0)) for k in ("delivered", "accepted", "quarantined", "warnings")},
            }
        )
    return out


def load_history_insert(rows: Sequence[Mapping[str, Any]]) -> str:
    """One INSERT of the load-history rows (``loaded_at`` as an ISO-8601 UTC timestamp)."""
    values = []
    for row in rows:
        cells = [literal(row[c]) for c in LOAD_HISTORY_COLUMNS[:-1]]
        cells.append(f"cast({literal(row['loaded_at'])} as timestamptz)")
        values.append("(" + ", ".join(cells) + ")")
    return f"insert into dq.load_history ({', '.join(LOAD_HISTORY_COLUMNS)}) values " + ", ".join(values)


def load_transaction(
    facility_code: str,
    yyyymm: int,
    bucket: str,
    history: Sequence[Mapping[str, Any]],
    iam_role: str = DEFAULT_IAM_ROLE,
) -> list[str]:
    """The statements of the LoadRaw transaction: delete + COPY per table, then the load history."""
    statements = load_statements(facility_code, yyyymm, bucket, iam_role)
    if history:
        statements.append(load_history_insert(history))
    return statements


def columns_sql(schema: str) -> str:
    """Every table of a schema with its columns, in column order (one row per column)."""
    return (
        "select table_name, column_name from information_schema.columns "
        f"where table_schema = {literal(identifier(schema))} order by table_name, ordinal_position"
    )


def tables_from_rows(rows: Iterable[Sequence[Any]]) -> dict[str, list[str]]:
    """``columns_sql`` rows → {table: [columns in order]}."""
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(str(table), []).append(str(column))
    return tables


def publish_scope(columns: Sequence[str]) -> str:
    """What a re-delivery can change in a table: ``facility_month``, ``facility`` or ``all`` (see the module doc)."""
    if "facility_code" in columns and "yyyymm" in columns:
        return "facility_month"
    if "facility_code" in columns:
        return "facility"
    return "all"


def _scope_predicate(scope: str, deliveries: Sequence[tuple[str, int]]) -> str | None:
    checked = sorted({_check_delivery(f, m) for f, m in deliveries})
    if scope == "facility_month":
        return " or ".join(f"(facility_code = '{f}' and yyyymm = {m})" for f, m in checked)
    if scope == "facility":
        return "facility_code in (" + ", ".join(sorted({f"'{f}'" for f, _ in checked})) + ")"
    return None


def publish_statements(tables: Mapping[str, Sequence[str]], deliveries: Sequence[tuple[str, int]]) -> list[str]:
    """One transaction replacing, in ``mart``, what the deliveries changed in ``mart_build`` (write-audit-publish).

    ``tables`` maps each mart_build table to its columns (from :func:`columns_sql`). A missing mart table is
    created like its mart_build table; columns are named on both sides so a column-order change fails loudly.
    """
    if not deliveries:
        raise ValueError("publish needs at least one delivery (facility, yyyymm)")
    statements: list[str] = []
    for table in sorted(tables):
        name = identifier(table)
        cols = ", ".join(identifier(c) for c in tables[table])
        predicate = _scope_predicate(publish_scope(tables[table]), deliveries)
        where = f" where {predicate}" if predicate else ""
        statements.append(f"create table if not exists {PUBLISHED_SCHEMA}.{name} (like {BUILD_SCHEMA}.{name})")
        statements.append(f"delete from {PUBLISHED_SCHEMA}.{name}{where}")
        statements.append(
            f"insert into {PUBLISHED_SCHEMA}.{name} ({cols}) select {cols} from {BUILD_SCHEMA}.{name}{where}"
        )
    return statements


def unload_statement(
    table: str,
    bucket: str,
    kms_key_id: str,
    *,
    iam_role: str = DEFAULT_IAM_ROLE,
    partition_column: str | None = None,
    schema: str = PUBLISHED_SCHEMA,
) -> str:
    """UNLOAD one published table to ``processed/<table>/`` as Parquet, SSE-KMS, partitioned when it has a month.

    CLEANPATH (rather than ALLOWOVERWRITE) removes the previous files of each partition written, so a partition
    that shrank keeps no stale files.
    """
    name = identifier(table)
    partition = f" partition by ({identifier(partition_column)})" if partition_column else ""
    return (
        f"unload ('select * from {identifier(schema)}.{name}') to 's3://{bucket}/processed/{name}/' "
        f"{iam_role_clause(iam_role)} format as parquet{partition} kms_key_id {literal(kms_key_id)} encrypted "
        "cleanpath"
    )


def export_statements(
    tables: Mapping[str, Sequence[str]], bucket: str, kms_key_id: str, iam_role: str = DEFAULT_IAM_ROLE
) -> list[str]:
    """An UNLOAD per published table, partitioned by its month column when it has one."""
    statements = []
    for table in sorted(tables):
        partition = next((c for c in PARTITION_COLUMNS if c in tables[table]), None)
        statements.append(unload_statement(table, bucket, kms_key_id, iam_role=iam_role, partition_column=partition))
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


def list_tables(client: Any, target: DataApiTarget, schema: str, **kwargs: Any) -> dict[str, list[str]]:
    """{table: [columns]} of a schema, from the catalog."""
    return tables_from_rows(query(client, target, columns_sql(schema), **kwargs))
