"""Every statement the Redshift side builds in Python is parsed in the Redshift dialect (sqlglot), without an account.

dbt's SQL for Redshift is compiled offline and parsed in test_engines.py; this covers the statements the Lambdas send
through the Data API themselves (dpc/steps/redshift.py): LoadRaw's DELETE + COPY + load history, Publish's
CREATE/DELETE/INSERT per mart table, Export's UNLOAD, and the catalogue query. sqlglot parses UNLOAD only as an
opaque command, so its query is parsed on its own and the rest of the clause is matched exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from dpc.steps import redshift

DELIVERIES = [("131000017", 202404), ("271000023", 202405)]
# one table per publish scope (redshift.publish_scope): facility × month, facility, whole table
TABLES = {
    "fct_billing_lines": ["billing_line_id", "facility_code", "yyyymm", "ffs_equivalent_points"],
    "fct_admissions": ["stay_id", "facility_code", "discharge_yyyymm", "billed_points"],
    "dim_mdc": ["mdc_code", "name_ja"],
}
UNLOAD = re.compile(
    r"^unload \('(?P<query>[^']*)'\) to 's3://bucket-1/processed/(?P<table>\w+)/' iam_role default format as parquet"
    r"(?: partition by \((?P<partition>\w+)\))? kms_key_id 'alias/dpc-learning-kms' encrypted cleanpath$"
)


def _history() -> list[dict[str, object]]:
    return redshift.load_history_rows(
        load_id="20261207T000000Z-abcdef12",
        facility_code="131000017",
        yyyymm=202404,
        manifest_files=[{"name": "FF1_131000017_2404.txt", "sha256": "ab" * 32, "bytes": 1234}],
        normalised_files=[
            {
                "kind": "FF1",
                "source_file": "FF1_131000017_2404.txt",
                "delivered": 10,
                "accepted": 9,
                "quarantined": 1,
                "warnings": 2,
            }
        ],
        manifest_sha256="cd" * 32,
        loaded_by="test",
        loaded_at=datetime(2026, 12, 7, tzinfo=UTC),
        archived_to="archive/raw/yyyymm=202404/facility=131000017/load=x/",
    )


def _statements() -> list[tuple[str, str]]:
    out = [("load", s) for s in redshift.load_transaction("131000017", 202404, "bucket-1", _history())]
    out += [("publish", s) for s in redshift.publish_statements(TABLES, DELIVERIES)]
    out += [("export", s) for s in redshift.export_statements(TABLES, "bucket-1", "alias/dpc-learning-kms")]
    out.append(("catalogue", redshift.columns_sql("mart_build")))
    return out


def _parse(sql: str) -> exp.Expression:
    parsed = sqlglot.parse(sql, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(parsed) == 1 and parsed[0] is not None, sql
    return parsed[0]


@pytest.mark.parametrize(("step", "sql"), _statements(), ids=lambda v: v if v in ("load", "publish", "export") else "")
def test_statement_parses_in_the_redshift_dialect(step: str, sql: str) -> None:
    if sql.startswith("unload "):
        m = UNLOAD.match(sql)
        assert m, sql
        query = _parse(m["query"])
        assert isinstance(query, exp.Select) and query.find(exp.Table).name == m["table"]
        assert m["partition"] in (None, *redshift.PARTITION_COLUMNS), sql
        return
    parsed = _parse(sql)
    assert not isinstance(parsed, exp.Command), f"{step}: parsed only as an opaque command: {sql}"
    assert isinstance(parsed, exp.Delete | exp.Copy | exp.Insert | exp.Create | exp.Select), (step, type(parsed))


def test_publish_selects_each_scope_by_its_keys() -> None:
    """The publish predicate per table: facility × month where the table has yyyymm, the facility where it has only
    facility_code, the whole table otherwise — read back from the parsed statements, not from the strings."""
    deletes = {
        stmt.this.name: stmt
        for stmt in (_parse(s) for _, s in _statements() if s.startswith("delete from mart."))
        if isinstance(stmt, exp.Delete)
    }
    billing = deletes["fct_billing_lines"].args["where"]
    assert {c.name for c in billing.find_all(exp.Column)} == {"facility_code", "yyyymm"}
    assert {lit.this for lit in billing.find_all(exp.Literal)} == {"131000017", "202404", "271000023", "202405"}
    admissions = deletes["fct_admissions"].args["where"]
    assert {c.name for c in admissions.find_all(exp.Column)} == {"facility_code"}
    assert deletes["dim_mdc"].args.get("where") is None


def test_a_malformed_delivery_never_reaches_a_statement() -> None:
    with pytest.raises(ValueError):
        redshift.load_statements("13100001'; drop table raw.ff1; --", 202404, "bucket-1")
    with pytest.raises(ValueError):
        redshift.publish_statements(TABLES, [("131000017", 20240)])
