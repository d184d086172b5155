"""Widths and bytes as the specification bounds them (issue 25, item 5): a value longer than its column's width
counted in cp932 bytes — whichever encoding the file came in — and a control character inside a field are
findings. In a key, required or データ識別番号 column the row is quarantined (with its unit); elsewhere the field is
nulled with a finding (docs/decisions/0025). 可変長 fields (様式1 ペイロード9 p20, H ペイロード19–20 p146) have no
width. Nothing of the value reaches stage, a reason or the terminal. Pure Python, tiny inputs."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import pytest

from dpc.layouts import LAYOUTS
from dpc.readers import read_delivered_file

try:  # tests/ is a package in this repository; plain rootdir-relative import otherwise
    from tests.python import fixtures_dpc as F
except ImportError:  # pragma: no cover
    import fixtures_dpc as F  # type: ignore[no-redef]

KEY = b"widths-key-not-a-real-one"


def read(kind: str, rows: list[list[str]], **render_kw: object):
    return read_delivered_file(
        F.file_name(kind), F.render(kind, rows, **render_kw), key=KEY, expected_facility=F.FACILITY
    )


def _set(kind: str, rows: list[list[str]], i: int, column: str, value: str) -> None:
    rows[i][LAYOUTS[kind].names.index(column)] = value


def test_widths_are_the_specifications_for_every_column() -> None:
    """Every layout column has a positive width; the EF/D fixed-width records add up to the 桁数 columns' totals
    (p199 D-30: 446, p200 EF-31: 451); exactly the 可変長 fields are variable (p20, p146)."""
    assert all(c.width > 0 for lay in LAYOUTS.values() for c in lay.columns)
    assert sum(LAYOUTS["EFn"].widths) == 451 and sum(LAYOUTS["D"].widths) == 446
    variable = {(k, c.name) for k, lay in LAYOUTS.items() for c in lay.columns if c.variable}
    assert variable == {("FF1", "payload_9"), ("H", "payload_19"), ("H", "payload_20")}
    k = {c.name: c.width for c in LAYOUTS["K"].columns}  # p154
    assert (k["kana_name"], k["insured_symbol"], k["insured_number"], k["branch_no"]) == (160, 38, 38, 2)


def test_over_width_in_a_key_column_quarantines_the_whole_act() -> None:
    """行為明細番号 is 3 wide (p200 EF-7) and a key field: 4 digits on an F record quarantine it, its E record and
    the act's other F record (docs/decisions/0025)."""
    rows = F.rows("EFn")
    _set("EFn", rows, 1, "detail_no", "0001")
    r = read("EFn", rows)
    reasons = {(f.line, f.reason_code) for f in r.quarantined}
    assert reasons == {(3, "value_too_wide"), (2, "act_key_fault"), (4, "act_key_fault")}
    [f] = [f for f in r.quarantined if f.reason_code == "value_too_wide"]
    assert (f.column, f.reason) == ("detail_no", "行為明細番号 has 4 bytes in cp932, the specification allows 3 (p200)")


def test_within_width_in_characters_but_over_in_cp932_bytes_nulls_an_optional_field() -> None:
    """診療明細名称 is 254 bytes (最大漢字 127 文字, p200 EF-11): 128 full-width characters are 128 characters but 256
    cp932 bytes. Optional, so the field is nulled, the row kept, and the finding says the bytes, not the value."""
    rows = F.rows("EFn")
    _set("EFn", rows, 0, "item_name", "あ" * 128)
    r = read("EFn", rows)
    assert r.quarantined == [] and r.accepted.num_rows == 9
    [f] = r.field_findings
    assert (f.line, f.column, f.reason_code) == (2, "item_name", "field_too_wide")
    assert f.reason == "診療明細名称 has 256 bytes in cp932, the specification allows 254 (p200)"
    assert r.accepted["item_name"][0].as_py() == ""


@pytest.mark.parametrize(
    ("value", "encoding"),
    [
        ("あ" * 127, "utf-8"),  # 254 cp932 bytes (381 in UTF-8): counted as cp932, so within the width
        ("ｱ" * 254, "utf-8"),  # half-width katakana are one cp932 byte each (762 in UTF-8)
        ("あ" * 127, "cp932"),
    ],
)
def test_widths_are_counted_in_cp932_whichever_the_files_encoding(value: str, encoding: str) -> None:
    rows = F.rows("EFn")
    _set("EFn", rows, 0, "item_name", value)
    r = read("EFn", rows, encoding=encoding)
    assert r.quarantined == [] and r.field_findings == [] and r.accepted["item_name"][0].as_py() == value


def test_a_variable_length_field_is_accepted_beyond_any_width() -> None:
    """様式1 ペイロード9 and H ペイロード19 are 可変長文字列 (p20, p146): 300 full-width characters are kept."""
    ff1 = F.rows("FF1")
    i = next(i for i, r in enumerate(ff1) if r[5] == "A006010")  # 主傷病名 in ペイロード9 (p26)
    _set("FF1", ff1, i, "payload_9", "傷" * 300)
    r = read("FF1", ff1)
    assert r.quarantined == [] and r.field_findings == []
    assert "傷" * 300 in r.accepted["payload_9"].to_pylist()


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\r", "\x7f", "\x85", "\x9b"])
def test_a_control_character_in_an_optional_field_is_nulled_with_a_finding(char: str) -> None:
    """NUL, BEL, ESC, a lone CR, DEL and C1 (NEL, CSI) in 診療行為名称 (D, p199): nulled, found, never staged."""
    rows = F.rows("D")
    _set("D", rows, 0, "act_name", f"ＤＰＣ{char}[2J包括")
    r = read("D", rows, encoding="utf-8")  # C1 characters exist in UTF-8 files only
    assert r.quarantined == [] and r.accepted.num_rows == 3
    [f] = r.field_findings
    assert (f.line, f.column, f.reason_code) == (2, "act_name", "field_control_character")
    assert f"U+{ord(char):04X}" in f.reason and char not in f.reason
    assert r.accepted["act_name"][0].as_py() == ""
    assert not any(char in (v or "") for col in r.accepted.columns for v in col.to_pylist() if isinstance(v, str))


def test_a_nul_inside_the_data_id_quarantines_the_row_and_reaches_no_output() -> None:
    rows = F.rows("FF4")
    _set("FF4", rows, 0, "data_id", "00000\x0012345"[:10])
    r = read("FF4", rows)
    [f] = r.quarantined
    assert (f.line, f.column, f.reason_code) == (1, "data_id", "control_character")
    assert f.reason == "データ識別番号 holds a control character (U+0000 at character 6): no field may (p140)"
    assert "\x00" not in f.raw_line and "\x00" not in f.reason
    assert r.accepted.num_rows == 1


def test_a_control_character_in_a_required_field_quarantines_and_is_escaped_in_the_raw_line() -> None:
    """A tab inside a K field (K is comma-separated, p154: no field holds a tab) and an ESC in H's required 病棟コード."""
    k = F.rows("K")
    k[0][LAYOUTS["K"].names.index("kana_name")] = "ﾔﾏﾀﾞ\tﾀﾛｳ"
    r = read("K", k)
    [f] = r.quarantined
    assert (f.column, f.reason_code) == ("kana_name", "control_character") and "ﾔﾏﾀﾞ" not in f.raw_line
    h = F.rows("H")
    _set("H", h, 0, "ward_code", "W\x1b[31m")
    r = read("H", h)
    [f] = r.quarantined
    assert (f.column, f.reason_code) == ("ward_code", "control_character")
    assert "\x1b" not in f.raw_line and "W\\x1b[31m" in f.raw_line


def test_a_20_mb_item_name_is_handled_in_bounded_time_and_output() -> None:
    """A 20 MB 診療明細名称 (optional: nulled) and a 1 MB 病棟コード (required: quarantined) in one file: read in
    seconds, no finding or quarantined line carries more than a few hundred characters of them."""
    huge = "X" * 20_000_000
    rows = F.rows("EFn")
    _set("EFn", rows, 0, "item_name", huge)
    _set("EFn", rows, 3, "ward_code", "W" * 1_000_000)
    data = F.render("EFn", rows, encoding="utf-8")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux: the process's peak so far
    started = time.perf_counter()
    r = read_delivered_file(F.file_name("EFn"), data, key=KEY, expected_facility=F.FACILITY)
    elapsed = time.perf_counter() - started
    # counting every value's bytes by regex took 38 s here; the bounded count takes about 2 s alone
    assert elapsed < 20, elapsed
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
    assert grown < 1_000_000, f"the peak memory grew by {grown} KiB reading a 21 MB file"
    assert [(f.line, f.reason_code) for f in r.field_findings] == [(2, "field_too_wide")]
    assert [(f.line, f.reason_code) for f in r.quarantined] == [(5, "value_too_wide")]
    q = r.quarantined[0]
    assert q.reason == "病棟コード has 1000000 bytes in cp932, the specification allows 10 (p200)"
    assert len(q.raw_line) < 2_000 and "…(1000000 characters)" in q.raw_line
    assert all(len(f.reason) < 200 for f in [*r.quarantined, *r.field_findings])
    assert max(len(v) for v in r.accepted["item_name"].to_pylist()) <= 254


def test_a_reason_never_quotes_more_than_a_few_characters_of_a_value() -> None:
    """A reason quotes at most 40 characters of a value, control characters escaped (a 1 MB value, an ESC)."""
    from dpc.readers.row_checks import quoted

    assert quoted("1" * 1_000_000) == repr("1" * 40) + "…(1000000 characters)"
    assert quoted("\x1b[2J") == repr("\x1b[2J")  # repr escapes control characters


def test_dpc_inspect_prints_paths_and_reasons_through_the_terminal_sanitiser(tmp_path: Path, capsys) -> None:
    from dpc.inspect import main_inspect

    path = tmp_path / f"{F.file_name('D')[:-4]}\x1b[2J\x9b31m.txt"
    path.write_bytes(F.render("D", F.rows("D")))
    bad = tmp_path / "EFn_131000001_2404\x1b]0;owned\x07.txt"
    bad.write_bytes(b"not\ta\tfile\r\n" * 3)
    assert main_inspect([str(path), str(bad)], as_json=False) == 2
    out = capsys.readouterr()
    assert "\\x1b[2J" in out.out and "\x1b" not in out.out + out.err and "\x9b" not in out.out + out.err
    assert "\x07" not in out.err and "rejected:" in out.err
    main_inspect([str(path)], as_json=True)
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\x9b" not in text and json.loads(text)[0]["path"] == str(path)


def test_dpc_validate_prints_file_names_through_the_terminal_sanitiser(tmp_path: Path, capsys) -> None:
    from dpc.cli import main

    folder = F.write_delivery(tmp_path, {F.file_name("D"): F.render("D", F.rows("D"))})
    (folder / "stray\x1b[2J.txt").write_bytes(b"x")
    (tmp_path / "raw" / "loose\x1b]0;t\x07.txt").write_bytes(b"x")
    main(["validate", "--lake", str(tmp_path)])
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err
    assert "loose\\x1b]0;t\\x07.txt" in out.err
