"""Stays and ward-group periods from parent and child 様式1 forms, on the specification's own worked examples.

Each scenario of tests/python/spec_build.py is one facility; the examples are transcribed in
tests/fixtures/spec/examples.yml. The figures asserted here are the ones the pages print (dates) or imply
(days = end − start + 1, docs/decisions/0004).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.python import spec_build as scenarios
from tests.python.conftest import demo_env, environment

pytestmark = pytest.mark.xdist_group("spec_build")


def _rows(db: Path, sql: str, *params: object) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _stays(db: Path, scenario: str) -> list[dict[str, Any]]:
    return _rows(
        db,
        "select * from mart.fct_admissions where facility_code = ? order by admission_date",
        scenarios.facility_of(scenario),
    )


def _periods(db: Path, scenario: str) -> list[tuple[str, date, date, int, str, int]]:
    rows = _rows(
        db,
        "select form_no, period_start_date, period_end_date, period_days, ward_group, form_yyyymm"
        " from stage.int_form1__ward_periods where facility_code = ? order by period_start_date",
        scenarios.facility_of(scenario),
    )
    return [tuple(r.values()) for r in rows]  # type: ignore[misc]


def test_every_example_delivery_loads_and_publishes(spec_build: Path) -> None:
    summary = json.loads((spec_build / "summary.json").read_text(encoding="utf-8"))
    assert summary["published"], summary["error"]
    assert [d for d in summary["deliveries"] if d["status"] != "loaded"] == []
    assert summary["dbt"]["failed"] == []
    # the examples' DPC codes exist only in the 2018 table: a warning, never a rejection (D's points are the truth)
    assert {w["check"] for w in summary["dq"]["warnings"]} == {"warn_dpc_codes_not_in_table"}


def test_p040_transfer_is_one_stay_with_three_periods(spec_build: Path) -> None:
    """p40: 4/1 一般, 4/10 療養, 4/20 一般 again, 4/30 discharged: parent 0 and children 1–3 in one delivery."""
    db = spec_build / "dpc.duckdb"
    (stay,) = _stays(db, "p040_transfer")
    assert (stay["admission_date"], stay["discharge_date"], stay["los_days"]) == (
        date(2025, 4, 1),
        date(2025, 4, 30),
        30,
    )
    assert stay["has_parent_form"] and stay["is_discharged"]
    assert stay["admission_route_code"] == "1"  # the parent form's route at admission, not a child's 0 (p43)
    assert stay["discharge_destination_code"] == "1"  # the parent's, not a child's 0 (p50)
    assert _periods(db, "p040_transfer") == [
        ("1", date(2025, 4, 1), date(2025, 4, 9), 9, "general", 202504),
        ("2", date(2025, 4, 10), date(2025, 4, 19), 10, "other", 202504),
        ("3", date(2025, 4, 20), date(2025, 4, 30), 11, "general", 202504),
    ]
    assert (stay["ward_period_count"], stay["dpc_los_days"]) == (3, 9 + 11)


def test_p048_child_form_in_april_parent_in_may(spec_build: Path) -> None:
    """p48 例1 (p55): 4/15 一般, 4/28 療養, 5/10 discharged; child 1 delivered for April, the parent and child 2 for May."""
    db = spec_build / "dpc.duckdb"
    (stay,) = _stays(db, "p048_ex1")
    assert (stay["admission_date"], stay["discharge_date"], stay["los_days"]) == (
        date(2025, 4, 15),
        date(2025, 5, 10),
        26,
    )
    assert stay["discharge_yyyymm"] == 202505
    assert _periods(db, "p048_ex1") == [
        ("1", date(2025, 4, 15), date(2025, 4, 27), 13, "general", 202504),
        ("2", date(2025, 4, 28), date(2025, 5, 10), 13, "other", 202505),
    ]
    assert stay["dpc_los_days"] == 13


def test_p048_example_2_returns_to_the_general_ward(spec_build: Path) -> None:
    """p48 例2 (p55, p119): 4/15 一般, 4/28 療養, 5/10 一般 again, 5/20 discharged."""
    db = spec_build / "dpc.duckdb"
    (stay,) = _stays(db, "p048_ex2")
    assert (stay["los_days"], stay["ward_period_count"], stay["dpc_los_days"]) == (36, 3, 13 + 11)
    assert [p[4] for p in _periods(db, "p048_ex2")] == ["general", "other", "general"]


def test_p051_stay_spanning_march_and_april(spec_build: Path) -> None:
    """p51: 3/10 一般, 3/20 療養, 4/15 discharged; child 1 delivered for March."""
    db = spec_build / "dpc.duckdb"
    (stay,) = _stays(db, "p051")
    assert (stay["los_days"], stay["dpc_los_days"], stay["discharge_yyyymm"]) == (37, 10, 202504)
    assert [p[5] for p in _periods(db, "p051")] == [202503, 202504]


def test_p125_serial_readmission_is_two_stays_of_one_episode(spec_build: Path) -> None:
    """p125 パターン9: 4/1–4/10 and 4/12–4/20 with the aggregate form A (4/1–4/20): each admission is a stay (its
    own parent form, its own D rows by 入院年月日, p195), tied into one 一連 episode (docs/decisions/0004)."""
    db = spec_build / "dpc.duckdb"
    first, second = _stays(db, "p125_pattern9")
    assert (first["los_days"], second["los_days"]) == (10, 9)
    assert not first["is_serial_readmission"] and second["is_serial_readmission"]
    assert first["serial_episode_stay_id"] == second["serial_episode_stay_id"] == first["stay_id"]
    # the aggregate form is not a third stay
    discharges = _rows(
        db,
        "select sum(discharges) as n from internal.int_kpi__monthly_facility_mdc where facility_code = ?",
        scenarios.facility_of("p125_pattern9"),
    )
    assert discharges[0]["n"] == 2


def test_a_stay_billed_before_its_form_is_carried_not_discharged(spec_build: Path) -> None:
    """p214–215: the D rows of a stay whose 様式1 is not in the data: the stay exists, is not discharged, and is left
    out of discharge-based KPIs (docs/decisions/0004)."""
    db = spec_build / "dpc.duckdb"
    (stay,) = _stays(db, "p215_receipts")
    assert stay["admission_date"] == date(2025, 6, 29)
    assert not stay["has_form1"] and not stay["is_discharged"] and stay["los_days"] is None
    # its billed points are the receipts' (p214–216: docs/decisions/0007, tests/python/test_points.py)
    assert (stay["billed_points"], stay["meal_yen"]) == (88073, 14080)


def test_a_later_delivery_replaces_only_the_forms_it_contains(spec_build: Path, tmp_path: Path) -> None:
    """Re-deliver p48 例1's April with child form 1 corrected (its end moved a day): the May parent and child 2 stay
    as they were, child 1 is the corrected one."""
    root = tmp_path / "redeliver"
    shutil.copytree(spec_build, root, ignore=shutil.ignore_patterns("target", "logs"))
    facility_code = scenarios.facility_of("p048_ex1")
    april = root / "lake" / "raw" / "yyyymm=202504" / f"facility={facility_code}"
    name = f"FF1_{facility_code}_2504.txt"
    text = (april / name).read_bytes().decode("cp932")
    assert "20250427" in text
    (april / name).write_bytes(text.replace("20250427", "20250426").encode("cp932"))
    from dpc.manifest import write_manifest
    from dpc.pipeline import run_local

    write_manifest(april, created_by="test_stays")
    with environment(**demo_env(root)):
        summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", docs=False, report=False)
    assert summary.published, summary.error
    outcomes = {(d.facility_code, d.yyyymm): d.status for d in summary.deliveries}
    assert outcomes[(facility_code, 202504)] == "loaded"
    periods = _periods(root / "dpc.duckdb", "p048_ex1")
    assert periods == [
        ("1", date(2025, 4, 15), date(2025, 4, 26), 12, "general", 202504),
        ("2", date(2025, 4, 28), date(2025, 5, 10), 13, "other", 202505),
    ]
    (stay,) = _stays(root / "dpc.duckdb", "p048_ex1")
    assert (stay["discharge_date"], stay["dpc_los_days"]) == (date(2025, 5, 10), 12)
