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
EXPECTED_ROWS = {"FF1": 11, "EFn": 9, "EFg": 9, "D": 3, "H": 6}


def read(kind: str, data: bytes, **kw):
    return read_delivered_file(F.file_name(kind), data, **kw)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_variant_reads_with_exact_counts(kind: str, variant: str) -> None:
    kw, encoding, header, ending, layout = VARIANTS[variant]
    data = F.render(kind, F.rows(kind), **kw)
    r = read(kind, data)
    if kind == "H" and encoding == "cp932" and not header:
        encoding = "ascii"  # an H file without title row is pure ASCII
    assert (r.kind, r.encoding, r.header, r.line_ending, r.layout_variant) == (kind, encoding, header, ending, layout)
    assert r.data_rows == EXPECTED_ROWS[kind] == count_data_rows(data)
    assert r.accepted.num_rows == EXPECTED_ROWS[kind]
    assert r.quarantined == [] and r.warnings == []
    first = 2 if header else 1
    assert r.accepted["line_number"].to_pylist() == list(range(first, first + EXPECTED_ROWS[kind]))


def test_2015_header_names_are_detected() -> None:
    r = read("EFn", F.render("EFn", F.rows("EFn"), title="2015"))
    assert r.layout_variant == "tsv-2015-header" and r.accepted.num_rows == 9


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
    ("EFn", 0, "discharge_date", "20240301", "discharge_before_admission"),
    ("EFn", 2, "service_date", "20240501", "service_date_outside_month"),
    ("EFn", 0, "facility_code", "131000002", "facility_mismatch"),
    ("EFn", 0, "data_category", "99", "unknown_code"),
    ("D", 0, "data_id", "", "missing_value"),
    ("H", 0, "service_date", "2024041", "invalid_date"),
    ("FF1", 0, "payload_1", "19451301", "invalid_date"),
    ("EFg", 0, "birth_date", "20250101", "invalid_date"),
]


@pytest.mark.parametrize(("kind", "idx", "column", "value", "code"), ROW_FAULTS)
def test_row_level_faults_are_quarantined_with_their_reason(kind, idx, column, value, code) -> None:
    rows = F.rows(kind)
    rows[idx][LAYOUTS[kind].names.index(column)] = value
    r = read(kind, F.render(kind, rows))
    [f] = r.quarantined
    assert (f.line, f.column, f.reason_code) == (idx + 2, column, code)
    assert r.accepted.num_rows == len(rows) - 1
    assert (
        f.raw_line.split("\t")[LAYOUTS[kind].names.index("data_id")] == rows[idx][LAYOUTS[kind].names.index("data_id")]
    )


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


def test_value_too_wide_is_a_warning() -> None:
    rows = F.rows("H")
    rows[0][LAYOUTS["H"].names.index("payload_1")] = "12345"
    r = read("H", F.render("H", rows))
    assert r.accepted.num_rows == 6 and [w.reason_code for w in r.warnings] == ["value_too_wide"]


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
