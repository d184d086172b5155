"""Export step — the rule, engine-neutral: what an export of the published mart writes, rewriting only what changed.

STANDARD LIBRARY ONLY (the Export Lambda imports it). :func:`plan_export` decides, per table, its partitioning and
what to rewrite; the executors write it (DuckDB: :mod:`dpc.executors.duckdb_export`; Redshift: UNLOAD).

Locally DuckDB writes ``data/lake/processed/``; on Redshift the Export Lambda runs UNLOAD … FORMAT AS PARQUET with
KMS (dpc.executors.redshift.export_statements); on Athena the Iceberg mart tables already are Parquet on S3.

Layout (read a table with ``read_parquet('<lake>/processed/<table>/**/*.parquet', hive_partitioning = false)``):

- tables of grain ``delivery`` (dpc.steps.publish.GRAINS: fct_billing_lines) are partitioned by delivery, like
  stage/ (docs/decisions/0002): ``processed/<table>/yyyymm=YYYYMM/facility=FFFFFFFFF/part-0.parquet``; yyyymm and
  facility_code stay real columns inside the files too;
- every other table is one file, ``processed/<table>/<table>.parquet``.

What is rewritten: ``touched=None`` (first publication, full refresh) rewrites everything and removes partitions
(and any other file) that the mart no longer has. Given the publication's :class:`~dpc.steps.publish.Touched` (and
publish_duckdb's report as ``tables``), a ``delivery`` table rewrites only the touched facility-months' files and
deletes those of facility-months left without rows; a table the publication did not change (its report shows
nothing deleted nor inserted) is skipped; any other table is rewritten whole. Every file is written next to its
target and moved into place with os.replace, so a reader sees the old file or the new one, never half a file.

An incremental export is only as good as the files it starts from: ``processed/_export_state.json`` records the
publication (dq.publish_log) the files reflect. It is removed when an export starts and written when it ends; when
it is missing or names neither the latest publication nor the one before (an export killed half-way, a run that
published and died before exporting, a deleted lake), the export falls back to a full one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpc.steps import step
from dpc.steps.publish import GRAINS, Touched

PART_FILE = "part-0.parquet"
ALL, KEYS, SKIP = "all", "keys", "skip"
# the partition columns of a ``delivery`` table, in folder order (the files keep them as columns too)
DELIVERY_PARTITION = ("yyyymm", "facility_code")


@dataclass(frozen=True)
class TableExport:
    """One table's export: partitioned by delivery or one file; rewrite ``all``, the ``keys`` (facility, yyyymm)
    of a partitioned table, or ``skip`` (the publication changed nothing in it)."""

    table: str
    partition_by: tuple[str, ...]
    rewrite: str
    keys: frozenset[tuple[str, int]] = frozenset()


@dataclass(frozen=True)
class ExportPlan:
    tables: tuple[TableExport, ...]


def partition_path(table_dir: Path, facility_code: str, yyyymm: int) -> Path:
    """Where one facility-month of a ``delivery`` table lives."""
    return table_dir / f"yyyymm={int(yyyymm)}" / f"facility={facility_code}" / PART_FILE


def is_partitioned(table: str) -> bool:
    return GRAINS.get(table, ("whole", ()))[0] == "delivery"


def _unchanged(report: Mapping[str, object] | None) -> bool:
    """The publication replaced nothing in this table (incremental mode, nothing deleted nor inserted)."""
    if report is None:
        return False
    if report.get("mode") == "kept":
        return True
    if report.get("mode") == "whole" or "deleted" not in report or "inserted" not in report:
        return False  # replaced whole, or an engine that does not count what it replaced
    return not report["deleted"] and not report["inserted"]


@step("export")
def plan_export(
    tables: Iterable[str], touched: Touched | None, report: Mapping[str, Mapping[str, Any]] | None = None
) -> ExportPlan:
    """What to write for each published table: ``touched`` is what the publication copied (None: everything) and
    ``report`` the publication's report per table (None: every table rewritten)."""
    out = []
    for table in sorted(tables):
        table_report = (report or {}).get(table)
        partition_by = DELIVERY_PARTITION if is_partitioned(table) else ()
        if touched is None or (table_report is not None and table_report.get("mode") == "whole"):
            rewrite = ALL
        elif _unchanged(table_report):
            rewrite = SKIP
        elif partition_by:
            rewrite = KEYS
        else:
            rewrite = ALL
        keys = frozenset(touched.facility_months) if touched is not None and rewrite == KEYS else frozenset()
        out.append(TableExport(table, partition_by, rewrite, keys))
    return ExportPlan(tuple(out))
