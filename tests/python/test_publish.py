"""Publish step: atomic, copies exactly what is pending, and an error-severity DQ failure publishes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from dpc.executors.duckdb import DuckDBExecutor, ensure_raw_tables, pending, publish_duckdb
from dpc.pipeline import run_local
from dpc.steps import load
from dpc.steps.notify import format_summary
from dpc.steps.publish import PublicationBlocked, Touched

T0 = datetime(2024, 7, 1, tzinfo=UTC)


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A small mart_build / mart pair shaped like the real one: old values published, new values built."""
    con = duckdb.connect(str(path))
    for schema in ("mart_build", "mart"):
        con.execute(f"create schema {schema}")
        new = 1 if schema == "mart_build" else 0
        con.execute(
            f"create table {schema}.fct_billing_lines as select * from (values "
            f"('A', 202404, 'a4', 10 + {new}), ('A', 202405, 'a5', 20 + {new}), ('B', 202404, 'b4', 30 + {new})) "
            "as t(facility_code, yyyymm, billing_line_id, points)"
        )
        con.execute(
            f"create table {schema}.fct_admissions as select * from (values "
            f"('A', 's1', 1 + {new}), ('A', 's2', 2), ('B', 's3', 3 + {new})) as t(facility_code, stay_id, los_days)"
        )
        con.execute(
            f"create table {schema}.kpi_monthly_facility_mdc as select * from (values "
            f"('A', 202404, '01', 5 + {new}), ('A', 202405, '01', 6), ('B', 202404, '01', 7 + {new})) "
            "as t(facility_code, discharge_yyyymm, mdc_code, discharges)"
        )
        con.execute(f"create table {schema}.dim_mdc as select '01' as mdc_code, 'name v{new}' as mdc_name_en")
    ensure_raw_tables(con)
    return con


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"select * from {table} order by all").fetchall()


def test_first_publication_replaces_every_table(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    assert pending(con) is None  # never published: everything
    report = publish_duckdb(con, None, run_id="r1", build_started_at=T0)
    for table in ("fct_billing_lines", "fct_admissions", "kpi_monthly_facility_mdc", "dim_mdc"):
        assert _rows(con, f"mart.{table}") == _rows(con, f"mart_build.{table}")
        assert report[table]["mode"] == "whole"
    assert con.execute("select run_id, complete, mode from dq.publish_log").fetchall() == [("r1", True, "full")]


def test_incremental_publication_copies_exactly_the_touched_keys(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    # A's April delivery was re-loaded; B changed in mart_build too (a stray change) but B was not delivered
    report = publish_duckdb(con, Touched(frozenset({("A", 202404)})), run_id="r2", build_started_at=T0)
    assert _rows(con, "mart.fct_billing_lines") == [
        ("A", 202404, "a4", 11),
        ("A", 202405, "a5", 20),
        ("B", 202404, "b4", 30),
    ]
    assert _rows(con, "mart.fct_admissions") == [("A", "s1", 2), ("A", "s2", 2), ("B", "s3", 3)]  # A's stays
    # KPI months found by comparison within the touched facility: only A 202404 differs
    assert _rows(con, "mart.kpi_monthly_facility_mdc") == [
        ("A", 202404, "01", 6),
        ("A", 202405, "01", 6),
        ("B", 202404, "01", 7),
    ]
    assert _rows(con, "mart.dim_mdc") == [("01", "name v1")]  # small tables: whole
    assert report["fct_billing_lines"] == {"mode": "delivery", "keys": 1, "deleted": 1, "inserted": 1, "rows": 3}
    assert report["kpi_monthly_facility_mdc"]["keys"] == 1
    # KPI months given by the caller (the incremental build knows them) are used as given
    publish_duckdb(con, Touched(frozenset({("B", 202404)}), kpi_months=frozenset()), run_id="r3")
    assert _rows(con, "mart.kpi_monthly_facility_mdc")[-1] == ("B", 202404, "01", 7)
    assert _rows(con, "mart.fct_billing_lines")[-1] == ("B", 202404, "b4", 31)


def test_a_failing_publication_changes_nothing(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")
    # a real failure half-way: the last table to publish cannot be replaced (a view of that name is in the way)
    con.execute("drop table mart.kpi_monthly_facility_mdc")
    con.execute("create view mart.kpi_monthly_facility_mdc as select 1 as x")
    before = {t: _rows(con, f"mart.{t}") for t in ("fct_billing_lines", "fct_admissions", "dim_mdc")}
    with pytest.raises(duckdb.Error):
        publish_duckdb(con, None, run_id="r4", build_started_at=T0)
    assert {t: _rows(con, f"mart.{t}") for t in before} == before  # dim_mdc, fct_* were replaced, then rolled back
    assert con.execute("select count(*) from dq.publish_log").fetchone()[0] == 0


def test_pending_is_every_delivery_loaded_since_the_last_complete_publication(tmp_path: Path) -> None:
    con = _warehouse(tmp_path / "w.duckdb")

    def loaded(facility: str, yyyymm: int, at: datetime) -> None:
        con.execute(
            "insert into dq.load_history (load_id, facility_code, yyyymm, kind, loaded_at) values (?, ?, ?, 'D', ?)",
            [f"{facility}-{yyyymm}-{at:%H%M}", facility, yyyymm, at],
        )

    loaded("A", 202404, T0)
    publish_duckdb(con, None, run_id="first", build_started_at=T0 + timedelta(minutes=1))
    assert pending(con) == Touched(frozenset())
    loaded("A", 202405, T0 + timedelta(minutes=2))  # loaded, then the run was killed before publishing
    loaded("B", 202404, T0 + timedelta(minutes=3))
    assert pending(con) == Touched(frozenset({("A", 202405), ("B", 202404)}))
    # a build restricted by --select publishes, but keeps the deliveries pending for the next complete build
    publish_duckdb(con, pending(con), run_id="partial", build_started_at=T0 + timedelta(minutes=4), complete=False)
    assert pending(con) == Touched(frozenset({("A", 202405), ("B", 202404)}))
    publish_duckdb(con, pending(con), run_id="full", build_started_at=T0 + timedelta(minutes=5))
    assert pending(con) == Touched(frozenset())


def test_held_back_deliveries_keep_their_facilitys_published_rows_and_stay_pending(tmp_path: Path) -> None:
    """docs/decisions/0028: A's deliveries publish, B's are held back — none of B's rows, in any table, changes."""
    con = _warehouse(tmp_path / "w.duckdb")
    for schema in ("mart_build", "mart"):  # a table replaced whole (dim_facility) and one without facility_code
        new = 1 if schema == "mart_build" else 0
        con.execute(
            f"create table {schema}.dim_facility as select * from (values ('A', {new}), ('B', {new})) "
            "as t(facility_code, stays)"
        )
        con.execute(f"create table {schema}.national_summary as select {new} as discharges")
    con.execute(
        "insert into dq.load_history (load_id, facility_code, yyyymm, kind, loaded_at) values "
        "('a', 'A', 202404, 'D', ?), ('b', 'B', 202404, 'D', ?)",
        [T0, T0],
    )
    publish_duckdb(con, None, run_id="first", build_started_at=T0 - timedelta(minutes=1))
    # both facilities re-delivered April: mart_build has new values again
    con.execute("update mart_build.fct_billing_lines set points = points + 100 where yyyymm = 202404")
    con.execute("update mart_build.fct_admissions set los_days = los_days + 100")
    con.execute("update mart_build.dim_facility set stays = stays + 100")
    con.execute("update mart_build.national_summary set discharges = 2")
    before = {t: _rows(con, f"mart.{t}") for t in ("fct_billing_lines", "fct_admissions", "dim_facility")}
    with pytest.raises(PublicationBlocked):  # a held-back facility cannot be published too
        publish_duckdb(con, Touched(frozenset({("A", 202404), ("B", 202404)})), held_back=[("B", 202404)])
    with pytest.raises(PublicationBlocked):  # nor can a whole publication leave anything out
        publish_duckdb(con, None, held_back=[("B", 202404)])
    assert {t: _rows(con, f"mart.{t}") for t in before} == before
    report = publish_duckdb(
        con,
        Touched(frozenset({("A", 202404)})),
        run_id="partial",
        build_started_at=T0 + timedelta(minutes=1),
        held_back=[("B", 202404)],
    )
    b_rows = {t: [r for r in rows if r[0] == "B"] for t, rows in before.items()}
    assert {t: [r for r in _rows(con, f"mart.{t}") if r[0] == "B"] for t in before} == b_rows
    for table in before:  # A: as built
        assert [r for r in _rows(con, f"mart.{table}") if r[0] == "A"] == [
            r for r in _rows(con, f"mart_build.{table}") if r[0] == "A"
        ]
    assert report["dim_facility"]["mode"] == "facilities"
    assert report["dim_mdc"]["mode"] == "whole"  # reference data only (REFERENCE_ONLY)
    assert report["national_summary"]["mode"] == "kept"  # no facility_code: not published while B is held
    assert _rows(con, "mart.national_summary") == [(1,)]
    assert con.execute("select held_back from dq.publish_log where run_id = 'partial'").fetchone() == ("B-202404",)
    assert pending(con) == Touched(frozenset({("B", 202404)}))  # held back: pending until published
    publish_duckdb(con, pending(con), run_id="next", build_started_at=T0 + timedelta(minutes=2))
    assert pending(con) == Touched(frozenset())
    assert _rows(con, "mart.dim_facility") == _rows(con, "mart_build.dim_facility")


@pytest.mark.slow
@pytest.mark.xdist_group("faults")
def test_error_severity_failure_stops_publication(demo_copy: Path) -> None:
    db = demo_copy / "dpc.duckdb"
    with duckdb.connect(str(db)) as con:
        published = {t: _rows(con, f"mart.{t}") for t in ("fct_admissions", "kpi_monthly_facility_mdc")}
        log_rows = con.execute("select count(*) from dq.publish_log").fetchone()[0]
    # a raw row goes missing behind the pipeline's back (raw.efn reads the normalised Parquet): raw no longer
    # matches the load history
    part = next((demo_copy / "lake" / "stage" / "efn").glob("yyyymm=*/facility=*/load=*/part-0.parquet"))
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)
    summary = run_local(lake=demo_copy / "lake", db_path=db, select="source:dpc_raw.efn", docs=False, report=False)
    assert not summary.published and summary.error
    errors = {e["check"] for e in summary.dq["errors"]}
    assert any(name.startswith("dpc_learning_source_row_count_matches_load_history_dpc_raw_efn") for name in errors)
    assert "Published mart: NO — mart left as it was" in format_summary(summary.as_dict())
    with duckdb.connect(str(db), read_only=True) as con:
        assert {t: _rows(con, f"mart.{t}") for t in published} == published
        assert con.execute("select count(*) from dq.publish_log").fetchone()[0] == log_rows


def test_raw_views_read_recorded_loads_follow_their_lake_and_are_not_rewritten_otherwise(tmp_path: Path) -> None:
    """raw.* start as empty placeholders; a normalised file is read only once its load is recorded
    (docs/decisions/0011); a view is re-pointed when the database is used with another lake, and left alone (no
    catalog write) when nothing changed."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_tables(con)
    assert con.execute("select count(*) from raw.efn").fetchone() == (0,)
    placeholder = "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'efn'"
    assert con.execute(placeholder).fetchone() == (1,)
    plan = load.plan_load(
        "131000017",
        202404,
        load_id="load-1",
        manifest_sha256="m1",
        files=[load.LoadedFile("EFn", "EFn_131000017_2404.txt", "", 0, 2, 2, 0, 0)],
        archived_to=None,
        loaded_by="test",
    )

    def lake_with_rows(root: Path, rows: int, load_id: str = "load-1") -> Path:
        target = root / load.current_load_file("efn", "131000017", 202404, load_id)
        target.parent.mkdir(parents=True)
        empty = con.execute("select * from raw.efn limit 0").arrow()
        table = empty.schema.empty_table()
        con.register("empty_efn", table)
        con.execute(
            f"copy (select * replace ('131000017' as facility_code, 202404 as yyyymm) "
            f"from empty_efn right join range({rows}) on true) to '{target}' (format parquet)"
        )
        con.unregister("empty_efn")
        return root

    first, second = lake_with_rows(tmp_path / "a", 2), lake_with_rows(tmp_path / "b", 5)
    ensure_raw_tables(con, first)
    assert con.execute("select count(*) from raw.efn").fetchone() == (0,)  # written, not recorded: not read
    DuckDBExecutor(con, first).load([plan])
    assert con.execute("select count(*) from raw.efn").fetchone() == (2,)
    lake_with_rows(first, 7, "load-2")  # a later version normalised, its load never recorded (a killed run)
    ensure_raw_tables(con, first)
    assert con.execute("select count(*) from raw.efn").fetchone() == (2,)

    def view_oid() -> int:  # a re-created view gets a new oid
        return con.execute(
            "select view_oid from duckdb_views() where schema_name = 'raw' and view_name = 'efn'"
        ).fetchone()[0]

    oid = view_oid()
    ensure_raw_tables(con, first)  # unchanged: the same view, nothing dropped or re-created
    assert view_oid() == oid
    ensure_raw_tables(con, second)  # a copied database used with another lake reads that lake
    assert con.execute("select count(*) from raw.efn").fetchone() == (5,)
    assert view_oid() != oid
