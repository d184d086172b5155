"""Readers: every published variant read with exact counts; each fault with its precise finding."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpc.config import file_prefixes
from dpc.layouts import LAYOUTS
from dpc.manifest import count_data_rows
from dpc.readers import FileRejected, read_delivered_file

try:  # tests/ is a package in this repository; plain rootdir-relative import otherwise
    from tests.python import fixtures_dpc as F
except ImportError:  # pragma: no cover
    import fixtures_dpc as F  # type: ignore[no-redef]

KINDS = list(LAYOUTS)
VARIANTS = {
    "cp932-crlf-header": ({}, "cp932", True, "CRLF", "tsv-header"),
    "cp932-no-header": ({"title": None}, "cp932", False, "CRLF", "tsv"),
    "utf8-lf-header": ({"encoding": "utf-8", "newline": "\n"}, "utf-8", True, "LF", "tsv-header"),
    "utf8-bom": ({"encoding": "utf-8", "bom": True}, "utf-8-sig", True, "CRLF", "tsv-header"),
    "fullwidth-header": ({"title": "fullwidth"}, "cp932", True, "CRLF", "tsv-header"),
    "hankaku-header": ({"title": "hankaku"}, "cp932", True, "CRLF", "tsv-header"),
}
EXPECTED_ROWS = {"FF1": 11, "FF4": 2, "EFn": 9, "EFg": 9, "D": 3, "H": 6, "K": 3}


def read(kind: str, data: bytes, **kw):
    return read_delivered_file(F.file_name(kind), data, **kw)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_variant_reads_with_exact_counts(kind: str, variant: str) -> None:
    kw, encoding, header, ending, layout = VARIANTS[variant]
    data = F.render(kind, F.rows(kind), **kw)
    r = read(kind, data)
    if LAYOUTS[kind].title_row == "none":  # 様式4 and K生成用データ have no title row (p140, p154)
        header, layout = False, "csv" if kind == "K" else "tsv"
    if kind == "FF4":  # 様式4 is digits only (p140): an ASCII file, unless it starts with a BOM
        encoding = "utf-8-sig" if kw.get("bom") else "ascii"
    elif kind == "H" and encoding == "cp932" and not header:
        encoding = "ascii"  # an H file without title row is pure ASCII
    assert (r.kind, r.encoding, r.header, r.line_ending, r.layout_variant) == (kind, encoding, header, ending, layout)
    assert r.data_rows == EXPECTED_ROWS[kind] == count_data_rows(data)
    assert r.accepted.num_rows == EXPECTED_ROWS[kind]
    assert r.quarantined == [] and r.field_findings == []
    # 様式1 and H without their title row are read, with a warning: the specification requires one (p17)
    missing = not header and LAYOUTS[kind].title_row == "required"
    assert [w.reason_code for w in r.warnings] == (["title_row_missing"] if missing else [])
    first = 2 if header else 1
    assert r.accepted["line_number"].to_pylist() == list(range(first, first + EXPECTED_ROWS[kind]))


def test_other_title_wordings_are_read_with_a_warning_per_column() -> None:
    """Titles are recognised by structure, never by wording (the ≤ 2015 names here): each other wording is a
    `title_wording` warning naming its column, and every row is read."""
    r = read("EFn", F.render("EFn", F.rows("EFn"), title="2015"))
    assert r.layout_variant == "tsv-other-header" and r.accepted.num_rows == 9 and r.quarantined == []
    old = [c.name for c in LAYOUTS["EFn"].columns if c.old_ja]
    assert [(w.reason_code, w.column) for w in r.warnings] == [("title_wording", c) for c in old]


def test_a_title_row_in_words_the_project_has_never_seen_is_read() -> None:
    """A real hospital's export with its own wording (here p200's レセプト電算コード and an invented 施設ＣＤ) loads."""
    data = F.render("EFn", F.rows("EFn"))
    lines = data.split(b"\r\n")
    title = lines[0].decode("cp932").split("\t")
    title[0], title[8], title[10] = "施設ＣＤ", "レセプト電算コード", "名称"
    lines[0] = "\t".join(title).encode("cp932")
    r = read("EFn", b"\r\n".join(lines))
    assert r.header and r.accepted.num_rows == 9 and r.quarantined == []
    assert [w.column for w in r.warnings] == ["facility_code", "receipt_code", "item_name"]


@pytest.mark.parametrize("kind", ["EFn", "D"])
@pytest.mark.parametrize("title", [None, "current"])
def test_fixed_width_is_detected_and_sliced_by_cp932_bytes(kind: str, title: str | None) -> None:
    rows = F.rows(kind)
    r = read(kind, F.render(kind, rows, fixed=True, title=title))
    assert r.layout_variant == ("fixed-width-header" if title else "fixed-width")
    assert r.quarantined == [] and r.accepted.num_rows == len(rows)
    name_col = "item_name" if kind == "EFn" else "act_name"
    assert r.accepted[name_col][0].as_py() == rows[0][LAYOUTS[kind].names.index(name_col)]
    assert r.accepted["insurer_no"][0].as_py() == "  200055"  # leading spaces kept, padding trimmed


def test_padding_decimals_empties_and_undischarged_kept_as_text() -> None:
    r = read("EFn", F.render("EFn", F.rows("EFn")))
    row_e, row_f = r.accepted.slice(0, 1).to_pylist()[0], r.accepted.slice(1, 1).to_pylist()[0]
    assert row_e["sequence_no"] == "0001" and row_e["detail_no"] == "000" and row_e["insurer_no"] == "  200055"
    assert row_e["quantity"] == "" and row_e["detail_flags"] == ""  # E row: F-only fields empty
    assert row_f["insurer_no"] == "" and row_f["receipt_type"] == "" and row_f["in_out_flag"] == ""  # F row empties
    assert row_f["item_points"] == "000000009.02" and row_f["quantity"] == "0000030.000"
    assert "00000000" in r.accepted["discharge_date"].to_pylist()


def test_extra_column_in_every_row_rejects_the_file() -> None:
    rows = [r + ["x"] for r in F.rows("EFn")]
    with pytest.raises(FileRejected) as exc:
        read("EFn", F.render("EFn", rows, title=None))
    assert exc.value.line == 1
    assert "9 of 9 data rows have the wrong columns (most: 32 columns)" in str(exc.value)
    assert str(exc.value).startswith("EFn_131000001_2404.txt:1: ")


def test_extra_column_in_title_row_rejects_the_file() -> None:
    data = F.render("EFn", F.rows("EFn"))
    lines = data.split(b"\r\n")
    lines[0] += "\t新項目".encode("cp932")
    with pytest.raises(FileRejected, match=r":1: title row has 32 columns, the EFn layout has 31"):
        read("EFn", b"\r\n".join(lines))


def test_missing_column_on_one_row_is_quarantined() -> None:
    rows = F.rows("D")
    rows[1] = rows[1][:-1]
    r = read("D", F.render("D", rows))
    assert r.accepted.num_rows == 2
    [f] = r.quarantined
    assert (f.line, f.reason_code, f.reason) == (3, "wrong_column_count", "29 columns: expected 30")


def test_d_file_named_as_ef_is_a_clear_kind_mismatch() -> None:
    data = F.render("D", F.rows("D"))
    with pytest.raises(FileRejected, match="it is the D title row"):
        read_delivered_file("EFn_131000001_2404.txt", data)


def test_truncated_last_line() -> None:
    data = F.render("EFn", F.rows("EFn"))
    cut = data[: len(data) - 40]
    r = read("EFn", cut)
    assert r.data_rows == 9 == count_data_rows(cut)
    [f] = r.quarantined
    assert f.line == 10 and f.reason_code == "truncated_line"
    assert "no line end" in f.reason


def test_complete_last_line_without_newline_is_a_warning() -> None:
    r = read("D", F.render("D", F.rows("D"), final_newline=False))
    assert r.accepted.num_rows == 3 and r.quarantined == []
    assert [w.reason_code for w in r.warnings] == ["no_final_newline"]


def test_mixed_encodings_quarantine_the_foreign_line() -> None:
    rows = F.rows("EFn")
    lines = [("\t".join(F.header("EFn"))).encode("cp932")] + ["\t".join(r).encode("cp932") for r in rows]
    lines[4] = "\t".join(rows[3]).encode("utf-8")  # one UTF-8 line in a cp932 file
    r = read("EFn", b"\r\n".join(lines) + b"\r\n")
    assert r.encoding == "cp932" and r.accepted.num_rows == 8
    [f] = r.quarantined
    assert (f.line, f.reason_code) == (5, "undecodable") and "mixed encodings" in f.reason


def test_undecodable_bytes_on_a_row() -> None:
    rows = F.rows("H")
    data = F.render("H", rows)
    lines = data.split(b"\r\n")
    lines[3] = lines[3].replace(b"ASS0013", b"ASS\x85\x4013")
    r = read("H", b"\r\n".join(lines))
    [f] = r.quarantined
    assert (f.line, f.reason_code) == (4, "undecodable") and "not valid cp932" in f.reason


ROW_FAULTS = [
    # kind, row index, column, value, reason code
    ("EFn", 0, "sequence_no", "00a1", "not_numeric"),
    ("EFn", 1, "quantity", "1.23456", "not_numeric"),
    ("EFn", 0, "admission_date", "20240230", "invalid_date"),
    ("EFn", 0, "data_category", "99", "unknown_code"),
    ("EFn", 0, "data_category", "93", "unknown_code"),  # 93 is D's alone (p199 vs p200)
    ("D", 0, "data_id", "", "missing_value"),
    ("D", 0, "data_id", "12345", "invalid_data_id"),  # 10 digits (p20, p199)
    ("D", 0, "data_category", "12", "unknown_code"),  # 12 再診 is outpatient only (p199 ※1)
    ("H", 0, "service_date", "2024041", "invalid_date"),
    ("H", 1, "version", "20240601", "unknown_version"),  # TAR0010 is a 20180401 item (p147, p150)
    ("EFg", 0, "birth_date", "20250101", "invalid_date"),
    ("EFg", 1, "detail_flags", "0000100000", "invalid_detail_flags"),  # 12 digits (p206)
    ("K", 0, "sex", "3", "unknown_code"),  # 1 or 2 (p154)
    ("FF4", 0, "non_insurance_combination", "6", "unknown_code"),  # 1–5 (p140)
]
# a fault in a field of the act's key (EF: the E record and its F records are one act) quarantines the whole act
ACT_FAULTS = [
    ("EFn", 0, "discharge_date", "20240301", "discharge_before_admission"),
    ("EFn", 2, "service_date", "20240501", "service_date_outside_month"),
    ("EFn", 0, "facility_code", "131000002", "facility_mismatch"),
]


@pytest.mark.parametrize(("kind", "idx", "column", "value", "code"), ROW_FAULTS)
def test_row_level_faults_are_quarantined_with_their_reason(kind, idx, column, value, code) -> None:
    rows = F.rows(kind)
    rows[idx][LAYOUTS[kind].names.index(column)] = value
    r = read(kind, F.render(kind, rows))
    [f] = r.quarantined
    first = 1 if LAYOUTS[kind].title_row == "none" else 2
    assert (f.line, f.column, f.reason_code) == (idx + first, column, code)
    assert r.accepted.num_rows == len(rows) - 1
    names = LAYOUTS[kind].names
    assert f.raw_line.split(LAYOUTS[kind].delimiter)[names.index("data_id")] == rows[idx][names.index("data_id")]


def _line(kind: str, rows: list[list[str]], idx: int) -> str:
    return LAYOUTS[kind].delimiter.join(rows[idx])


@pytest.mark.parametrize(("kind", "idx", "column", "value", "code"), ACT_FAULTS)
def test_a_fault_in_an_acts_key_quarantines_the_whole_act(kind, idx, column, value, code) -> None:
    rows = F.rows(kind)
    rows[idx][LAYOUTS[kind].names.index(column)] = value
    r = read(kind, F.render(kind, rows))
    by_line = {f.line: f for f in r.quarantined}
    assert (by_line[idx + 2].column, by_line[idx + 2].reason_code) == (column, code)
    # the act of rows 0–2 (E record 000 and F records 001, 002): the others follow with act_key_fault
    assert sorted(by_line) == [2, 3, 4]
    assert {f.reason_code for ln, f in by_line.items() if ln != idx + 2} == {"act_key_fault"}
    assert all(f"line {idx + 2} of the same act" in f.reason for ln, f in by_line.items() if ln != idx + 2)
    assert r.accepted.num_rows == len(rows) - 3


def test_a_fault_in_a_form_key_quarantines_the_whole_form() -> None:
    """様式1: a form is every record with the same header part (p19); a key fault quarantines all of them."""
    rows = F.rows("FF1")
    rows[1][LAYOUTS["FF1"].names.index("facility_code")] = "131000002"
    r = read("FF1", F.render("FF1", rows))
    assert [(f.line, f.reason_code) for f in r.quarantined] == [
        (2, "form_key_fault"),
        (3, "facility_mismatch"),
        (4, "form_key_fault"),
        (5, "form_key_fault"),
    ]
    assert r.accepted.num_rows == len(rows) - 4


def test_a_forbidden_payload_value_nulls_the_field_and_keeps_the_record() -> None:
    """A payload the specification forbids (here an impossible birth date, p21/p42) is nulled with a finding."""
    rows = F.rows("FF1")
    rows[0][LAYOUTS["FF1"].names.index("payload_1")] = "19451301"
    r = read("FF1", F.render("FF1", rows))
    assert r.quarantined == [] and r.accepted.num_rows == len(rows)
    [f] = r.field_findings
    assert (f.line, f.column, f.reason_code) == (2, "payload_1", "payload_invalid_date")
    assert "19451301" not in f.reason  # a birth date is not repeated in findings
    assert r.accepted["payload_1"][0].as_py() == ""


def test_everything_the_specification_allows_is_accepted() -> None:
    """NULL (any case) as empty (p228, p215), partly unknown birth dates (p42, p201), A/B forms (p40), D 01/94
    rows with negative adjustment points (p193–194), 外来 SY rows with a yyyymm00 visit month and an earlier
    診療開始日 (p201–204), the 7-digit 傷病名コード 0000999 (p201 (6))."""
    ff1 = F.rows("FF1")
    names = LAYOUTS["FF1"].names
    ff1[0][names.index("payload_1")] = "19450000"
    for r in ff1[:3]:
        r[names.index("parent_info_no")] = "A"
    d = F.rows("D")
    dn = LAYOUTS["D"].names
    d[1][dn.index("data_category")] = "94"
    d[1][dn.index("act_points")] = "-120"
    d[2][dn.index("data_category")] = "01"
    d[2][dn.index("interpretation_no")] = "Null"
    efg = F.rows("EFg")
    gn = LAYOUTS["EFg"].names
    sy = efg[0]
    sy[gn.index("data_category")] = "SY"
    sy[gn.index("visit_date")] = "20240400"
    sy[gn.index("service_date")] = "20231115"
    sy[gn.index("receipt_code")] = "0000999"
    efg[1][gn.index("birth_date")] = "19500000"
    efn = F.rows("EFn")
    en = LAYOUTS["EFn"].names
    efn[1][en.index("act_points")] = "NULL"
    efn[2][en.index("receipt_code")] = "null"
    for kind, rows in (("FF1", ff1), ("D", d), ("EFg", efg), ("EFn", efn)):
        r = read(kind, F.render(kind, rows))
        assert (r.quarantined, r.field_findings, r.warnings) == ([], [], []), kind
        assert r.accepted.num_rows == len(rows), kind
    r = read("D", F.render("D", d))
    assert r.accepted["act_points"][1].as_py() == "-120" and r.accepted["interpretation_no"][2].as_py() == ""
    r = read("EFn", F.render("EFn", efn))
    assert r.accepted["act_points"][1].as_py() == "" and r.accepted["receipt_code"][2].as_py() == ""
    r = read("EFg", F.render("EFg", efg))
    assert r.accepted["receipt_code"][0].as_py() == "0000999"


def test_admission_before_delivery_month_is_fine() -> None:
    rows = F.rows("EFn")
    rows[0][LAYOUTS["EFn"].names.index("admission_date")] = "20240320"  # stays span months
    assert read("EFn", F.render("EFn", rows)).quarantined == []


def test_duplicate_rows() -> None:
    rows = F.rows("D")
    r = read("D", F.render("D", rows + [rows[0]]))
    [f] = r.quarantined
    assert (f.line, f.reason_code, f.reason) == (5, "duplicate_row", "the row repeats line 2 exactly")


def test_raw_line_is_pseudonymised_when_a_key_is_given() -> None:
    rows = F.rows("EFn")
    rows[0][LAYOUTS["EFn"].names.index("data_category")] = "99"
    r = read("EFn", F.render("EFn", rows), key=b"secret")
    [f] = r.quarantined
    assert F.PATIENTS[0] not in f.raw_line and len(f.raw_line.split("\t")[1]) == 64


def test_unknown_prefix_and_configured_prefixes(monkeypatch) -> None:
    data = F.render("D", F.rows("D"))
    with pytest.raises(FileRejected, match="unknown file kind"):
        read_delivered_file("DPC_131000001_2404.txt", data)
    monkeypatch.setenv("DPC_FILE_PREFIXES", "D=DPC")
    assert file_prefixes()["D"] == ("DPC",)
    assert read_delivered_file("dpc_131000001_2404.txt", data).kind == "D"  # case-insensitive


def test_a_required_value_too_wide_is_quarantined() -> None:
    """病棟コード is required and 10 wide (p146 prints none; EF's p197 E-22): 12 bytes quarantine the row."""
    rows = F.rows("H")
    rows[0][LAYOUTS["H"].names.index("ward_code")] = "W" * 12
    r = read("H", F.render("H", rows))
    assert r.accepted.num_rows == 5 and r.warnings == []
    [f] = r.quarantined
    assert (f.line, f.column, f.reason_code) == (2, "ward_code", "value_too_wide")
    assert f.reason == "病棟コード has 12 bytes in cp932, the specification allows 10 (p146)"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(KINDS),
    data=st.one_of(
        st.binary(max_size=600),
        st.lists(
            st.sampled_from(
                [b"\t", b"\r\n", b"\n", b"0", b"2024", b"\x82\xa0", b"\xe3\x81\x82", b"\xff", b"131000001"]
            ),
            max_size=200,
        ).map(b"".join),
    ),
)
def test_arbitrary_bytes_never_crash(kind: str, data: bytes) -> None:
    try:
        r = read(kind, data)
    except FileRejected as exc:
        assert str(exc).startswith(F.file_name(kind) + ":")
        return
    assert r.data_rows == count_data_rows(data)
    assert r.accepted.num_rows + len(r.quarantined) == r.data_rows


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_mutated_valid_files_reconcile(data) -> None:
    kind = data.draw(st.sampled_from(KINDS))
    raw = bytearray(F.render(kind, F.rows(kind), title=data.draw(st.sampled_from([None, "current"]))))
    for _ in range(data.draw(st.integers(0, 5))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    try:
        r = read(kind, bytes(raw))
    except FileRejected:
        return
    assert r.accepted.num_rows + len(r.quarantined) == r.data_rows == count_data_rows(bytes(raw))


def test_old_fixed_width_d_record_is_read_and_its_quarantine_line_pseudonymised() -> None:
    """The D record before 医療機関別係数 became 6 wide (p199 D-30) had 7 bytes there: still read; a quarantined
    line of it shows the pseudonym in place of データ識別番号, cut by that record's own widths."""
    from dpc.pseudonymise import patient_key

    rows = F.rows("D")
    rows[1][LAYOUTS["D"].names.index("facility_code")] = "131000002"  # another facility: quarantined
    data = b"".join(F.fixed_width("D", r) + b" \r\n" for r in rows)  # one byte more: the 7-wide coefficient
    r = read("D", data, key=b"k" * 32)
    assert r.layout_variant == "fixed-width-legacy" and r.accepted.num_rows == 2
    assert r.accepted["hospital_coefficient"][0].as_py() == "1.4382"
    [f] = r.quarantined
    pid = rows[1][LAYOUTS["D"].names.index("data_id")]
    assert pid not in f.raw_line and patient_key(F.FACILITY, pid, b"k" * 32) in f.raw_line


def test_a_shifted_line_in_quarantine_shows_no_identifier_in_any_column() -> None:
    """A line with one column too many (an ID shifted out of its place, here an alphanumeric one the 10-digit rule
    would not catch): quarantined with only empty fields, short codes and the pseudonym shown (issue 25, item 2)."""
    rows = F.rows("EFn")
    names = LAYOUTS["EFn"].names
    shifted = list(rows[0])
    shifted.insert(names.index("data_id"), "AB12345678")  # a hospital's own alphanumeric number, one column early
    lines = [shifted] + rows[1:]
    data = ("\r\n".join("\t".join(r) for r in [F.header("EFn"), *lines]) + "\r\n").encode("cp932")
    r = read("EFn", data, key=b"k" * 32, expected_facility=F.FACILITY)
    [f] = r.quarantined
    assert f.reason_code == "wrong_column_count"
    assert "AB12345678" not in f.raw_line and rows[0][names.index("data_id")] not in f.raw_line
    assert all(len(v) <= 5 or v == "***" or len(v) == 64 for v in f.raw_line.split("\t")), f.raw_line
