"""The 様式1 and H payload item tables, transcribed from 令和7年度 DPC調査 実施説明資料 (pages cited as printed).

様式1: layout p19–20, 【ペイロード項目】 p21–38, rules and codes p39–132. H: p144–152 (versions p147).
"""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import pytest

from dpc import payload_items as pi

SPECDATA = Path(pi.__file__).with_name("specdata")
LISTS = SPECDATA / "code_lists"


def _rows(name: str) -> list[dict[str, str]]:
    with (SPECDATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _codes(list_id: str) -> dict[str, dict]:
    raw = json.loads((LISTS / f"{list_id}.json").read_text(encoding="utf-8"))
    return {c["code"]: c for c in raw["codes"]}


# ------------------------------------------------------------------ the tables as a whole


def test_item_counts_p21_38_p148_152() -> None:
    ff1, h = pi.items("FF1"), pi.items("H")
    assert len(ff1) == 71  # every コード of the 様式1 【ペイロード項目】 table, p21–38
    assert set(h) == {"ASS0013", "ASS0021", "ASS0051", "ASS0062", "ASS0071", "TAR0010"}  # p148–152
    assert len(_rows("ff1_items.csv")) == 236
    assert len(_rows("h_items.csv")) == 55


def test_csv_columns_and_no_duplicate_item_version_payload() -> None:
    for name in ("ff1_items.csv", "h_items.csv"):
        rows = _rows(name)
        assert tuple(rows[0]) == pi.COLUMNS
        assert (
            ",".join(pi.COLUMNS[:9]) == "item_code,version,payload_no,name_ja,value_type,list_id,required,seq_rule,page"
        )
        keys = [(r["item_code"], r["version"], r["payload_no"]) for r in rows]
        assert len(keys) == len(set(keys)), name


def test_every_row_cites_a_page_of_its_table() -> None:
    for name, pages in (("ff1_items.csv", range(21, 39)), ("h_items.csv", range(148, 153))):
        for r in _rows(name):
            assert int(r["page"]) in pages, r
            assert not r["rule_page"] or 1 <= int(r["rule_page"]) <= 238, r
            assert r["value_type"] in pi.VALUE_TYPES and r["required"] in pi.REQUIRED, r


def test_versions_p20_p147() -> None:
    """Each item has the one version printed in its table; the letters map differently in 様式1 and H."""
    assert dict(pi.FF1_VERSION_LETTERS) == {
        "ア": "20140401",
        "イ": "20160401",
        "ウ": "20180401",
        "エ": "20200401",
        "オ": "20220401",
        "カ": "20240601",
    }
    assert dict(pi.H_VERSION_LETTERS) == {"イ": "20180401", "ウ": "20200401", "エ": "20220401", "オ": "20240601"}
    for kind, letters in (("FF1", pi.FF1_VERSION_LETTERS), ("H", pi.H_VERSION_LETTERS)):
        for code, it in pi.items(kind).items():  # type: ignore[arg-type]
            assert len(it.versions) == 1 and it.versions <= set(letters.values()), code
    assert pi.versions("FF1", "A000010") == {"20140401"}  # ア, p21 (and the example of p19)
    assert pi.versions("FF1", "A006060") == {"20160401"}  # イ, p28
    assert pi.versions("FF1", "A004020") == {"20180401"}  # ウ, p25
    assert pi.versions("FF1", "ADL0030") == {"20200401"}  # エ, p29
    assert pi.versions("FF1", "M050070") == {"20220401"}  # オ, p33
    assert pi.versions("FF1", "A001040") == {"20240601"}  # カ, p24
    assert pi.versions("H", "TAR0010") == {"20180401"}  # H イ = 20180401 (p147, p152), not 様式1's 20160401
    assert pi.versions("H", "ASS0013") == {"20240601"}  # H オ, p148
    assert pi.versions("H", "ASS0021") == {"20200401"}  # H ウ, p149
    assert pi.versions("FF1", "NOPE999") == frozenset()


def test_unknown_version_is_reported() -> None:
    assert pi.problem("FF1", "A000010", "20240601", 2, "1") == "unknown_version"
    assert pi.problem("H", "TAR0010", "20160401", 1, "0") == "unknown_version"
    assert pi.problem("FF1", "Z999999", "20140401", 1, "1") == "unknown_item"
    assert pi.payload("FF1", "A000010", "20240601", 2) is None


def test_payload_numbers_fit_the_layouts_p20_p146() -> None:
    for kind, n in (("FF1", 9), ("H", 20)):
        for it in pi.items(kind).values():  # type: ignore[arg-type]
            assert all(1 <= k <= n for k in it.payloads), it.code


def test_seq_rules_p20() -> None:
    """連番 is "0" unless the table marks it ○; the rules give the maxima."""
    seq = {code: it.seq_rule for code, it in pi.items("FF1").items() if it.uses_seq}
    assert seq == {
        "A001030": "1..3",  # p23, p61
        "A006040": "1..10",  # p28, p69
        "A006050": "1..10",  # p28, p69
        "A007010": "1..10",  # p28, p81
        "ADL0030": "1..3",  # p29, p87
        "ADL0040": "1..3",  # p29, p87
        "FIM0010": "1..3",  # p30, p93
        "FIM0020": "1..12",  # p30, p94
        "M180010": "1..2",  # p36, p113
        "M180011": "1..2",  # p36, p114
        "M180020": "1..2",  # p37, p115
        "M180021": "1..2",  # p37, p117
    }
    assert pi.item("FF1", "FIM0020").max_seq == 12  # type: ignore[union-attr]
    assert pi.item("FF1", "A000010").max_seq == 0  # type: ignore[union-attr]
    assert not any(it.uses_seq for it in pi.items("H").values())  # p148–152: every 連番 is "-"


# ------------------------------------------------------------------ code lists


def test_every_list_id_exists() -> None:
    """Every list the tables name is shipped; `department` (別紙-1, p53) is another engineer's list."""
    for list_id in pi.list_ids():
        if list_id in pi.EXTERNAL_LISTS:
            continue
        assert (LISTS / f"{list_id}.json").is_file(), list_id
    assert pi.list_ids("FF1") >= {"department", "ff1_sex", "ff1_planned_emergency", "ff1_anaesthesia"}
    h_lists = {"h_nashi_ari", "h_negaeri", "h_assistance_3", "h_assistance_2", "h_instruction"}
    assert pi.list_ids("H") == h_lists | {"h_dangerous_behaviour", "h_assistance_done", "h_assessment_target"}


def test_every_ff1_and_h_list_is_used_and_well_formed() -> None:
    used = pi.list_ids()
    mine = sorted(p.stem for p in LISTS.glob("*.json") if p.stem.startswith(("ff1_", "h_")))
    assert len(mine) == 56
    for list_id in mine:
        assert list_id in used, f"{list_id} is not referenced by any payload"
        text = (LISTS / f"{list_id}.json").read_text(encoding="utf-8")
        raw = json.loads(text)
        assert text == json.dumps(raw, ensure_ascii=False, indent=2) + "\n", list_id
        assert set(raw) == {"id", "title_ja", "pages", "survey_years", "extendable", "note", "codes"}, list_id
        assert raw["id"] == list_id and raw["title_ja"] and raw["note"], list_id
        assert raw["survey_years"] == [2025] and raw["extendable"] is False, list_id
        codes = [c["code"] for c in raw["codes"]]
        assert codes and len(codes) == len(set(codes)), list_id
        for c in raw["codes"]:
            assert set(c) == {"code", "meaning_ja", "page"} and c["meaning_ja"], (list_id, c)
            assert c["page"] in raw["pages"], (list_id, c)


def test_coded_payloads_have_lists_and_others_do_not() -> None:
    for kind in ("FF1", "H"):
        for it in pi.items(kind).values():  # type: ignore[arg-type]
            for p in it.payloads.values():
                assert (p.value_type == "code") == bool(p.list_id), (it.code, p.number)


# ------------------------------------------------------------------ spot checks


def test_birth_date_a000010_p21_p42() -> None:
    p = pi.payload("FF1", "A000010", "20140401", 1)
    assert p is not None and p.name_ja == "生年月日" and p.page == 21 and p.rule_page == 42
    assert p.value_type == "date_partial" and p.required == "required"
    for ok in ("19700501", "19710000", "19980500", "00000000", "20000229"):
        assert pi.problem("FF1", "A000010", "20140401", 1, ok) is None, ok
    for bad in ("19701301", "19700230", "1970051", "00000501", "19001300"):
        assert pi.problem("FF1", "A000010", "20140401", 1, bad) == "invalid_date", bad
    sex = pi.payload("FF1", "A000010", "20140401", 2)
    assert sex is not None and sex.list_id == "ff1_sex" and set(_codes("ff1_sex")) == {"1", "2"}  # p21, p42
    assert pi.payload("FF1", "A000010", "20140401", 4) is None  # no ペイロード4 (p21)
    assert pi.problem("FF1", "A000010", "20140401", 4, "x") == "undefined_payload"


def test_postal_code_p42() -> None:
    assert pi.problem("FF1", "A000010", "20140401", 3, "1008916") is None
    assert pi.problem("FF1", "A000010", "20140401", 3, "9999999") is None  # 海外 (p42)
    assert pi.problem("FF1", "A000010", "20140401", 3, "100-8916") == "bad_format"


def test_admission_route_p42() -> None:
    route = _codes("ff1_admission_route")
    assert set(route) == {"0", "1", "4", "5", "8", "9"}
    assert route["8"]["meaning_ja"] == "院内で出生" and route["8"]["page"] == 42
    assert route["0"]["meaning_ja"] == "院内の他病棟からの転棟"


def test_planned_emergency_p43_44() -> None:
    p = pi.payload("FF1", "A000020", "20140401", 5)
    assert p is not None and p.list_id == "ff1_planned_emergency" and p.required == "conditional"
    codes = _codes("ff1_planned_emergency")
    assert {"100", "101", "200"} <= set(codes)
    three = {c for c in codes if c.startswith("3")}
    # 3 + the 25 two-digit reasons of p43–44: 301–302, 304–309, 331–334 (加算1), 311–312, 314–324 (加算2), p44
    reasons = (*range(1, 3), *range(4, 10), *range(31, 35), *range(11, 13), *range(14, 25))
    assert three == {f"3{r:02d}" for r in reasons}
    assert len(codes) == 28 and all(len(c) == 3 for c in codes)
    assert codes["302"]["page"] == 43 and "意識障害又は昏睡" in codes["302"]["meaning_ja"]  # "302" example, p44
    assert codes["333"]["page"] == 44
    assert pi.problem("FF1", "A000020", "20140401", 5, "303") == "unknown_code"
    assert pi.problem("FF1", "A000020", "20140401", 5, "324") is None


def test_discharge_destination_p49() -> None:
    codes = _codes("ff1_discharge_destination")
    assert set(codes) == {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a"}
    assert codes["8"]["meaning_ja"] == "終了（死亡等）" and codes["8"]["page"] == 49
    assert codes["a"]["meaning_ja"] == "介護医療院"
    assert pi.payload("FF1", "A000030", "20140401", 2).list_id == "ff1_discharge_destination"  # type: ignore[union-attr]
    assert pi.problem("FF1", "A000030", "20140401", 2, "a") is None


def test_discharge_outcome_and_death_p51_p52() -> None:
    assert set(_codes("ff1_discharge_outcome")) == {"1", "3", "4", "5", "6", "7", "9"}
    assert set(_codes("ff1_death_within_24h")) == {"0", "1", "2"}
    # 退院年月日 is 00000000 on a 子様式1 that ends with a transfer (p46)
    assert pi.problem("FF1", "A000030", "20140401", 1, "00000000") is None
    assert pi.problem("FF1", "A000031", "20140401", 1, "00000000") == "invalid_date"


def test_anaesthesia_is_payload_6_of_a007010_p28_p85() -> None:
    p = pi.payload("FF1", "A007010", "20140401", 6)
    assert p is not None and p.name_ja == "麻酔" and p.page == 28 and p.rule_page == 85
    assert p.list_id == "ff1_anaesthesia"
    assert list(_codes("ff1_anaesthesia")) == [str(i) for i in range(1, 10)]
    assert _codes("ff1_anaesthesia")["6"]["meaning_ja"] == "全麻＋硬膜外"
    ops = pi.item("FF1", "A007010")
    assert ops is not None and sorted(ops.payloads) == [1, 2, 3, 4, 5, 6, 7, 9]
    assert ops.payloads[2].value_type == "kcode" and ops.payloads[3].value_type == "stem7"


def test_readmission_a000080_p23_p57() -> None:
    it = pi.item("FF1", "A000080")
    assert it is not None and it.name_ja == "再入院調査" and it.page == 23 and it.versions == {"20140401"}
    assert it.record_required == "conditional"  # ※1
    assert it.payloads[2].list_id == "ff1_readmission_type"
    assert _codes("ff1_readmission_type") == {
        "1": {"code": "1", "meaning_ja": "計画的再入院", "page": 57},
        "2": {"code": "2", "meaning_ja": "計画外の再入院", "page": 57},
    }
    assert set(_codes("ff1_readmission_reason")) == {str(i) for i in range(1, 8)}
    assert it.payloads[9].value_type == "text" and it.payloads[9].required == "conditional"  # ※E


def test_blank_payloads_p26_p36() -> None:
    assert pi.payload("FF1", "A006010", "20140401", 3).value_type == "blank"  # type: ignore[union-attr]
    assert pi.problem("FF1", "A006010", "20140401", 3, "X") == "not_blank"
    addon = pi.payload("FF1", "A006030", "20140401", 3)  # 病名付加コード only on 医療資源 (p27, p70)
    assert addon is not None and addon.list_id == "ff1_disease_addon" and addon.required == "conditional"
    assert {"10100", "20221", "30109"} <= set(_codes("ff1_disease_addon"))
    assert [n for n, p in pi.item("FF1", "M180011").payloads.items() if p.value_type == "blank"] == [1, 4, 5, 8]  # type: ignore[union-attr]


def test_sentinels_from_the_rules() -> None:
    ok = [
        ("A000070", 1, "99999999"),  # 初回入院 (p56)
        ("A000070", 1, "19980500"),  # partly unknown (p56)
        ("A001010", 2, "000"),  # 測定不能 (p61)
        ("A001010", 3, "52.5"),
        ("A001020", 2, "9999"),  # 不明 (p61)
        ("A001040", 6, "99999999"),  # 褥瘡なし (p63)
        ("FIM0020", 1, "99999999"),  # 測定日なし (p95)
        ("M040031", 2, "999"),  # 不明 (p101)
        ("M120010", 3, "99999"),  # 不明 (p107)
        ("M170030", 2, "a"),  # 不明 (p109)
        ("M180011", 2, "99999999"),  # 治療なし (p115)
    ]
    for code, n, value in ok:
        version = next(iter(pi.versions("FF1", code)))
        assert pi.problem("FF1", code, version, n, value) is None, (code, n, value)
    assert pi.problem("FF1", "A001010", "20140401", 3, "52") == "bad_format"  # one decimal (p61)
    assert pi.problem("FF1", "A001030", "20140401", 1, "99999999") == "invalid_date"


def test_composite_scores() -> None:
    assert pi.problem("FF1", "ADL0010", "20140401", 2, "1211111100") is None  # p86 example
    assert pi.problem("FF1", "ADL0010", "20140401", 2, "1211111103") == "bad_format"  # 排尿管理 has no 3
    assert pi.problem("FF1", "A001040", "20240601", 3, "0000000") is None  # no pressure ulcer (p63)
    assert pi.problem("FF1", "A001040", "20240601", 3, "9000000") is None  # 深さ 9 判定不能 (p62)
    assert pi.problem("FF1", "A001040", "20240601", 3, "7000000") == "bad_format"
    assert pi.problem("FF1", "FIM0010", "20160401", 3, "767666657775455655") is None  # p93 example
    assert pi.problem("FF1", "M180010", "20180401", 6, "341201") is None  # p36 example
    assert pi.problem("FF1", "M040020", "20140401", 2, "1000103") is None  # p100 example
    assert pi.problem("FF1", "M060010", "20140401", 2, "12132") is None  # p105 example
    assert pi.problem("FF1", "M060020", "20140401", 2, "43") is None  # p106 example
    assert pi.problem("FF1", "M060020", "20140401", 2, "38") is None  # B unknown (p106)
    assert pi.problem("FF1", "M060020", "20140401", 2, "99") is None
    assert pi.problem("FF1", "M170030", "20240601", 3, "10100001a00000") is None  # p109 example
    assert pi.problem("FF1", "A004030", "20180401", 3, "111010") is None  # p65 example
    assert pi.problem("H", "ASS0013", "20240601", 7, "100") is None  # p148 example


def test_jcs_p96() -> None:
    for ok in ("0", "3", "3A", "3RI", "300", "10R"):
        assert pi.problem("FF1", "JCS0010", "20140401", 2, ok) is None, ok
    for bad in ("4", "3X", "999"):
        assert pi.problem("FF1", "JCS0010", "20140401", 2, bad) == "bad_format", bad
    assert pi.problem("FF1", "JCS0010", "20140401", 3, "999") is None  # どうしてもわからない (p97)


def test_uicc_codes_compare_after_nfkc_p88() -> None:
    assert pi.problem("FF1", "CAN0020", "20140401", 3, "Tis（DCIS）") is None
    assert pi.problem("FF1", "CAN0020", "20140401", 3, "Tis(DCIS)") is None
    assert pi.problem("FF1", "CAN0020", "20140401", 3, "T5") == "unknown_code"


def test_department_is_extendable_p53() -> None:
    p = pi.payload("FF1", "A000040", "20140401", 2)
    assert p is not None and p.list_id == "department" and p.pattern == "[0-9]{3}"
    if (LISTS / "department.json").is_file():  # written by another engineer
        assert pi.problem("FF1", "A000040", "20140401", 2, "111") is None  # 胸部外科 111 (p53)
        assert pi.problem("FF1", "A000040", "20140401", 2, "1111") == "bad_format"


def test_h_tar0010_p145_p152() -> None:
    p = pi.payload("H", "TAR0010", "20180401", 1)
    assert p is not None and p.list_id == "h_assessment_target" and p.required == "required"
    assert list(_codes("h_assessment_target")) == ["0", "1", "2", "3", "4", "5"]
    assert pi.problem("H", "TAR0010", "20180401", 1, "6") == "unknown_code"
    assert pi.problem("H", "TAR0010", "20180401", 2, "0") == "undefined_payload"


def test_h_b_items_share_their_shape_p149_152() -> None:
    shapes = {
        code: [(n, p.name_ja, p.list_id) for n, p in pi.item("H", code).payloads.items()]  # type: ignore[union-attr]
        for code in ("ASS0021", "ASS0051", "ASS0071")
    }
    assert shapes["ASS0021"] == shapes["ASS0051"] == shapes["ASS0071"]
    assert [n for n, _, _ in shapes["ASS0021"]] == list(range(1, 12))
    assert set(_codes("h_negaeri")) == {"0", "1", "2"}
    a = pi.item("H", "ASS0062")
    assert a is not None and sorted(a.payloads) == list(range(1, 14))
    assert [n for n, p in a.payloads.items() if p.value_type == "blank"] == [5, 6]  # p151


# ------------------------------------------------------------------ the module


def test_items_are_cached_and_read_only() -> None:
    a, b = pi.items("FF1"), pi.items("FF1")
    assert a is not b and a["A000010"] is b["A000010"]
    with pytest.raises(TypeError):
        a["A000010"].by_version["20140401"][1] = None  # type: ignore[index]
    with pytest.raises(ValueError):
        pi.items("FF4")  # type: ignore[arg-type]


def test_malformed_table_is_rejected() -> None:
    head = ",".join(pi.COLUMNS)
    row = "A000010,20140401,2,性別,code,ff1_sex,required,0,21,,患者属性,required,42,,"
    assert pi._parse("FF1", f"{head}\n{row}\n")["A000010"].payloads[2].list_id == "ff1_sex"
    with pytest.raises(pi.PayloadTableError, match="duplicate"):
        pi._parse("FF1", f"{head}\n{row}\n{row}\n")
    with pytest.raises(pi.PayloadTableError, match="value_type"):
        pi._parse("FF1", f"{head}\n{row.replace(',code,', ',colour,')}\n")
    with pytest.raises(pi.PayloadTableError, match="payload_no"):
        pi._parse("FF1", f"{head}\n{row.replace(',2,性別', ',10,性別')}\n")
    with pytest.raises(pi.PayloadTableError, match="list_id"):
        pi._parse("FF1", f"{head}\n{row.replace(',ff1_sex,', ',,')}\n")


def test_module_is_stdlib_only() -> None:
    tree = ast.parse(Path(pi.__file__).read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {
        "__future__",
        "csv",
        "datetime",
        "functools",
        "io",
        "json",
        "re",
        "unicodedata",
        "collections",
        "dataclasses",
        "importlib",
        "types",
        "typing",
    }, names
