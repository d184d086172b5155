"""The benchmark's correctness half (issue 3): the hand-written floor (bench/floor.sql) reads the demo's raw
files and must reproduce the pipeline's fct_admissions and unsuppressed monthly KPIs row for row.
No timings here: figures come from `make bench`."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.floor import compare, run_floor
from bench.run import correct_delivery
from dpc.duck import DEFAULT_MEMORY_LIMIT, DEFAULT_THREADS, connect
from dpc.paths import PROJECT_DIR
from tests.python.conftest import TEST_KEY, environment


@pytest.fixture(scope="module")
def floor_db(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    run_floor(demo_build / "lake", db)
    return db


@pytest.mark.slow
def test_floor_equals_mart_row_for_row(demo_build: Path, floor_db: Path) -> None:
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        stays = con.execute("select count(*) from mart.fct_admissions").fetchone()[0]
        kpis = con.execute("select count(*) from internal.int_kpi__monthly_facility_mdc").fetchone()[0]
    assert stays > 100 and kpis > 10  # the demo has data; an empty floor would not pass by accident
    admissions, kpi = compare(demo_build / "dpc.duckdb", floor_db, TEST_KEY.encode())
    assert admissions.equal, admissions.as_dict()
    assert kpi.equal, kpi.as_dict()
    assert (admissions.floor_rows, kpi.floor_rows) == (stays, kpis)


@pytest.mark.slow
def test_the_demo_exercises_what_the_floor_mirrors(demo_build: Path, floor_db: Path) -> None:
    """Row-for-row equality means something only if the demo has the cases the floor's rules are for: stays
    with child 様式1 forms (ward-group periods), 一連 readmissions (aggregate forms), stays known from their claim
    rows alone, 94 調整点数, the literal NULL in D and EF, birth dates with day 00,
    外来EF files the floor must leave alone, and no K file (the pipeline deleted it; the floor never needs it)."""
    raw = demo_build / "lake" / "raw"
    assert list(raw.glob("*/*/EFg_*.txt")) and not list(raw.glob("*/*/K*_*"))
    for prefix in ("Dn_", "EFn_"):
        text = b"".join(p.read_bytes() for p in raw.glob(f"*/*/{prefix}*.txt"))
        assert b"\tNULL\t" in text or b"\tNull\t" in text or b"\tnull\t" in text, prefix
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        stays = con.execute(
            "select count(*) filter (where ward_period_count > 1), count(*) filter (where is_serial_readmission),"
            " count(*) filter (where not has_form1) from mart.fct_admissions"
        ).fetchone()
    assert all(n > 0 for n in stays), stays
    with duckdb.connect(str(floor_db), read_only=True) as con:
        adjusted = con.execute("select count(*) from floor_admissions where adjustment_points <> 0").fetchone()[0]
    assert adjusted > 0
    birth_day_00 = sum(
        line.split(b"\t")[8].endswith(b"00")
        for p in raw.glob("*/*/FF1_*.txt")
        for line in p.read_bytes().split(b"\r\n")
        if b"\tA000010\t" in line
    )
    assert birth_day_00 > 0


@pytest.mark.slow
def test_comparison_reports_a_differing_value_and_a_missing_row(
    demo_build: Path, floor_db: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.duckdb"
    changed.write_bytes(floor_db.read_bytes())
    with duckdb.connect(str(changed)) as con:
        con.execute(
            "update floor_admissions set billed_points = billed_points + 1 "
            "where rowid = (select min(rowid) from floor_admissions)"
        )
        con.execute("delete from floor_kpi where rowid = (select min(rowid) from floor_kpi)")
    admissions, kpi = compare(demo_build / "dpc.duckdb", changed, TEST_KEY.encode())
    assert not admissions.equal and admissions.column_mismatches == {"billed_points": 1}
    assert not kpi.equal and (kpi.only_in_pipeline, kpi.only_in_floor) == (1, 0)


@pytest.mark.slow
def test_a_wrong_key_maps_no_stay(demo_build: Path, floor_db: Path) -> None:
    admissions, _ = compare(demo_build / "dpc.duckdb", floor_db, b"another-key")
    assert admissions.only_in_pipeline == admissions.pipeline_rows


def test_corrected_redelivery_is_valid_and_withdraws_one_stay(tmp_path: Path) -> None:
    from dpc.generate import generate
    from dpc.steps.validate import validate_delivery
    from dpc.storage import LocalStorage

    (delivery,) = generate(tmp_path / "lake", seed=3, facilities=1, months=1, admissions_per_month=20)
    before = dict(delivery.manifest["files"][0])
    facts = correct_delivery(delivery.path)
    assert facts["rows_removed"]["FF1"] > 0 and facts["rows_removed"]["EFn"] > 0 and facts["rows_removed"]["D"] > 0
    report = validate_delivery(LocalStorage(tmp_path / "lake"), delivery.facility_code, delivery.yyyymm)
    assert report.ok, report.findings
    assert report.manifest is not None and report.manifest["files"][0]["sha256"] != before["sha256"]


def test_duck_connections_honour_the_resource_variables() -> None:
    with environment(DPC_DUCKDB_THREADS="1", DPC_DUCKDB_MEMORY_LIMIT="512MB"), connect() as con:
        threads, memory = con.execute("select current_setting('threads'), current_setting('memory_limit')").fetchone()
    assert (threads, memory) == (1, "488.2 MiB")  # 512 MB as DuckDB reports it


def test_dbt_and_the_pipeline_default_to_the_same_duckdb_resources() -> None:
    """dbt reads the defaults from the profile, the pipeline's own connections from dpc.duck: one budget."""
    profile = (PROJECT_DIR / "profiles" / "profiles.yml").read_text(encoding="utf-8")
    assert f"env_var('DPC_DUCKDB_MEMORY_LIMIT', '{DEFAULT_MEMORY_LIMIT}')" in profile
    assert f"env_var('DPC_DUCKDB_THREADS', '{DEFAULT_THREADS}')" in profile
