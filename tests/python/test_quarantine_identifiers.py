"""Nothing identifying in quarantine (issue 25, item 2; docs/decisions/0003): for every file kind, lines carrying
every identifying field of that kind at once, with recognisable clear values, go through the normaliser; none of
those values appears in any quarantine column, stage file, finding or the run's summary, while the line number,
the reason and the pseudonymised or redacted forms are kept.

The identifying fields per kind, from the specification: データ識別番号 in every kind (p20, p140, p146, p154, p197);
様式1 A000010's 生年月日 and 郵便番号 (payloads 1 and 3, p21); EF/D 保険者番号 (p197 E-16, p199 D-16, p200 EF-22);
外来EF 生年月日 (p201 EF-3); K生成用データ's カナ氏名, 生年月日, 保険者番号, 被保険者記号, 被保険者番号 and 枝番 (p154).
Each kind gets three quarantined lines: (1) the clear 10-digit データ識別番号 and the other identifiers, faulted in
a field that identifies nothing (or, where the kind has one, by an invalid 生年月日 — never quoted in a reason);
(2) the same with an alphanumeric データ識別番号 (``invalid_data_id``); (3) a line with one column too many, the
alphanumeric ID shifted in front of データ識別番号. Pure Python, tiny inputs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dpc.layouts import KIND_SLUG, LAYOUTS
from dpc.pseudonymise import patient_key
from dpc.steps.normalise import normalise_delivery
from dpc.storage import STAGE_FILE, LocalStorage, load_prefix

try:  # tests/ is a package in this repository; plain rootdir-relative import otherwise
    from tests.python import fixtures_dpc as F
except ImportError:  # pragma: no cover
    import fixtures_dpc as F  # type: ignore[no-redef]

KEY = b"quarantine-matrix-key-not-a-real-one"
PID = "9876543210"  # a clear データ識別番号
ALNUM = "XQ7654321Z"  # a hospital's alphanumeric number where データ識別番号 belongs
BAD_BIRTH = "19990231"  # 31 February: an invalid birth date
BIRTH = "19870615"
POSTAL = "9876501"
INSURER = "39876543"
KANA = "ﾃｽﾄﾀﾛｳ"
SYMBOL = "ｷｺﾞｳ987"
NUMBER = "HN55501"
BRANCH = "Z9"

# kind → (identifying field → clear value), the fault of line 1 (field, value) and its reason code
IDENTIFYING: dict[str, dict[str, str]] = {
    "FF1": {"data_id": PID, "payload_1": BIRTH, "payload_3": POSTAL},
    "FF4": {"data_id": PID},
    "H": {"data_id": PID},
    "EFn": {"data_id": PID, "insurer_no": INSURER},
    "EFg": {"data_id": PID, "birth_date": BAD_BIRTH, "insurer_no": INSURER},
    "D": {"data_id": PID, "insurer_no": INSURER},
    "K": {
        "data_id": PID,
        "kana_name": KANA,
        "birth_date": BAD_BIRTH,
        "insurer_no": INSURER,
        "insured_symbol": SYMBOL,
        "insured_number": NUMBER,
        "branch_no": BRANCH,
    },
}
FAULT: dict[str, tuple[str, str, str]] = {
    "FF1": ("admission_seq", "X", "not_numeric"),  # in the form's key: the whole form
    "FF4": ("non_insurance_combination", "9", "unknown_code"),
    "H": ("seq", "X", "not_numeric"),
    "EFn": ("facility_code", "131000002", "facility_mismatch"),
    "EFg": ("birth_date", BAD_BIRTH, "invalid_date"),  # the invalid birth date is the reason
    "D": ("facility_code", "131000002", "facility_mismatch"),
    "K": ("birth_date", BAD_BIRTH, "invalid_date"),
}


def _line(kind: str, data_id: str) -> list[str]:
    names = LAYOUTS[kind].names
    base = next(r for r in F.rows(kind) if kind != "FF1" or r[names.index("item_code")] == "A000010")
    row = list(base) + [""] * (len(names) - len(base))  # K: 枝番 may have been left out
    for name, value in IDENTIFYING[kind].items():
        row[names.index(name)] = value
    row[names.index("data_id")] = data_id
    field, value, _code = FAULT[kind]
    row[names.index(field)] = value
    return row


def _texts(lake: Path) -> str:
    """Every byte the normaliser wrote outside raw/, Parquet read back as values too."""
    out = []
    for p in sorted(lake.rglob("*")):
        if not p.is_file() or "raw" in p.relative_to(lake).parts:
            continue
        out.append(p.read_bytes().decode("utf-8", errors="replace"))
        if p.suffix == ".parquet":
            out.append(json.dumps(pq.read_table(p).to_pylist(), ensure_ascii=False, default=str))
    return "\n".join(out)


@pytest.mark.parametrize("kind", list(LAYOUTS))
def test_a_quarantined_line_of_every_kind_keeps_no_identifying_value(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DPC_LINK_KEY", "cd" * 32)
    names = LAYOUTS[kind].names
    clear = _line(kind, PID)
    alnum = _line(kind, ALNUM)
    shifted = list(alnum)
    shifted.insert(names.index("data_id"), ALNUM)
    good = F.rows(kind)
    lines = [*good, clear, alnum, shifted]
    F.write_delivery(tmp_path, {F.file_name(kind): F.render(kind, lines)})
    storage = LocalStorage(tmp_path)
    at = datetime(2024, 5, 2, tzinfo=UTC)
    result = normalise_delivery(storage, storage, F.FACILITY, F.YYYYMM, key=KEY, load_id="load-1", loaded_at=at)

    first = len(good) + (1 if LAYOUTS[kind].title_row != "none" else 0) + 1  # physical line of `clear`
    slug = f"quarantine_{KIND_SLUG[kind]}"
    q = pq.read_table(tmp_path / load_prefix(slug, F.FACILITY, F.YYYYMM, "load-1") / STAGE_FILE).to_pylist()
    by_line = {r["line_number"]: r for r in q}
    # the line number and the reason are kept
    assert by_line[first]["reason_code"] == FAULT[kind][2] and by_line[first]["reason"]
    assert by_line[first + 1]["reason_code"] == "invalid_data_id"
    assert by_line[first + 2]["reason_code"] == "wrong_column_count"
    # the pseudonymised and redacted forms are kept
    assert patient_key(F.FACILITY, PID, KEY) in by_line[first]["raw_line"]
    assert patient_key(F.FACILITY, ALNUM, KEY) in by_line[first + 1]["raw_line"]
    for r in (by_line[first], by_line[first + 1]):
        shown = r["raw_line"].split(LAYOUTS[kind].delimiter)
        for name in IDENTIFYING[kind]:
            if name != "data_id":
                assert shown[names.index(name)] == "***", (name, r["raw_line"])
    # no clear value anywhere: quarantine (every column), stage, findings, the summary
    values = {v for v in IDENTIFYING[kind].values()} | {ALNUM}
    written = _texts(tmp_path) + json.dumps(result.as_dict(), ensure_ascii=False, default=str)
    leaks = [v for v in values if v in written]
    assert not leaks, leaks
    for r in q:
        assert not [v for v in values if v in json.dumps(r, ensure_ascii=False, default=str)], r


def test_an_invalid_birth_date_is_never_written_into_a_reason() -> None:
    """生年月日 faults in every place one is delivered: 外来EF EF-3 and K (row reasons, p201, p154), 様式1 A000010
    ペイロード1 (a nulled payload, p21): the reason says what is wrong, never the value."""
    from dpc.readers import read_delivered_file

    seen = []
    for kind, column in (("EFg", "birth_date"), ("K", "birth_date"), ("FF1", "payload_1")):
        rows = F.rows(kind)
        names = LAYOUTS[kind].names
        i = next(i for i, r in enumerate(rows) if kind != "FF1" or r[names.index("item_code")] == "A000010")
        rows[i][names.index(column)] = BAD_BIRTH
        r = read_delivered_file(F.file_name(kind), F.render(kind, rows), key=KEY, expected_facility=F.FACILITY)
        findings = [*r.quarantined, *r.field_findings]
        assert [f.column for f in findings] == [column], kind
        assert all(BAD_BIRTH not in f.reason and BAD_BIRTH not in f.raw_line for f in findings), findings
        seen.append(findings[0].reason_code)
    assert seen == ["invalid_date", "invalid_date", "payload_invalid_date"]
