"""Incremental runs give exactly what a full build gives (docs/decisions/0005).

One scenario, built once for the module on DuckDB (dbt really runs):

1. two months (2 facilities × 202404–202405) loaded and built from scratch;
2. the third month (202406) loaded and built incrementally, with the deliveries passed the way the pipeline
   passes them (``DPC_DELIVERIES``, read as the dbt var ``deliveries``);
3. a corrected re-delivery of one facility's 202406 that drops a stay — a readmission of a patient discharged
   in May, so the May KPIs change although May was not re-delivered — built incrementally with ``dbt build``
   (every dbt test runs on the incremental state).

Checked row for row: after step 2, the mart and stay-level tables equal the demo's full build of the same three
months; after step 3, they equal a ``--full-refresh`` of the same data.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dpc.layouts import LAYOUTS, kind_for_filename
from dpc.manifest import MANIFEST_NAME, has_title_row, write_manifest
from dpc.pipeline import RunSummary, rebuild, run_local
from dpc.pseudonymise import load_key
from dpc.pseudonymise import patient_key as patient_key_of
from dpc.steps import transform
from tests.python.conftest import delivered_files, demo_env, environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]

# what a full build and an incremental run must agree on: every published table and every stay-level table
COMPARED_STAGE = (
    "stg_dpc__ff1",
    "stg_dpc__efn",
    "stg_dpc__d",
    "stg_dpc__h",
    "int_form1__stays",
    "int_form1__diagnoses",
    "int_form1__procedures",
    "int_d__stay_points",
    "int_efn__stay_ffs",
    "int_stays__assembled",
    "int_stays__readmission_pairs",
    "int_stays__readmission_flags",
)
COMPARED_INTERNAL = ("int_kpi__monthly_facility_mdc",)
# differ between two loads of the same files by design
LOAD_COLUMNS = {"load_id", "loaded_at"}


@dataclass
class Scenario:
    root: Path
    after_month: Path  # DuckDB file after step 2
    after_redelivery: Path  # after step 3 (incremental)
    full_refresh: Path  # step 3's data, --full-refresh
    redelivered: tuple[str, int]
    dropped_stay_id: str
    index_stay_id: str
    runs: dict[str, RunSummary]
    compiled: dict[str, dict[str, str]]  # step → model → the SQL dbt ran


def _copy_month(src_lake: Path, dst_lake: Path, yyyymm: int) -> None:
    """A month's deliveries as the hospitals delivered them (with the K files the demo's normaliser deleted)."""
    for src in sorted((src_lake / "raw" / f"yyyymm={yyyymm}").glob("facility=*")):
        dst = dst_lake / "raw" / f"yyyymm={yyyymm}" / src.name
        dst.mkdir(parents=True)
        for name, data in delivered_files(src_lake.parent, src).items():
            (dst / name).write_bytes(data)


def _run(root: Path) -> tuple[RunSummary, dict[str, str]]:
    """One pipeline run (ingest → dbt build with the pending deliveries → DQ → publish), and the SQL of each model."""
    summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", docs=False, report=False)
    assert summary.ok, (summary.error, summary.dbt.get("failed"))
    results = json.loads((root / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    compiled = {
        r["unique_id"].split(".")[-1]: r.get("compiled_code") or ""
        for r in results
        if r["unique_id"].startswith("model.")
    }
    # what dbt executed for each model (an incremental model's delete+insert lives here, not in compiled_code)
    for path in (root / "target" / "run").rglob("*.sql"):
        compiled.setdefault(f"run:{path.stem}", path.read_text(encoding="utf-8"))
    return summary, compiled


def _readmission_to_drop(db: Path, yyyymm: int) -> tuple[str, str, str, str, str]:
    """A stay first delivered in `yyyymm` that is the 30-day readmission of a stay discharged the month before:
    (facility, patient_key, admission date yyyymmdd, readmission stay_id, index stay_id)."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            """
            select s.facility_code, s.patient_key, strftime(s.admission_date, '%Y%m%d'), p.readmission_stay_id,
                p.index_stay_id
            from stage.int_stays__readmission_pairs as p
            inner join stage.int_stays__assembled as s on p.readmission_stay_id = s.stay_id
            inner join stage.int_stays__assembled as i on p.index_stay_id = i.stay_id
            where p.gap_days <= 30
                and year(i.discharge_date) * 100 + month(i.discharge_date) = ?
                and s.stay_id not in (
                    select stay_id from stage.int_stays__delivery_versions where yyyymm < ?
                )
                -- the index stay has no other readmission, so dropping this one changes its flag
                and p.index_stay_id in (
                    select index_stay_id from stage.int_stays__readmission_pairs
                    where gap_days <= 30 group by index_stay_id having count(*) = 1
                )
            order by p.readmission_stay_id
            limit 1
            """,
            [yyyymm - 1, yyyymm],
        ).fetchone()
    assert row, "the demo data has no readmission delivered in a later month"
    return row


def _drop_stay(delivery_dir: Path, patient_key: str, admission_yyyymmdd: str, delivered: dict[str, bytes]) -> int:
    """Rewrite a delivery without the rows of one stay (every file kind with an 入院年月日; 外来EF rows belong to
    visits) and re-write its manifest, as a hospital's corrected re-delivery would: from the files as delivered
    (``delivered``: with the K file the normaliser deleted after reading it). Returns the rows removed."""
    key = load_key()
    removed = 0
    for name, data in sorted(delivered.items()):
        kind = kind_for_filename(name)
        if name == MANIFEST_NAME or kind is None:
            continue
        layout = LAYOUTS[kind]
        lines = data.split(b"\r\n")
        if "admission_date" not in layout.names:
            (delivery_dir / name).write_bytes(data)
            continue
        i_id, i_adm = layout.names.index("data_id"), layout.names.index("admission_date")
        title = 1 if lines and has_title_row(lines[0]) else 0
        kept = lines[:title]
        for line in lines[title:]:
            fields = line.decode("cp932").split(layout.delimiter)
            if (
                len(fields) > i_adm
                and fields[i_adm] == admission_yyyymmdd
                and patient_key_of(fields[0], fields[i_id], key) == patient_key
            ):
                removed += 1
                continue
            kept.append(line)
        (delivery_dir / name).write_bytes(b"\r\n".join(kept))
    (delivery_dir / MANIFEST_NAME).unlink()
    write_manifest(delivery_dir)
    return removed


@pytest.fixture(scope="module")
def scenario(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("incremental")
    lake, db = root / "lake", root / "dpc.duckdb"
    runs: dict[str, RunSummary] = {}
    compiled: dict[str, dict[str, str]] = {}
    with environment(**demo_env(root)):
        # 1. two months, built from scratch and published
        for yyyymm in (202404, 202405):
            _copy_month(demo_build / "lake", lake, yyyymm)
        runs["two_months"], compiled["two_months"] = _run(root)
        # 2. the third month: the pipeline passes its two deliveries, dbt builds incrementally
        _copy_month(demo_build / "lake", lake, 202406)
        runs["third_month"], compiled["third_month"] = _run(root)
        after_month = root / "after_month.duckdb"
        shutil.copy2(db, after_month)
        # 3. a corrected re-delivery of 202406 for one facility, without one readmission stay
        facility, patient_key, admission, dropped, index_stay = _readmission_to_drop(db, 202406)
        folder = f"yyyymm=202406/facility={facility}"
        delivered = delivered_files(demo_build, demo_build / "lake" / "raw" / folder)
        assert _drop_stay(lake / "raw" / folder, patient_key, admission, delivered) > 0
        runs["redelivery"], compiled["redelivery"] = _run(root)
        after_redelivery = root / "after_redelivery.duckdb"
        shutil.copy2(db, after_redelivery)
        # the same data built from scratch, the way a corrupt warehouse is recovered (issue 25, dpc/recovery.py): the
        # file is broken, then rebuilt from the lake — every model built, every table published whole — without the
        # data tests (the data passed them above), which keeps this no slower than the plain full build it replaces
        full_refresh = root / "full_refresh.duckdb"
        shutil.copy2(db, full_refresh)
        with open(full_refresh, "r+b") as broken:
            broken.seek(4096)
            broken.write(bytes(range(256)) * 16)
        runs["rebuild"], moved = rebuild(lake=lake, db_path=full_refresh, docs=False, report=False, data_tests=False)
        assert runs["rebuild"].ok and runs["rebuild"].published, (runs["rebuild"].error, runs["rebuild"].dbt)
        assert moved is not None and moved.name.startswith("full_refresh.duckdb.corrupt-")
    yield Scenario(
        root, after_month, after_redelivery, full_refresh, (facility, 202406), dropped, index_stay, runs, compiled
    )


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by 1",
            [schema],
        ).fetchall()
    ]


def _differences(
    left: Path, right: Path, tables: list[tuple[str, str]], right_schema: str | None = None, *, exact: bool = False
) -> dict[str, tuple[int, int]]:
    """Per table, rows only in left and only in right (doubles rounded to 9 decimals unless `exact`, load lineage
    ignored). The right-hand table is in the same schema, or in `right_schema`."""
    out: dict[str, tuple[int, int]] = {}
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [schema, table],
            ).fetchall()
            assert columns, f"{schema}.{table} is missing"
            exprs = [
                f'round("{c}", 9) as "{c}"' if t in ("DOUBLE", "FLOAT") and not exact else f'"{c}"'
                for c, t in columns
                if c not in LOAD_COLUMNS
            ]
            select = ", ".join(exprs)
            mine = f'"{schema}"."{table}"'
            theirs = f'other."{right_schema or schema}"."{table}"'
            only_left = con.execute(
                f"select count(*) from (select {select} from {mine} except all select {select} from {theirs})"
            ).fetchone()[0]
            only_right = con.execute(
                f"select count(*) from (select {select} from {theirs} except all select {select} from {mine})"
            ).fetchone()[0]
            if only_left or only_right:
                out[f"{schema}.{table}"] = (only_left, only_right)
    return out


def _compared(db: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        mart = _tables(con, "mart_build")
    assert {"fct_admissions", "fct_billing_lines", "kpi_monthly_facility_mdc"} <= set(mart)
    return (
        [("mart_build", t) for t in mart]
        + [("stage", t) for t in COMPARED_STAGE]
        + [("internal", t) for t in COMPARED_INTERNAL]
    )


def test_month_added_incrementally_equals_the_full_build(scenario: Scenario, demo_build: Path) -> None:
    """To the last bit (issue 25): the demo's full build and this module's build of the same three months (two
    months, then one incrementally: other threads, other orders) agree with doubles unrounded — every mart table, the
    stay-level tables and the unsuppressed internal KPI table. Floating sums whose order varied with DuckDB's threads
    are exact decimal sums (macros/indicators.sql: exact_sum, indicator_mean)."""
    run = scenario.runs["third_month"]
    assert [d.status for d in run.deliveries].count("loaded") == 2
    compared = _compared(scenario.after_month)
    assert _differences(scenario.after_month, demo_build / "dpc.duckdb", compared, exact=True) == {}
    # and what the publish step copied into mart equals the full build
    published = [("mart", table) for schema, table in _compared(scenario.after_month) if schema == "mart_build"]
    assert _differences(scenario.after_month, demo_build / "dpc.duckdb", published, "mart_build") == {}


def test_a_corrupt_warehouse_rebuilt_from_the_lake_keeps_its_history(scenario: Scenario) -> None:
    """`dpc rebuild` (dpc/recovery.py) on a broken copy of the warehouse: the same published mart, the same load
    history, the publish log kept with the rebuild's publication added."""
    published = [("mart", t) for schema, t in _compared(scenario.full_refresh) if schema == "mart_build"]
    assert _differences(scenario.after_redelivery, scenario.full_refresh, published, exact=True) == {}
    with duckdb.connect(str(scenario.full_refresh), read_only=True) as con:
        con.execute(f"attach '{scenario.after_redelivery}' as before (read_only)")
        for table in ("load_history", "publish_log"):
            kept = con.execute(
                f"select count(*) from (select * from before.dq.{table} except all select * from dq.{table})"
            ).fetchone()
            assert kept == (0,), f"dq.{table}: rows of the corrupt warehouse's history lost"
        added = con.execute(
            "select count(*) from (select * from dq.publish_log except all select * from before.dq.publish_log)"
        ).fetchone()
        assert added == (1,)  # the rebuild's own publication, complete and whole
        assert con.execute("select count(*) from before.dq.load_history").fetchone()[0] > 0
    rebuilt = scenario.runs["rebuild"]
    assert {d.status for d in rebuilt.deliveries} == {"unchanged"}  # nothing normalised again: the lake's loads
    assert rebuilt.publication["touched"] is None  # every table published whole


def test_runs_after_the_first_were_incremental(scenario: Scenario) -> None:
    """The first build is a full one; later runs compiled the incremental branch with the pending deliveries."""
    first = scenario.compiled["two_months"]
    assert "(yyyymm = " not in first["stg_dpc__efn"]
    assert "touched.stay_id from" not in first["fct_admissions"]
    month = scenario.compiled["third_month"]
    assert "(yyyymm = 202406 and facility_code in (" in month["stg_dpc__efn"]
    assert "yyyymm = 202405" not in month["stg_dpc__efn"]
    # DuckDB's delete half of delete+insert: a semi-join on the distinct keys (macros/engines/delete_insert.sql),
    # not dbt-duckdb's `delete … using`, which joins every target row with every new row of its key
    executed = " ".join(month["run:fct_billing_lines"].split())
    assert "where (facility_code, yyyymm) in ( select distinct facility_code, yyyymm from" in executed
    assert " using " not in executed
    facility, _ = scenario.redelivered
    again = scenario.compiled["redelivery"]
    assert f"(yyyymm = 202406 and facility_code in ('{facility}'))" in again["fct_billing_lines"]
    for step in ("third_month", "redelivery"):
        for model in ("int_form1__stays", "int_stays__readmission_flags", "fct_admissions"):
            assert "touched.stay_id from" in scenario.compiled[step][model], (step, model)
        # the published KPIs rebuild every month of a touched facility: complementary suppression depends on them
        # (docs/decisions/0020)
        kpi = scenario.compiled[step]["kpi_monthly_facility_mdc"]
        assert "touched.facility_code from" in kpi and "touched.discharge_yyyymm" not in kpi, step


def test_redelivery_incremental_equals_full_refresh(scenario: Scenario) -> None:
    run = scenario.runs["redelivery"]
    statuses = {(d.facility_code, d.yyyymm): d.status for d in run.deliveries}
    assert statuses.pop(scenario.redelivered) == "loaded"
    assert set(statuses.values()) == {"unchanged"}
    compared = _compared(scenario.full_refresh)
    assert _differences(scenario.after_redelivery, scenario.full_refresh, compared) == {}
    # and what the publish step copied into mart equals the full build
    published = [("mart", table) for schema, table in compared if schema == "mart_build"]
    assert _differences(scenario.after_redelivery, scenario.full_refresh, published, "mart_build") == {}
    # every dbt test passed on the incremental state
    counts = run.dbt["counts"]
    assert counts["test"].get("pass", 0) > 100
    assert {k for k, v in counts["test"].items() if v} <= {"pass", "warn"}


def test_redelivery_removed_the_dropped_stay_and_changed_the_earlier_month(scenario: Scenario) -> None:
    facility, _ = scenario.redelivered
    with duckdb.connect(str(scenario.after_redelivery), read_only=True) as con:
        con.execute(f"attach '{scenario.after_month}' as before (read_only)")
        stays = "select count(*) from {}.fct_admissions where stay_id = ?"
        assert con.execute(stays.format("before.mart_build"), [scenario.dropped_stay_id]).fetchone()[0] == 1
        assert con.execute(stays.format("mart_build"), [scenario.dropped_stay_id]).fetchone()[0] == 0
        flag = "select is_readmitted_30d from {}.fct_admissions where stay_id = ?"
        assert con.execute(flag.format("before.mart_build"), [scenario.index_stay_id]).fetchone()[0] is True
        assert con.execute(flag.format("mart_build"), [scenario.index_stay_id]).fetchone()[0] is False
        # the index stay's discharge month (May) is a touched KPI month although May was not re-delivered
        touched_months = {
            r[0]
            for r in con.execute(
                "select discharge_yyyymm from stage.int_run__touched_kpi_months where facility_code = ?", [facility]
            ).fetchall()
        }
        assert 202405 in touched_months
        readmissions = (
            "select sum(readmissions_30d) from {}.int_kpi__monthly_facility_mdc "
            "where facility_code = ? and discharge_yyyymm = 202405"
        )
        assert (
            con.execute(readmissions.format("internal"), [facility]).fetchone()[0]
            == con.execute(readmissions.format("before.internal"), [facility]).fetchone()[0] - 1
        )
        # the run touched exactly the re-delivered facility-month; the other facility's rows are the same rows
        assert con.execute("select * from stage.int_run__touched_deliveries").fetchall() == [scenario.redelivered]
        other = "select count(*), sum(hash(billing_line_id)) from {}.fct_billing_lines where facility_code <> ?"
        assert (
            con.execute(other.format("mart_build"), [facility]).fetchone()
            == con.execute(other.format("before.mart_build"), [facility]).fetchone()
        )


def test_delivery_versions_keep_the_previous_load(scenario: Scenario) -> None:
    """The incremental state remembers the stay the re-delivery dropped (in the previous load); a full
    refresh, which has nothing to remember, keeps only the current loads."""
    facility, yyyymm = scenario.redelivered
    query = (
        "select count(distinct load_id), count(*) filter (where stay_id = ?) from stage.int_stays__delivery_versions "
        "where facility_code = ? and yyyymm = ?"
    )
    args = [scenario.dropped_stay_id, facility, yyyymm]
    with duckdb.connect(str(scenario.after_redelivery), read_only=True) as con:
        assert con.execute(query, args).fetchone() == (2, 1)
    with duckdb.connect(str(scenario.full_refresh), read_only=True) as con:
        assert con.execute(query, args).fetchone() == (1, 0)


def test_row_level_tests_read_the_runs_deliveries_only(scenario: Scenario, tmp_path: Path) -> None:
    """A null in a delivery the run did not touch is not re-checked by a scoped run (its rows were tested when
    built); the same null in a touched delivery, or in any delivery on a full run, fails the test."""
    db = tmp_path / "dpc.duckdb"
    shutil.copy2(scenario.after_redelivery, db)
    untouched, touched = ("131000017", 202404), ("271000023", 202405)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update stage.stg_dpc__efn set stay_id = null where billing_line_id = (select min(billing_line_id) "
            "from stage.stg_dpc__efn where facility_code = ? and yyyymm = ?)",
            list(untouched),
        )

    def not_null_failures(deliveries: list[tuple[str, int]] | None) -> int:
        env = {"DPC_DELIVERIES": json.dumps([{"facility_code": f, "yyyymm": m} for f, m in deliveries or []])}
        if deliveries is None:
            env["DPC_DELIVERIES"] = ""  # every delivery
        with environment(**demo_env(scenario.root)):
            outcome = transform.run_dbt(
                ["test", "--select", "stg_dpc__efn,test_name:not_null_columns"],
                duckdb_path=db,
                quiet=True,
                extra_env=env,
            )
        [node] = [n for n in outcome.nodes if n.resource_type == "test"]
        assert node.unique_id.startswith("test.dpc_learning.dpc_learning_not_null_columns_stg_dpc__efn")
        return int(node.failures or 0)

    assert not_null_failures([touched]) == 0
    assert not_null_failures([untouched, touched]) == 1
    assert not_null_failures(None) == 1
