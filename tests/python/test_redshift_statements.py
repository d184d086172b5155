"""Every statement the Redshift executor can send is parsed in the Redshift dialect (sqlglot), without an account.

dbt's SQL for Redshift is compiled offline and parsed in test_engines.py; this covers the statements the Lambdas send
through the Data API themselves (dpc/executors/redshift.py), rendered from the steps' plans: the load (DELETE + COPY
from the load's versioned prefix + load history), the publication in every mode a plan can hold, the export's
UNLOADs, and the queries (catalogue, latest load, changed KPI months). sqlglot parses UNLOAD only as an opaque
command, so its query is parsed on its own and the rest of the clause is matched exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlglot
from sqlglot import exp

from dpc.executors import redshift
from dpc.steps import export, load, publish

DELIVERIES = frozenset({("131000017", 202404), ("271000023", 202405)})
BUILD = {
    "fct_billing_lines": [("billing_line_id", "varchar"), ("facility_code", "varchar"), ("yyyymm", "integer")],
    "fct_admissions": [("stay_id", "varchar"), ("facility_code", "varchar"), ("billed_points", "bigint")],
    "kpi_monthly_facility_mdc": [("facility_code", "varchar"), ("discharge_yyyymm", "integer"), ("n", "bigint")],
    "dim_facility": [("facility_code", "varchar"), ("stays", "bigint")],
    "dim_mdc": [("mdc_code", "varchar"), ("name_ja", "varchar")],
    "national_summary": [("discharges", "bigint")],
}
UNLOAD = re.compile(
    r"^unload \('(?P<query>(?:[^']|'')*)'\) to 's3://bucket-1/processed/(?P<table>\w+)/' iam_role default "
    r"format as parquet(?: partition by \((?P<partition>[\w, ]+)\))? kms_key_id 'alias/dpc-learning-kms' "
    r"encrypted cleanpath$"
)
T0 = datetime(2026, 12, 7, tzinfo=UTC)


def _load_plan() -> load.LoadPlan:
    return load.plan_load(
        "131000017",
        202404,
        load_id="20261207T000000Z-abcdef12-131000017-202404",
        manifest_sha256="cd" * 32,
        files=[load.LoadedFile("FF1", "FF1_131000017_2404.txt", "ab" * 32, 1234, 10, 9, 1, 2)],
        archived_to="archive/raw/yyyymm=202404/facility=131000017/abcdefabcdef/",
        loaded_by="test",
        loaded_at=T0,
    )


def _publish_plans() -> list[publish.PublishPlan]:
    """Plans covering every mode: whole (first publication, recreate), delivery, stay, kpi, and with held-back
    deliveries facilities and kept."""
    changed = {"billed_points": ("billed_points", "integer")}  # a changed column type: recreate
    published = {t: [changed.get(c[0], c) for c in cols] for t, cols in BUILD.items() if t != "dim_facility"}
    return [
        publish.plan_publish(BUILD, {}, None, run_id="first", build_started_at=T0),
        publish.plan_publish(
            BUILD, published, publish.Touched(DELIVERIES, frozenset({("131000017", 202404)})), run_id="next"
        ),
        publish.plan_publish(
            BUILD,
            BUILD,
            publish.Touched(frozenset({("131000017", 202404)}), frozenset()),
            held_back=[("271000023", 202405)],
            run_id="partial",
        ),
    ]


def _statements() -> list[tuple[str, str]]:
    out = [("load", s) for s in redshift.load_statements(_load_plan(), "bucket-1")]
    out += [("publish", s) for plan in _publish_plans() for s in redshift.publish_statements(plan)]
    touched = publish.Touched(DELIVERIES)
    for report in (None, {"fct_billing_lines": {"mode": "whole"}}):
        plan = export.plan_export(BUILD, touched, report)
        out += [("export", s) for s in redshift.export_statements(plan, "bucket-1", "alias/dpc-learning-kms")]
    out.append(("catalogue", redshift.columns_sql("mart_build")))
    out.append(("latest_load", redshift.latest_load_sql("131000017", 202404)))
    out.append(
        (
            "changed_keys",
            redshift.changed_keys_sql(
                "kpi_monthly_facility_mdc",
                [c for c, _ in BUILD["kpi_monthly_facility_mdc"]],
                ("facility_code", "discharge_yyyymm"),
                frozenset({"131000017"}),
            ),
        )
    )
    return out


def _parse(sql: str) -> exp.Expression:
    parsed = sqlglot.parse(sql, read="redshift", error_level=sqlglot.ErrorLevel.RAISE)
    assert len(parsed) == 1 and parsed[0] is not None, sql
    return parsed[0]


@pytest.mark.parametrize(("step", "sql"), _statements(), ids=lambda v: v if isinstance(v, str) and len(v) < 20 else "")
def test_statement_parses_in_the_redshift_dialect(step: str, sql: str) -> None:
    if sql.startswith("unload "):
        m = UNLOAD.match(sql)
        assert m, sql
        query = _parse(m["query"].replace("''", "'"))
        assert isinstance(query, exp.Select) and query.find(exp.Table).name == m["table"]
        assert m["partition"] in (None, ", ".join(export.DELIVERY_PARTITION)), sql
        return
    parsed = _parse(sql)
    assert not isinstance(parsed, exp.Command), f"{step}: parsed only as an opaque command: {sql}"
    expected = exp.Delete | exp.Copy | exp.Insert | exp.Create | exp.Select | exp.Drop | exp.Union
    assert isinstance(parsed, expected), (step, type(parsed))


def test_every_publish_mode_is_covered() -> None:
    modes = {t.mode for plan in _publish_plans() for t in plan.tables}
    assert modes == {"whole", "delivery", "stay", "kpi", "facilities", "kept"}
    recreated = {t.table for plan in _publish_plans()[1:2] for t in plan.tables if t.recreate}
    assert recreated == {"fct_admissions", "dim_facility"}  # a changed column type, a table mart lacks


def test_load_copies_only_the_load_s_own_prefix() -> None:
    copies = [s for s in redshift.load_statements(_load_plan(), "bucket-1") if s.startswith("copy ")]
    assert len(copies) == len(load.RAW_RELATIONS)
    for sql in copies:
        target = _parse(sql)
        assert isinstance(target, exp.Copy)
        assert "/load=20261207T000000Z-abcdef12-131000017-202404/'" in sql, sql


def test_a_malformed_delivery_never_reaches_a_statement() -> None:
    with pytest.raises(ValueError):
        redshift.latest_load_sql("13100001'; drop table raw.ff1; --", 202404)
    with pytest.raises(ValueError):
        redshift.key_predicate(("facility_code", "yyyymm"), [("13100001' or '1'='1", 202404)])
    with pytest.raises(ValueError):
        redshift.identifier("mart; drop table x")
