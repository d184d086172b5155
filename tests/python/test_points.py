"""Billed points as the receipt computes them (docs/decisions/0007), on the specification's worked examples run
through the whole local pipeline (the session fixture ``spec_build``: normalise → load → dbt build on DuckDB).

- p214–p215 (scenario ``p215_receipts``, D deliveries of June and July 2025): the July receipt of p214 bills the
  bundled part per claim month, Σ per-diem points × 医療機関別係数 rounded once: June 2,753 × 2 = 5,506 × 1.1234 =
  6,185.44 → 6,185; July (2,782 × 7 + 2,057) = 21,531 × 1.1234 = 24,187.93 → 24,188; the 94 row adds the June
  adjustment 6,251 − 6,185 = +66. Fee-for-service: 21 メネシット 4 × 14 = 56 (its 行為薬剤料 4 is a re-statement
  inside 行為点数, p199), 50 脳切除術 35,150, 60 組織診断料 400, 70 画像診断管理加算 70, 90 外泊 197 × 2 = 394, 92
  特定集中治療室管理料 7,188 × 3 = 21,564: 57,634. Total 6,185 + 24,188 + 66 + 57,634 = 88,073 points. Meals (97,
  円・点区分 1, p194) are yen: ¥1,920 × 7 + ¥640 = ¥14,080, never points.
- p233–p236 (scenario ``p233_236_ef``): per act, the 出来高実績点数 of its items with 入院料包括項目区分 ② = 0,
  持参薬区分 ③ = 0 and ⑥ = 0 add up to its 行為点数 (p187; ③ because a 持参薬's 行為点数 is 0, p191) — except 92 0003,
  printed 15 against 3 (p236; examples.yml keeps it). EF as billed Σ 行為点数 × 行為回数 = 132,974; 出来高換算
  Σ 出来高実績点数 × 行為回数 = 143,227 (the 持参薬 21 0008, 2 × 20 = 40, left out; 10,265 of items bundled into
  救命救急入院料 etc. (② = 1) kept).

The stays of these scenarios have no 様式1, so they are not in the mart's fct_admissions: the assertions read the
internal models in the DuckDB file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.python.spec_build import facility_of

pytestmark = pytest.mark.usefixtures("spec_build")


def _schema_of(con: duckdb.DuckDBPyConnection, table: str) -> str:
    rows = con.execute(
        "select table_schema from information_schema.tables where table_name = ? order by table_schema", [table]
    ).fetchall()
    # mart_build and mart hold the same published tables; any one will do, the first is taken
    assert rows, f"{table} is not in the warehouse"
    return rows[0][0]


def _query(spec_build: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    con = duckdb.connect(str(spec_build / "dpc.duckdb"), read_only=True)
    try:
        names = ("stg_dpc__d", "stg_dpc__efn", "int_d__stay_points", "int_efn__stay_ffs", "fct_billing_lines")
        for name in names:
            sql = sql.replace("{" + name + "}", f'"{_schema_of(con, name)}".{name}')
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def p215_stay(spec_build: Path) -> dict[str, Any]:
    rows = _query(
        spec_build,
        "select * from {int_d__stay_points} where stay_id in "
        "(select stay_id from {stg_dpc__d} where facility_code = ?)",
        [facility_of("p215_receipts")],
    )
    assert len(rows) == 1, rows  # one patient, one stay (入院 2025-06-29), two deliveries
    return rows[0]


def test_p215_bundled_part_rounds_each_claim_month_once(p215_stay: dict[str, Any]) -> None:
    # p214: 6月 5,506 × 1.1234 → 6,185; 7月 (19,474 + 2,057) × 1.1234 → 24,188 (not Σ round(2,782 × 1.1234) per day)
    assert p215_stay["bundled_base_points"] == 5506 + 19474 + 2057
    assert p215_stay["bundled_points"] == 6185 + 24188
    assert p215_stay["bundled_days"] == 2 + 8


def test_p215_adjustment_row_is_added_as_it_is(p215_stay: dict[str, Any]) -> None:
    assert p215_stay["adjustment_points"] == 66  # p215 94 row: 6,251 − 6,185, already after the coefficient


def test_p215_fee_for_service_is_act_points_times_count(p215_stay: dict[str, Any]) -> None:
    # 行為薬剤料 4 of the メネシット row is inside its 行為点数 4 (p199 D-12 再掲): 4 × 14, not (4 + 4) × 14
    assert p215_stay["ffs_billed_points"] == 56 + 35150 + 400 + 70 + 197 * 2 + 7188 * 3 == 57634


def test_p215_total_and_meals_in_yen(p215_stay: dict[str, Any]) -> None:
    assert p215_stay["billed_points"] == 6185 + 24188 + 66 + 57634 == 88073
    assert p215_stay["meal_yen"] == 1920 * 7 + 640 == 14080  # 97 rows, 円・点区分 1 (p194 D-14)
    assert p215_stay["dpc_code"] == "010010XX01X00X"  # the latest 93 row's code (the discharge revision, p214)


def test_p215_stage_rows_carry_points_before_the_coefficient_and_yen_apart(spec_build: Path) -> None:
    rows = _query(
        spec_build,
        "select yyyymm, data_category, sum(row_points) as points, sum(yen_amount) as yen, count(*) as n "
        "from {stg_dpc__d} where facility_code = ? group by 1, 2 order by 1, 2",
        [facility_of("p215_receipts")],
    )
    got = {(r["yyyymm"], r["data_category"]): (r["points"], r["yen"], r["n"]) for r in rows}
    assert got == {
        (202506, "93"): (5506, 0, 2),
        (202507, "21"): (56, 0, 1),
        (202507, "50"): (35150, 0, 1),
        (202507, "60"): (400, 0, 1),
        (202507, "70"): (70, 0, 1),
        (202507, "90"): (394, 0, 2),
        (202507, "92"): (21564, 0, 3),
        (202507, "93"): (21531, 0, 8),
        (202507, "94"): (66, 0, 1),
        (202507, "97"): (0, 14080, 8),
    }


def test_p233_items_add_up_to_their_act_p187(spec_build: Path) -> None:
    # p187: the 出来高実績点数 of an act's items with ② 入院料包括項目区分 = 0 and ⑥ = 0 add up to its 行為点数; a
    # 持参薬 (③ ≠ 0) has 行為点数 0 (p191), so its items are left out too
    rows = _query(
        spec_build,
        """
        with acts as (
            select stay_id, data_category, sequence_no, act_points
            from {stg_dpc__efn} where facility_code = ? and is_act_row
        ),
        items as (
            select stay_id, data_category, sequence_no, sum(ffs_points) as item_points
            from {stg_dpc__efn}
            where facility_code = ? and not is_act_row
                and inpatient_fee_bundle_flag = '0' and brought_in_drug_flag = '0'
                and basic_test_xray_bundle_flag = '0'
            group by 1, 2, 3
        )
        select acts.data_category, acts.sequence_no, acts.act_points, coalesce(items.item_points, 0) as item_points
        from acts left join items using (stay_id, data_category, sequence_no)
        order by 1, 2
        """,
        [facility_of("p233_236_ef")] * 2,
    )
    assert len(rows) == 149  # every act of p233-236
    mismatched = [(r["data_category"], r["sequence_no"], r["act_points"], r["item_points"]) for r in rows]
    mismatched = [m for m in mismatched if m[2] != m[3]]
    # p236: 92 0003 地域加算 prints 行為点数 15 but its item 3 (examples.yml keeps it as printed)
    assert mismatched == [("92", 3, 15, 3)]
    # the rule is not vacuous: acts with bundled items, a drug-only act, an operation with drugs and materials
    by_act = {(r["data_category"], r["sequence_no"]): r for r in rows}
    assert by_act[("33", 2)]["act_points"] == 556  # 点滴注射: its 手技 is bundled (② = 1), its drugs are not
    assert by_act[("50", 1)]["act_points"] == 74931 == 34370 + 1170 + 39391


def test_p233_detail_flags_positions(spec_build: Path) -> None:
    rows = _query(
        spec_build,
        "select detail_flags, discharge_prescription_flag as p1, inpatient_fee_bundle_flag as p2, "
        "brought_in_drug_flag as p3, basic_test_xray_bundle_flag as p6 from {stg_dpc__efn} "
        "where facility_code = ? and data_category = '21' and sequence_no in (7, 8) and not is_act_row "
        "order by sequence_no",
        [facility_of("p233_236_ef")],
    )
    # p188: ① 退院時処方区分, ② 入院料包括項目区分, ③ 持参薬区分, ⑥ 基本的検体検査…包括項目区分
    assert [(r["detail_flags"], r["p1"], r["p2"], r["p3"], r["p6"]) for r in rows] == [
        ("100000000000", "1", "0", "0", "0"),
        ("002100000000", "0", "0", "2", "0"),
    ]


def test_p233_ef_as_billed_and_fee_for_service_equivalent(spec_build: Path) -> None:
    facility = facility_of("p233_236_ef")
    stays = _query(
        spec_build,
        "select * from {int_efn__stay_ffs} where stay_id in (select stay_id from {stg_dpc__efn} where facility_code = ?)",
        [facility],
    )
    assert len(stays) == 1
    stay = stays[0]
    assert stay["ef_billed_points"] == 132974  # Σ 行為点数 × 行為回数 of the 149 acts
    # Σ 出来高実績点数 × 行為回数 of the items: 143,267 less the 持参薬 21 0008 (2 × 20, p191)
    assert stay["ef_ffs_equivalent_points"] == 143227
    assert (stay["ef_act_count"], stay["ef_line_count"]) == (149, 405)

    lines = _query(
        spec_build,
        "select sum(act_billed_points) as billed, sum(ffs_equivalent_points) as ffs, "
        "sum(case when inpatient_fee_bundle_flag in ('1', '2') then ffs_equivalent_points else 0 end) as bundled "
        "from {fct_billing_lines} where facility_code = ?",
        [facility],
    )[0]
    # the mart's lines add up to the stay; items bundled into an inpatient fee (② = 1/2, p189) are in 出来高換算
    assert (lines["billed"], lines["ffs"], lines["bundled"]) == (132974, 143227, 10265)
