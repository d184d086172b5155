"""Code lists transcribed from 令和7年度 DPC調査 実施説明資料 (pages cited as printed, "p197")."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from dpc import code_lists
from dpc.code_lists import CodeListError, load
from dpc.layouts import LAYOUTS

SPECDATA = Path(code_lists.__file__).with_name("specdata")

MINE = {
    "ef_data_category_inpatient": 21,
    "ef_data_category_outpatient": 20,
    "d_data_category": 24,
    "yen_point_flag": 2,
    "ward_type_inpatient": 3,
    "ward_type_outpatient": 1,
    "in_out_flag": 2,
    "in_out_flag_outpatient": 1,
    "ff4_non_insurance_combination": 5,
    "k_sex": 2,
    "department": 71,
    "receipt_department": 37,
    "parent_info_no": 12,
}


def words(text: str) -> list[str]:
    return text.split()


def codes(list_id: str) -> list[str]:
    return list(load(list_id).codes)


@pytest.mark.parametrize("list_id", sorted(MINE))
def test_list_loads_with_expected_size(list_id: str) -> None:
    cl = load(list_id)
    assert cl.id == list_id
    assert len(cl.codes) == MINE[list_id]
    assert cl.survey_years == (2025,)
    assert cl.title_ja and cl.note
    assert all(c.page in range(1, 239) for c in cl.codes.values())  # the document ends at p238


def test_every_shipped_list_loads_and_is_well_formed() -> None:
    """Every file in code_lists/ (including other engineers' ff1_/h_ lists) parses and follows the shape."""
    lists = code_lists.all_lists()
    assert set(MINE) <= set(lists)
    for list_id, cl in lists.items():
        raw = json.loads((SPECDATA / "code_lists" / f"{list_id}.json").read_text(encoding="utf-8"))
        assert raw["id"] == list_id
        assert isinstance(raw["extendable"], bool)
        assert raw["survey_years"], list_id
        assert all(isinstance(p, int) for p in raw["pages"]), list_id
        assert cl.codes, list_id


def test_files_are_utf8_two_space_indented_and_not_ascii_escaped() -> None:
    for path in sorted((SPECDATA / "code_lists").glob("*.json")):
        if path.stem not in MINE:
            continue
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n", path.name


def test_ef_inpatient_data_category_p197() -> None:
    # ※ under E-5 (p197), F-5 (p198), EF-5 (p200)
    assert codes("ef_data_category_inpatient") == words(
        "11 13 14 21 22 23 24 26 27 31 32 33 40 50 54 60 70 80 90 92 97"
    )
    cl = load("ef_data_category_inpatient")
    assert cl.meaning("11") == "初診"  # p184
    assert cl.meaning("13") == "指導"  # p184 prints 指導 (the brief said 医学管理)
    assert cl.meaning("97") == "食事療養・標準負担額＝入院"
    for outpatient_only in ("12", "25", "SY"):
        assert outpatient_only not in cl
    for not_in_footnote in ("28", "39"):  # printed in the p184 table but not allowed by p197 ※
        assert not_in_footnote not in cl


def test_ef_outpatient_data_category_p204() -> None:
    cl = load("ef_data_category_outpatient")
    assert codes("ef_data_category_outpatient") == words("11 12 13 14 21 22 23 25 26 27 31 32 33 40 50 54 60 70 80 SY")
    assert cl.meaning("12") == "再診" and cl.meaning("25") == "処方"  # p184, (外来)
    assert cl.codes["SY"].page == 201 and cl.meaning("SY") == "傷病に関するレコード"  # p201 (4)
    for inpatient_only in ("24", "28", "90", "92", "97"):
        assert inpatient_only not in cl


def test_d_data_category_p199() -> None:
    cl = load("d_data_category")
    assert codes("d_data_category") == words("01 11 13 14 21 22 23 24 26 27 31 32 33 40 50 54 60 70 80 90 92 93 94 97")
    assert cl.meaning("01") == "出来高となった理由のレコード"  # p193
    assert cl.meaning("93") == "DPC包括点数のレコード"  # p193
    assert cl.meaning("94") == "DPC調整点数のレコード"  # p193
    assert {cl.codes[c].page for c in ("01", "93", "94")} == {193}
    assert "12" not in cl and "SY" not in cl


def test_small_lists() -> None:
    assert {c: load("yen_point_flag").meaning(c) for c in "10"} == {"1": "円単位", "0": "点単位"}  # p197 E-14
    assert {c: load("ward_type_inpatient").meaning(c) for c in "012"} == {
        "0": "一般",
        "1": "一般以外",
        "2": "入院中の外来診療",
    }  # p197 E-23, p199 D-23
    assert codes("ward_type_outpatient") == ["9"]  # p202 (11), p204 E-23
    assert load("ward_type_outpatient").meaning("9") == ""  # the spec names no meaning
    assert {c: load("in_out_flag").meaning(c) for c in "01"} == {"0": "入院", "1": "外来"}  # p197 E-24
    assert codes("in_out_flag_outpatient") == ["1"]  # p202 (12), p204 E-24
    assert codes("k_sex") == ["1", "2"] and load("k_sex").meaning("2") == "女性"  # p154


def test_ff4_non_insurance_combination_p140() -> None:
    cl = load("ff4_non_insurance_combination")
    assert codes("ff4_non_insurance_combination") == ["1", "2", "3", "4", "5"]
    assert cl.meaning("1") == "医科レセプトのみ"
    assert cl.meaning("4") == "保険と他制度の併用"
    assert "患者申出療養" in cl.codes["4"].description_ja
    assert {c.page for c in cl.codes.values()} == {140}


def test_department_p208_extendable_p53() -> None:
    cl = load("department")
    assert cl.extendable  # p53: 3 桁を超えない変更は可能
    assert cl.meaning("010") == "内科" and cl.meaning("710") == "臨床検査科"
    assert cl.meaning("260") == "リハビリテーション科"  # p208 half-width, stored NFKC as on p53
    assert all(len(c) == 3 and c.isdigit() for c in cl.codes)
    assert cl.is_valid("111")  # p53's own example: 胸部外科 as 111
    assert not cl.is_valid("1110") and not cl.is_valid("11a")


def test_receipt_department_p209() -> None:
    cl = load("receipt_department")
    assert not cl.extendable
    assert "29" not in cl and "32" not in cl  # （欠） on p209
    assert cl.meaning("01") == "内科" and cl.meaning("39") == "救急科"
    assert not cl.is_valid("29")


def test_parent_info_no_p40() -> None:
    cl = load("parent_info_no")
    assert codes("parent_info_no") == ["0", *"123456789", "A", "B"]
    assert cl.meaning("0").startswith("親様式1")
    assert cl.meaning("A").startswith("一連となる7日以内の再入院")
    assert "パターン14、18" in cl.meaning("B")
    assert not cl.is_valid("10") and not cl.is_valid("C")


def test_parent_info_no_fits_the_layout_width() -> None:
    width = LAYOUTS["FF1"].column("parent_info_no").width
    assert max(len(c) for c in load("parent_info_no").codes) <= width


def test_every_column_mapping_names_a_real_column_and_list() -> None:
    for (kind, column), list_id in code_lists.COLUMN_LISTS.items():
        if kind in LAYOUTS:
            assert column in LAYOUTS[kind].names, (kind, column)
        assert load(list_id).id == list_id
    assert code_lists.for_column("EFg", "data_category").id == "ef_data_category_outpatient"
    assert code_lists.for_column("EFn", "item_name") is None


def test_column_mapping_agrees_with_the_layouts() -> None:
    """Where dpc/layouts.py names a column's code list, it is the one COLUMN_LISTS names."""
    for (kind, column), list_id in code_lists.COLUMN_LISTS.items():
        if kind in LAYOUTS and column in LAYOUTS[kind].names:
            named = getattr(LAYOUTS[kind].column(column), "codes", None)
            assert named in (None, list_id), (kind, column, named)


def test_code_widths_fit_the_layouts() -> None:
    for (kind, column), list_id in code_lists.COLUMN_LISTS.items():
        if kind not in LAYOUTS:
            continue
        width = LAYOUTS[kind].column(column).width
        assert all(len(c) <= width for c in load(list_id).codes), (kind, column)


def test_survey_year_filter() -> None:
    cl = load("yen_point_flag")
    assert cl.is_valid("1", survey_year=2025)
    assert not cl.is_valid("2")


def test_load_rejects_bad_ids_and_missing_lists() -> None:
    with pytest.raises(CodeListError):
        load("../detail_flags")
    with pytest.raises(CodeListError):
        load("no_such_list")


def test_malformed_list_is_rejected() -> None:
    good = json.loads((SPECDATA / "code_lists" / "k_sex.json").read_text(encoding="utf-8"))
    dup = dict(good, codes=[*good["codes"], good["codes"][0]])
    with pytest.raises(CodeListError, match="twice"):
        code_lists._parse_list("k_sex", dup)
    no_page = dict(good, codes=[{"code": "1", "meaning_ja": "男性"}])
    with pytest.raises(CodeListError):
        code_lists._parse_list("k_sex", no_page)
    with pytest.raises(CodeListError, match="id"):
        code_lists._parse_list("other", good)


def test_lists_are_cached_and_read_only() -> None:
    assert load("k_sex") is load("k_sex")
    with pytest.raises(TypeError):
        load("k_sex").codes["9"] = None  # type: ignore[index]


# ---- 行為明細区分情報 ----


def test_detail_flags_inpatient_p188() -> None:
    f = code_lists.detail_flags("inpatient")
    assert f.width == 12 and len(f.positions) == 12
    names = [p.name_ja for p in f.positions]
    assert names[:6] == [
        "退院時処方区分",
        "入院料包括項目区分",
        "持参薬区分",
        "持参薬処方区分",
        "DPC適用区分",
        "基本的検体検査実施料及び基本的エックス線診断料包括項目区分",
    ]  # p188, F-19 p198
    assert names[6:] == ["予備"] * 6 and all(
        dict(p.values) == {"0": "予備（「0」を設定する）"} for p in f.positions[6:]
    )
    assert set(f.positions[1].values) == {"0", "1", "2"}  # 入院料包括項目区分
    assert set(f.positions[2].values) == {"0", "1", "2"}  # 持参薬区分
    assert not f.positions[4].values_complete  # DPC適用区分: values of the 医科診療行為マスタ
    assert f.problems("000000000000") == []
    assert f.problems("012100000000") == []
    assert f.problems("300000000000") and f.problems("000000000001") and f.problems("00000000000")
    assert f.problems("000090000000") == []  # DPC適用区分 is not checked
    assert code_lists.detail_flags("EFn") is f


def test_detail_flags_outpatient_p202() -> None:
    f = code_lists.detail_flags("outpatient")
    names = [p.name_ja for p in f.positions]
    assert names[:7] == [
        "院外処方区分",
        "一般名処方区分",
        "性別",
        "転帰区分",
        "主傷病",
        "医学管理料等包括項目区分",
        "リフィル処方箋区分",
    ]  # p202 (9); F-19 p206: 上 7 桁
    assert names[7:] == ["予備"] * 5
    assert set(f.positions[3].values) == {"0", "1", "2", "3", "4"}  # 転帰区分
    assert set(f.positions[6].values) == {"0", "2", "3"}  # リフィル
    assert all(p.page == 202 for p in f.positions)
    assert f.problems("001000000000") == []
    assert f.problems("000000000000")  # 性別 must be 1 or 2
    assert f.problems("002000100000")  # リフィル 1 is not a value
    assert f.decode("112210300000")["リフィル処方箋区分"] == "3"
    with pytest.raises(ValueError):
        code_lists.detail_flags("H")


def test_module_is_stdlib_only() -> None:
    """dpc.code_lists is imported by Lambdas without third-party packages."""
    tree = ast.parse(Path(code_lists.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
