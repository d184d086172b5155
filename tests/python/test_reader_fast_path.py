"""The readers' Arrow fast path (dpc.readers.read._read_tsv_fast) must give exactly what the line-by-line path gives.

Every case reads the same bytes twice — as is, and with the fast path switched off — and compares the whole
ReadResult: accepted rows, quarantined findings (line, column, reason, pseudonymised raw line), warnings and the
file facts. Cases cover clean files in every accepted shape and the row-level faults the fast path checks itself;
structural faults (wrong column count, repeated lines, mixed line ends) must make it step aside.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pytest

from dpc.generate import generate
from dpc.readers import read as readers
from dpc.steps.normalise import typed_table

KEY = b"fast-path-test-key"
EF_COLS = {name: i for i, name in enumerate(readers.LAYOUTS["EFn"].names)}


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, bytes]]:
    (d,) = generate(tmp_path_factory.mktemp("lake"), seed=11, facilities=1, months=1, admissions_per_month=12)
    return {p.name.split("_")[0]: (p.name, p.read_bytes()) for p in sorted(d.path.glob("*.txt"))}


def _read(name: str, data: bytes, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> readers.ReadResult:
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(readers, "_read_tsv_fast", lambda *a, **k: None)
        return readers.read_delivered_file(name, data, key=KEY)


def _same(a: readers.ReadResult, b: readers.ReadResult) -> None:
    assert a.accepted.combine_chunks().equals(b.accepted.combine_chunks())
    assert a.quarantined == b.quarantined
    assert a.warnings == b.warnings
    assert a.field_findings == b.field_findings
    facts = ("kind", "layout_variant", "encoding", "header", "line_ending", "data_rows", "facility_code", "yyyymm")
    assert [getattr(a, f) for f in facts] == [getattr(b, f) for f in facts]


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Records whether the fast path produced the result (True) or stepped aside (False)."""
    taken: list[bool] = []
    original = readers._read_tsv_fast

    def spy(*args: object, **kwargs: object) -> object:
        out = original(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(readers, "_read_tsv_fast", spy)
    return taken


def _edit_ef(data: bytes, edits: dict[int, Callable[[list[bytes]], None]]) -> bytes:
    """Apply edits to data lines (1-based physical line numbers; line 1 is the title row)."""
    lines = data.split(b"\r\n")
    for ln, edit in edits.items():
        fields = lines[ln - 1].split(b"\t")
        edit(fields)
        lines[ln - 1] = b"\t".join(fields)
    return b"\r\n".join(lines)


def _set(column: str, value: str) -> Callable[[list[bytes]], None]:
    def edit(fields: list[bytes]) -> None:
        fields[EF_COLS[column]] = value.encode("cp932")

    return edit


@pytest.mark.parametrize("kind", ["FF1", "EFn", "Dn", "Hn"])
def test_clean_files_take_the_fast_path_and_match(kind: str, delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    name, data = delivery[kind]
    slow = _read(name, data, fast=False, monkeypatch=monkeypatch)
    taken = _spy(monkeypatch)
    fast = readers.read_delivered_file(name, data, key=KEY)
    assert taken == [True]
    assert fast.accepted.num_rows == fast.data_rows > 0 and not fast.quarantined
    _same(fast, slow)


@pytest.mark.parametrize(
    "shape",
    ["utf-8", "utf-8-bom", "no-header", "lf", "no-final-newline"],
)
def test_other_accepted_shapes_match(shape: str, delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    name, data = delivery["EFn"]
    if shape == "utf-8":
        data = data.decode("cp932").encode("utf-8")
    elif shape == "utf-8-bom":
        data = b"\xef\xbb\xbf" + data.decode("cp932").encode("utf-8")
    elif shape == "no-header":
        data = data.split(b"\r\n", 1)[1]
    elif shape == "lf":
        data = data.replace(b"\r\n", b"\n")
    elif shape == "no-final-newline":
        data = data.removesuffix(b"\r\n")
    taken = _spy(monkeypatch)
    fast = readers.read_delivered_file(name, data, key=KEY)
    assert taken == [True]
    _same(fast, _read(name, data, fast=False, monkeypatch=monkeypatch))


def test_row_faults_are_quarantined_alike(delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    name, data = delivery["EFn"]
    bad = _edit_ef(
        data,
        {
            3: _set("service_date", "20240231"),  # not a date
            4: _set("data_category", "99"),  # not a code of the list
            5: _set("act_count", "１"),  # a full-width digit (2 cp932 bytes, within the width): not an integer
            6: _set("ffs_points", "12.3.4"),  # not a decimal
            7: _set("facility_code", "999999999"),  # another facility
            8: _set("service_date", "20240615"),  # outside the delivery month (April)
            9: _set("item_name", "  あいう  "),  # padded text: right-trimmed only
            10: _set("insurer_no", "  200055"),  # space-padded insurer number kept
            11: _set("data_category", " 60 "),  # padded code: trimmed
            12: _set("hospital_master_code", "X" * 20),  # too wide, optional: the field nulled, the row kept
        },
    )
    taken = _spy(monkeypatch)
    fast = readers.read_delivered_file(name, bad, key=KEY, expected_yyyymm=202404, expected_facility="131000017")
    assert taken == [True]
    slow = _read(name, bad, fast=False, monkeypatch=monkeypatch)
    _same(fast, slow)
    reasons = {f.line: f.reason_code for f in fast.quarantined}
    assert reasons == {
        2: "act_key_fault",  # line 3's 実施年月日 is in its act's key: the act's E record goes with it
        3: "invalid_date",
        4: "unknown_code",
        5: "not_numeric",
        6: "not_numeric",
        7: "facility_mismatch",
        8: "service_date_outside_month",
    }
    assert all(len(f.raw_line.split("\t")[1]) == 64 for f in fast.quarantined)  # the pseudonym, not the id
    assert fast.warnings == []
    assert [(f.line, f.column, f.reason_code) for f in fast.field_findings] == [
        (12, "hospital_master_code", "field_too_wide")
    ]
    rows = {ln: i for i, ln in enumerate(fast.accepted["line_number"].to_pylist())}
    assert fast.accepted["item_name"][rows[9]].as_py() == "  あいう"
    assert fast.accepted["insurer_no"][rows[10]].as_py() == "  200055"
    assert fast.accepted["data_category"][rows[11]].as_py() == "60"
    assert fast.accepted["hospital_master_code"][rows[12]].as_py() == ""  # nulled: never staged
    # what was accepted types cleanly (a full-width number used to pass the check and break the cast)
    from datetime import UTC, datetime

    typed = typed_table(fast, KEY, yyyymm=202404, source_file=name, load_id="t", loaded_at=datetime.now(UTC))
    assert typed.num_rows == fast.accepted.num_rows and typed.schema.field("act_count").type == pa.int64()


@pytest.mark.parametrize(
    "fault",
    [
        "wrong_column_count",
        "too_few_columns",
        "duplicate_row",
        "mixed_line_ends",
        "empty_line",
        "cr_inside",
        "cr_cr_lf",
    ],
)
def test_structural_faults_step_aside(fault: str, delivery, monkeypatch: pytest.MonkeyPatch) -> None:
    name, data = delivery["EFn"]
    lines = data.split(b"\r\n")
    if fault == "wrong_column_count":
        lines[4] = lines[4] + b"\textra"
    elif fault == "duplicate_row":
        lines.insert(5, lines[4])
    elif fault == "too_few_columns":
        lines[4] = lines[4].rsplit(b"\t", 1)[0]
    elif fault == "empty_line":
        lines.insert(5, b"")
    elif fault == "cr_inside":  # a bare carriage return inside a line (a stray line break in a name)
        lines[4] = lines[4].replace(b"\t", b"\r", 1)
    elif fault == "cr_cr_lf":
        lines[4] = lines[4] + b"\r"
    data = b"\r\n".join(lines)
    if fault == "mixed_line_ends":
        data = data.replace(b"\r\n", b"\n", 3)
    taken = _spy(monkeypatch)
    fast = readers.read_delivered_file(name, data, key=KEY)
    assert not any(taken)
    _same(fast, _read(name, data, fast=False, monkeypatch=monkeypatch))
    if fault not in ("mixed_line_ends", "cr_cr_lf"):
        assert fast.quarantined
