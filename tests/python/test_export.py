"""The local export (dpc.steps.export): partitioned by delivery, and rewriting only what a publication touched.

A publication is simulated on the demo copy the way a re-delivery reaches the mart: mart_build changes for some
facility-months (one emptied, one corrected), publish_duckdb copies them into mart, and the export gets the same
Touched and publish report the pipeline passes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dpc.executors import duckdb_export
from dpc.executors.duckdb import mart_tables, publish_duckdb
from dpc.steps import export, publish

pytestmark = pytest.mark.slow

LINES = "fct_billing_lines"


def _files(lake: Path) -> dict[Path, tuple[int, int, bytes]]:
    """Every exported Parquet file → (inode, mtime_ns, bytes): os.replace gives a rewritten file a new inode."""
    return {p: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in (lake / "processed").rglob("*.parquet")}


def _read(folder: Path) -> str:
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = false)"


def _differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    return con.execute(
        f"select count(*) from ((select * from {left} except all select * from {right}) "
        f"union all (select * from {right} except all select * from {left}))"
    ).fetchone()[0]


def _publish(con: duckdb.DuckDBPyConnection, touched: publish.Touched) -> dict[str, dict[str, object]]:
    return publish_duckdb(con, touched, run_id="test-export")


def test_full_then_incremental_export(demo_copy: Path) -> None:
    lake = demo_copy / "lake"
    lines_dir = lake / "processed" / LINES
    # leftovers a full export must remove: the old single-file layout and a facility-month the mart does not have
    (lines_dir / f"{LINES}.parquet").write_bytes(b"stale")
    ghost = export.partition_path(lines_dir, "999999999", 199901)
    ghost.parent.mkdir(parents=True)
    ghost.write_bytes(b"stale")

    with duckdb.connect(str(demo_copy / "dpc.duckdb")) as con:
        tables = mart_tables(con, publish.PUBLISHED_SCHEMA)
        months = con.execute(f"select distinct facility_code, yyyymm from mart.{LINES} order by all").fetchall()
        assert len(months) >= 4

        # first export: every table, every facility-month, nothing else
        out = duckdb_export.export_duckdb(con, lake)
        assert set(out) == set(tables)
        assert out[LINES] == str(lines_dir)
        for table in tables:
            if table != LINES:
                assert Path(out[table]) == lake / "processed" / table / f"{table}.parquet"
            assert _differences(con, _read(lake / "processed" / table), f"mart.{table}") == 0, table
        partitions = sorted(p.relative_to(lines_dir).as_posix() for p in lines_dir.rglob("*") if p.is_file())
        assert partitions == sorted(f"yyyymm={m}/facility={f}/part-0.parquet" for f, m in months)
        # the partition columns stay inside the files, in the mart's column order
        file_columns = con.execute(f"describe select * from {_read(lines_dir)}").fetchall()
        assert [c[:2] for c in file_columns] == [c[:2] for c in con.execute(f"describe mart.{LINES}").fetchall()]

        # a publication: one facility-month emptied by a corrected delivery, another one corrected
        (emptied_f, emptied_m), (corrected_f, corrected_m) = months[0], months[-1]
        con.execute(f"delete from mart_build.{LINES} where facility_code = ? and yyyymm = ?", [emptied_f, emptied_m])
        changed = con.execute(
            f"update mart_build.{LINES} set act_count = coalesce(act_count, 0) + 1 "
            "where facility_code = ? and yyyymm = ? and billing_line_id in "
            f"(select billing_line_id from mart_build.{LINES} where facility_code = ? and yyyymm = ? "
            "order by billing_line_id limit 5)",
            [corrected_f, corrected_m, corrected_f, corrected_m],
        ).fetchone()[0]
        assert changed == 5
        touched = publish.Touched(frozenset({(emptied_f, emptied_m), (corrected_f, corrected_m)}))
        report = _publish(con, touched)
        # the KPI table did not change in mart_build: the publication replaced nothing there
        assert report["kpi_monthly_facility_mdc"]["mode"] == "kpi" and report["kpi_monthly_facility_mdc"]["keys"] == 0

        before = _files(lake)
        out = duckdb_export.export_duckdb(con, lake, touched, report)
        after = _files(lake)

        emptied = export.partition_path(lines_dir, emptied_f, emptied_m)
        corrected = export.partition_path(lines_dir, corrected_f, corrected_m)
        assert not emptied.exists() and not emptied.parent.exists()
        assert after[corrected][0] != before[corrected][0]
        assert (
            _differences(
                con,
                f"read_parquet('{corrected}', hive_partitioning = false)",
                f"(select * from mart.{LINES} where facility_code = '{corrected_f}' and yyyymm = {corrected_m})",
            )
            == 0
        )
        # the other facility-months' files were left alone, and so was the KPI table nothing was copied into
        for f, m in months[1:-1]:
            part = export.partition_path(lines_dir, f, m)
            assert after[part] == before[part], part
        kpi = lake / "processed" / "kpi_monthly_facility_mdc" / "kpi_monthly_facility_mdc.parquet"
        assert after[kpi] == before[kpi]
        # the stay table was replaced in mart (the touched facilities' stays): rewritten whole
        admissions = lake / "processed" / "fct_admissions" / "fct_admissions.parquet"
        assert after[admissions][0] != before[admissions][0]
        for table in tables:
            assert _differences(con, _read(lake / "processed" / table), f"mart.{table}") == 0, table
        assert not list((lake / "processed").glob(duckdb_export.TMP_PREFIX + "*"))
        assert not [p for p in lines_dir.rglob("*") if p.name.startswith(f"{LINES}.parquet")]


def test_a_publication_not_exported_makes_the_next_export_full(demo_copy: Path) -> None:
    """A run that published and died before exporting: the next export cannot trust its Touched alone."""
    lake = demo_copy / "lake"
    lines_dir = lake / "processed" / LINES
    with duckdb.connect(str(demo_copy / "dpc.duckdb")) as con:
        duckdb_export.export_duckdb(con, lake)
        months = con.execute(f"select distinct facility_code, yyyymm from mart.{LINES} order by all").fetchall()
        (lost_f, lost_m), (next_f, next_m) = months[0], months[-1]

        con.execute(f"delete from mart_build.{LINES} where facility_code = ? and yyyymm = ?", [lost_f, lost_m])
        _publish(con, publish.Touched(frozenset({(lost_f, lost_m)})))  # … and no export

        con.execute(
            f"delete from mart_build.{LINES} where facility_code = ? and yyyymm = ? and billing_line_id in "
            f"(select min(billing_line_id) from mart_build.{LINES} where facility_code = ? and yyyymm = ?)",
            [next_f, next_m, next_f, next_m],
        )
        touched = publish.Touched(frozenset({(next_f, next_m)}))
        before = _files(lake)
        duckdb_export.export_duckdb(con, lake, touched, _publish(con, touched))
        after = _files(lake)

        assert not export.partition_path(lines_dir, lost_f, lost_m).exists()
        assert _differences(con, _read(lines_dir), f"mart.{LINES}") == 0
        # full: every file was rewritten, even those of facility-months neither publication touched
        assert all(after[p][0] != before[p][0] for p in after)

        # the state now names the latest publication: the next export is incremental again
        touched = publish.Touched(frozenset({(next_f, next_m)}))
        before = _files(lake)
        duckdb_export.export_duckdb(con, lake, touched, _publish(con, touched))
        after = _files(lake)
        untouched = export.partition_path(lines_dir, *months[1])
        assert after[untouched] == before[untouched]


def test_a_missing_state_file_makes_the_export_full(demo_copy: Path) -> None:
    lake = demo_copy / "lake"
    with duckdb.connect(str(demo_copy / "dpc.duckdb")) as con:
        duckdb_export.export_duckdb(con, lake)
        (lake / "processed" / duckdb_export.STATE_FILE).unlink()  # e.g. an export killed half-way
        touched = publish.Touched(frozenset())
        before = _files(lake)
        duckdb_export.export_duckdb(con, lake, touched, _publish(con, touched))
        after = _files(lake)
    assert set(after) == set(before)
    assert all(after[p][0] != before[p][0] for p in after)
    assert (lake / "processed" / duckdb_export.STATE_FILE).exists()


def test_partition_path_layout(tmp_path: Path) -> None:
    assert export.partition_path(tmp_path, "131000017", 202404) == (
        tmp_path / "yyyymm=202404" / "facility=131000017" / "part-0.parquet"
    )
    assert export.is_partitioned(LINES) and not export.is_partitioned("fct_admissions")


def test_years_of_deliveries_export_one_file_per_partition(tmp_path: Path) -> None:
    """More facility-months than DuckDB keeps partition files open (partitioned_write_max_open_files, 100), rows
    arriving interleaved and more of them than its flush threshold: a single COPY starts second files for some
    partitions (found by the benchmark at 3 facilities × 36 months)."""
    lake = tmp_path / "lake"
    facilities, months = 3, 40
    with duckdb.connect() as con:
        con.execute("create schema mart")
        con.execute(
            f"create table mart.{LINES} as select printf('%09d', 131000000 + f) as facility_code,"
            " cast(200001 + 100 * (m // 12) + m % 12 as integer) as yyyymm, line"
            f" from range(10000) c(line), range({facilities}) a(f), range({months}) b(m)"  # months interleaved
        )
        out = duckdb_export.export_duckdb(con, lake)
        files = sorted(Path(out[LINES]).rglob("*"))
        files = [p for p in files if p.is_file()]
        expected = con.execute(f"select distinct facility_code, yyyymm from mart.{LINES}").fetchall()
        assert len(expected) == facilities * months > 100
        assert files == sorted(export.partition_path(Path(out[LINES]), f, m) for f, m in expected)
        assert _differences(con, f"mart.{LINES}", _read(Path(out[LINES]))) == 0
