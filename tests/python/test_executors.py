"""The plan is the rule: given the same plan, the DuckDB and the Redshift executors select the same keys per table.

Runs on the demo build (real dbt output). For a publication touching two real deliveries — and one holding a
facility back — the DuckDB executor reports the key values its statements select in mart_build; the Redshift
executor's statements are parsed in the Redshift dialect and their WHERE clauses evaluated over the same mart_build
rows. No Redshift emulator: the parsed predicate is read, not executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from dpc.executors import redshift
from dpc.executors.duckdb import DuckDBExecutor
from dpc.steps import publish
from dpc.steps.publish import BUILD_SCHEMA, PUBLISHED_SCHEMA, PublishPlan, TablePublish

pytestmark = pytest.mark.xdist_group("demo")


def _truth(node: exp.Expression, row: dict[str, Any]) -> bool:
    """A parsed WHERE clause of the shape the executor writes, evaluated on one row."""
    if isinstance(node, exp.Paren):
        return _truth(node.this, row)
    if isinstance(node, exp.Or):
        return _truth(node.left, row) or _truth(node.right, row)
    if isinstance(node, exp.And):
        return _truth(node.left, row) and _truth(node.right, row)
    if isinstance(node, exp.Not):
        return not _truth(node.this, row)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.EQ):
        column, literal = node.left, node.right
        assert isinstance(column, exp.Column) and isinstance(literal, exp.Literal), node.sql()
        return str(row[column.name]) == str(literal.this)
    raise AssertionError(f"unexpected predicate node {type(node).__name__}: {node.sql()}")


def _redshift_keys(con: duckdb.DuckDBPyConnection, table: TablePublish) -> set[tuple[Any, ...]]:
    """The keys of mart_build rows the Redshift executor's INSERT … SELECT for this table selects."""
    inserts = [
        parsed
        for sql in redshift._table_statements(table)
        if isinstance(parsed := sqlglot.parse_one(sql, read="redshift"), exp.Insert)
    ]
    if not inserts:
        return set()
    [insert] = inserts
    select = insert.expression
    assert isinstance(select, exp.Select) and select.find(exp.Table).db == BUILD_SCHEMA
    where = select.args.get("where")
    if where is None:
        rows = con.execute(f"select count(*) from {BUILD_SCHEMA}.{table.table}").fetchone()[0]
        return {("*",)} if rows else set()
    columns = table.key_columns
    cursor = con.execute(f"select distinct {', '.join(columns)} from {BUILD_SCHEMA}.{table.table}")
    return {key for key in cursor.fetchall() if _truth(where.this, dict(zip(columns, key, strict=True)))}


def _plans(con: duckdb.DuckDBPyConnection) -> list[PublishPlan]:
    executor = DuckDBExecutor(con)
    deliveries = con.execute(
        f"select distinct facility_code, yyyymm from {BUILD_SCHEMA}.fct_billing_lines order by all"
    ).fetchall()
    first, last = deliveries[0], deliveries[-1]
    assert first[0] != last[0], "the demo has several facilities"
    # one KPI month of the first facility differs in mart: the executor's own query must find it
    con.execute(
        f"delete from {PUBLISHED_SCHEMA}.kpi_monthly_facility_mdc where facility_code = ? and discharge_yyyymm = "
        f"(select min(discharge_yyyymm) from {PUBLISHED_SCHEMA}.kpi_monthly_facility_mdc where facility_code = ?)",
        [first[0], first[0]],
    )
    kpi = con.execute(
        f"select distinct facility_code, discharge_yyyymm from {BUILD_SCHEMA}.kpi_monthly_facility_mdc "
        "where facility_code = ? order by all limit 3",
        [first[0]],
    ).fetchall()
    build, published = executor.catalog(BUILD_SCHEMA), executor.catalog(PUBLISHED_SCHEMA)
    return [
        publish.plan_publish(build, published, publish.Touched(frozenset({first, last}), frozenset(kpi))),
        publish.plan_publish(
            build, published, publish.Touched(frozenset({first})), held_back=[last], changed_keys=executor.changed_keys
        ),
    ]


def test_both_executors_select_the_same_keys_for_the_same_plan(demo_copy: Path) -> None:
    with duckdb.connect(str(demo_copy / "dpc.duckdb")) as con:
        plans = _plans(con)
        duck = DuckDBExecutor(con)
        modes: set[str] = set()
        for plan in plans:
            for table in plan.tables:
                modes.add(table.mode)
                ours, theirs = duck.selected_keys(table), _redshift_keys(con, table)
                assert ours == theirs, (table.table, table.mode, sorted(ours ^ theirs)[:5])
                if table.mode in ("delivery", "stay", "kpi"):
                    assert ours, f"{table.table}: the plan selects nothing, the comparison would prove nothing"
    assert {"whole", "delivery", "stay", "kpi", "facilities"} <= modes


def test_the_aws_publish_and_the_local_publish_make_the_same_plan(demo_copy: Path) -> None:
    """The grains come from the rule, not from column names: kpi_monthly_facility_mdc, dim_facility and the ind_*
    tables are published the same way whichever engine runs the plan (they used to differ)."""
    with duckdb.connect(str(demo_copy / "dpc.duckdb")) as con:
        [plan, _] = _plans(con)
        modes = {t.table: t.mode for t in plan.tables}
    assert modes["kpi_monthly_facility_mdc"] == "kpi" and modes["fct_admissions"] == "stay"
    assert modes["dim_facility"] == "whole"
    assert all(mode == "whole" for table, mode in modes.items() if table.startswith("ind_"))
