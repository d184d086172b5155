"""Publish step (write-audit-publish, DECISIONS item 9): copy the audited mart_build tables into mart.

Runs only after dbt's error-severity tests and the DQ gate passed. One transaction: analysts see the
previous mart until the commit, and a failure or kill before it leaves mart exactly as it was.
"""

from __future__ import annotations

import duckdb

BUILD_SCHEMA = "mart_build"
PUBLISHED_SCHEMA = "mart"


def mart_tables(con: duckdb.DuckDBPyConnection, schema: str = BUILD_SCHEMA) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
        ).fetchall()
    ]


def publish_duckdb(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Replace every mart table by its audited mart_build version atomically; returns rows per table."""
    tables = mart_tables(con)
    con.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
    con.execute("begin transaction")
    try:
        for table in tables:
            con.execute(
                f"create or replace table {PUBLISHED_SCHEMA}.{table} as select * from {BUILD_SCHEMA}.{table}"
            )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {t: con.execute(f"select count(*) from {PUBLISHED_SCHEMA}.{t}").fetchone()[0] for t in tables}
