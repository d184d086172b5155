"""The 保険診療指数 data-quality figures (docs/insurance-index-quality.md).

- the 留意すべきICDコード seed (p157–p180): regenerated from its committed bbox extraction and the ministry's code
  tables it equals the committed seed; the extraction's sha256 is the one its SOURCE records; one row per page,
  read by hand from the rendered page (and, for single-○ rows, from the page image), has the ○ in the columns the
  extraction says; structural invariants of every page;
- the demo's published figures equal an independent Python computation over its stage tables and the seed CSV.
The rates on hand-computed deliveries are dbt unit tests beside the models (they run inside the demo build).
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dpc import caution_icd

# (page, ICDコード as printed, ○ 部位不明・詳細不明コード, ○ その他留意) read from the rendered pages: the first row of
# each page that has both ○ or neither (unambiguous in the page text), and on p157 three rows whose single ○ (or
# none) was checked on the page image (pdftoppm -f 157 -l 157)
HAND_READ = [
    (157, "A014", True, True),
    (157, "A009", False, True),
    (157, "A029", False, True),
    (157, "A090", False, False),
    (158, "A660-A699", True, True),
    (159, "B769", True, True),
    (160, "C349", True, True),
    (161, "C768", True, True),
    (162, "D339", True, True),
    (163, "D489", True, True),
    (164, "E753", True, True),
    (165, "G800-G819", True, True),
    (166, "I289", True, True),
    (167, "J304", True, True),
    (168, "K460-K469", True, True),
    (169, "M000-M009", True, True),
    (170, "M4890-M4899", True, True),
    (171, "N050-N059", True, True),
    (172, "N939", True, True),
    (173, "O749", True, True),
    (174, "P839", True, True),
    (175, "Q685", True, True),
    (176, "R498", True, True),
    (177, "S2690", True, True),
    (178, "S7290", True, True),
    (179, "T139", True, True),
    (180, "T789", True, True),
]


def test_seed_is_generated_from_the_committed_extraction() -> None:
    caution_icd.check_rows_checksum()
    assert caution_icd._main(["--check"]) == 0


def test_hand_read_rows_match_the_extraction() -> None:
    rows = {(r.page, r.listed_code): r for r in caution_icd.load_rows()}
    for page, code, unspecified, other in HAND_READ:
        row = rows[(page, code)]
        assert (row.is_unspecified, row.is_other_caution) == (unspecified, other), (page, code)


def test_extraction_structure() -> None:
    rows = caution_icd.load_rows()
    by_page: dict[int, list[caution_icd.PrintedRow]] = defaultdict(list)
    for r in rows:
        by_page[r.page].append(r)
    assert sorted(by_page) == list(range(157, 181))
    for page, page_rows in by_page.items():
        assert [r.row for r in page_rows] == list(range(1, len(page_rows) + 1)), page
        ys = [float(r.y_pt) for r in page_rows]
        assert ys == sorted(ys) and all(b - a > 5 for a, b in zip(ys, ys[1:], strict=False)), page
    marks = Counter((r.unspecified_x, r.other_x) for r in rows)
    assert set(marks) <= {("", ""), ("521.76", ""), ("", "549.72"), ("521.76", "549.72")}
    # a column of its own for a single ○: both kinds occur, so a lost column would show
    assert marks[("521.76", "")] > 0 and marks[("", "549.72")] > 0
    assert all(r.title and r.category for r in rows)


def test_seed_rows_point_back_to_their_printed_row() -> None:
    printed = {(r.page, r.row): r for r in caution_icd.load_rows()}
    with caution_icd.SEED.open(encoding="utf-8", newline="") as fh:
        seed = list(csv.DictReader(fh))
    assert {(int(s["source_page"]), int(s["source_row"])) for s in seed} == set(printed)
    for s in seed:
        row = printed[(int(s["source_page"]), int(s["source_row"]))]
        assert s["listed_code"] == row.listed_code
        assert s["is_unspecified"] == str(row.is_unspecified).lower()
    expanded = {s["icd10_code"] for s in seed if s["listed_code"] == "A530-A539"}
    assert expanded == {f"A53{d}" for d in range(10)}
    site_9 = {s["icd10_code"] for s in seed if s["listed_code"] == "M210-M218"}
    assert site_9 and all(len(c) == 5 and c.endswith("9") and "M210" <= c[:4] <= "M218" for c in site_9)


def _fiscal_year(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


@pytest.mark.slow
def test_demo_figures_match_an_independent_computation(demo_build: Path) -> None:
    with caution_icd.SEED.open(encoding="utf-8", newline="") as fh:
        unspecified = {s["icd10_code"] for s in csv.DictReader(fh) if s["is_unspecified"] == "true"}
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        stays = con.execute(
            "select stay_id, facility_code, discharge_date, most_resource_icd10 from stage.int_form1__stays "
            "where has_parent_form and discharge_date is not null"
        ).fetchall()
        forms = con.execute(
            "select stay_id, admission_seq, form_no, form_yyyymm from stage.int_form1__forms"
        ).fetchall()
        items = con.execute(
            "select stay_id, admission_seq, parent_info_no, yyyymm, payload_4 from stage.stg_dpc__ff1 "
            "where item_code in ('A006010', 'A006020', 'A006030', 'A006031', 'A006040', 'A006050')"
        ).fetchall()
        ef = {r[0] for r in con.execute("select distinct stay_id from stage.stg_dpc__efn").fetchall()}
        published = con.execute(
            "select facility_code, fiscal_year, unspecified_main_diagnosis_numerator, "
            "unspecified_main_diagnosis_denominator, uncoded_diagnosis_numerator, uncoded_diagnosis_denominator, "
            "form1_without_ef_numerator, form1_without_ef_denominator "
            "from mart.fct_insurance_index_quality where is_fiscal_year_total"
        ).fetchall()
        behind = con.execute("select figure, count(*) from dq.dq_insurance_index_cases group by figure").fetchall()
    expected: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * 6)
    discharged = {s[0]: (s[1], _fiscal_year(s[2])) for s in stays}
    for stay_id, facility, discharge, icd in stays:
        e = expected[(facility, _fiscal_year(discharge))]
        e[0] += (icd or "").replace(".", "") in unspecified
        e[1] += 1
        e[4] += stay_id not in ef
        e[5] += 1
    form_keys = {(f[0], f[1], f[2], f[3]) for f in forms if f[0] in discharged}
    for stay_id, seq, form_no, yyyymm, name_code in items:
        if (stay_id, seq, form_no, yyyymm) in form_keys:
            e = expected[discharged[stay_id]]
            e[2] += name_code == "0000999"
            e[3] += 1
    got = {(r[0], r[1]): list(r[2:]) for r in published}
    assert got == dict(expected)
    assert sum(e[1] for e in expected.values()) > 0 and sum(e[3] for e in expected.values()) > 0
    offending = dict(behind)
    assert offending.get("unspecified_main_diagnosis", 0) == sum(e[0] for e in expected.values())
    assert offending.get("uncoded_diagnosis", 0) == sum(e[2] for e in expected.values())


@pytest.mark.slow
def test_report_shows_each_facility_s_figures_and_the_rows_behind(demo_build: Path) -> None:
    page = (demo_build / "report" / "index.html").read_text(encoding="utf-8")
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        facilities = [
            r[0] for r in con.execute("select distinct facility_code from mart.fct_insurance_index_quality").fetchall()
        ]
        fiscal_years = con.execute(
            "select facility_code, fiscal_year, unspecified_main_diagnosis_numerator, "
            "unspecified_main_diagnosis_denominator from mart.fct_insurance_index_quality where is_fiscal_year_total"
        ).fetchall()
        unspecified = con.execute(
            "select facility_code, code, count(distinct stay_id) from dq.dq_insurance_index_cases "
            "where figure = 'unspecified_main_diagnosis' group by all"
        ).fetchall()
    assert facilities and '<section id="insurance-index">' in page
    for code in facilities:
        assert f'id="insurance-index-{code}"' in page
    for _, _, numerator, denominator in fiscal_years:
        assert f"({numerator:,}/{denominator:,})" in page
    # an unspecified ICD code is named with its count from 10 stays (decision 0036); fewer are counted together
    most: dict[str, int] = defaultdict(int)
    for _, code, stays in unspecified:
        most[code] = max(most[code], stays)
    for code, stays in most.items():
        if stays < 10:
            assert f'<td class="text">{code}</td>' not in page, (code, stays)
    if any(stays < 10 for _, _, stays in unspecified):
        assert "codes of fewer than 10 stays each" in page
