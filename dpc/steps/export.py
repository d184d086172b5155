"""Export step: every published mart table as Parquet under the lake's processed/ prefix.

Locally DuckDB writes data/lake/processed/<table>/; on Redshift the Export Lambda runs UNLOAD … FORMAT AS
PARQUET with KMS (dpc.steps.redshift.export_statements); on Athena the Iceberg mart tables already are Parquet on S3.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from dpc.steps.publish import PUBLISHED_SCHEMA, mart_tables


def export_duckdb(con: duckdb.DuckDBPyConnection, lake: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in mart_tables(con, PUBLISHED_SCHEMA):
        target = lake / "processed" / table
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        path = target / f"{table}.parquet"
        con.execute(f"copy {PUBLISHED_SCHEMA}.{table} to '{path}' (format parquet, compression zstd)")
        out[table] = str(path)
    return out
