"""The synthetic DPC generator writes specification-exact files of every kind, and they read cleanly.

The authority is 令和7年度 DPC調査 実施説明資料 (/work/shared/dpc/spec); pages are cited as p146. The central test is
:func:`test_every_generated_file_reads_clean`: a small delivery set, every file read with the project's reader,
no quarantined row, no field finding, no warning. The other tests check what the reader does not: the rules that
tie rows together (an EF act's F rows sum to its E row, one D 93 row per billed day, the months in which 様式1
forms are delivered, K生成用データ covering the month's inpatients …) and that the awkward legal cases occur.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import statistics
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from dpc import code_lists, masters, payload_items
from dpc.generate import generate
from dpc.generate.corrupt import FAULTS, corrupt_delivery
from dpc.generate.forms import forms_of
from dpc.generate.records import k_rows
from dpc.generate.reference import CASEMIX, SEEDS_DIR, DpcCode
from dpc.generate.timeline import GENERAL, OTHER, Insurance, Patient, Segment, Stay, _chain_gap_ok
from dpc.kana import normalise_kana_name
from dpc.layouts import LAYOUTS, kind_for_filename
from dpc.manifest import has_title_row
from dpc.readers import FileRejected, read_delivered_file

KINDS = ("D", "EFg", "EFn", "FF1", "FF4", "H", "K")
SMALL = {"facilities": 1, "months": 2, "start_yyyymm": 202504, "admissions_per_month": 30, "seed": 3}
TINY = {"facilities": 2, "months": 3, "start_yyyymm": 202502, "admissions_per_month": 25}
MEDIUM = {"facilities": 3, "months": 4, "start_yyyymm": 202404, "admissions_per_month": 200, "seed": 7}


def _d(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _lines(path: Path, encoding: str = "cp932") -> list[str]:
    data = path.read_bytes()
    if not data:
        return []
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n"), "every line ends in CRLF"
    return data.decode(encoding).split("\r\n")[:-1]


def _rows(path: Path, encoding: str = "cp932") -> list[list[str]]:
    """Data rows as fields (title row dropped), split by the kind's delimiter."""
    layout = LAYOUTS[kind_for_filename(path.name)]
    lines = _lines(path, encoding)
    if lines and has_title_row(lines[0].encode(encoding)):
        lines = lines[1:]
    return [line.split(layout.delimiter) for line in lines]


def _files(lake: Path) -> dict[str, bytes]:
    return {p.relative_to(lake).as_posix(): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _kind_file(delivery, kind: str) -> Path:
    return next(p for p in delivery.path.iterdir() if kind_for_filename(p.name) == kind)


def _all_rows(deliveries, kind: str) -> list[list[str]]:
    return [r for d in deliveries for r in _rows(_kind_file(d, kind))]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("small")
    return generate(lake, **SMALL)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("tiny")
    return lake, generate(lake, **TINY)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("medium")
    return generate(lake, **MEDIUM)


def _read_clean(deliveries) -> Counter:
    """Read every delivered file as the normaliser does; fail on any quarantined row, field finding or warning."""
    rows: Counter = Counter()
    for d in deliveries:
        kinds = set()
        for entry in d.manifest["files"]:
            data = (d.path / entry["name"]).read_bytes()
            r = read_delivered_file(entry["name"], data, expected_facility=d.facility_code, expected_yyyymm=d.yyyymm)
            kinds.add(r.kind)
            assert r.quarantined == [], (entry["name"], r.reasons, r.quarantined[:3])
            assert r.field_findings == [], (entry["name"], r.field_findings[:3])
            assert r.warnings == [], (entry["name"], r.warning_reasons, r.warnings[:3])
            assert r.data_rows == entry["rows"] == r.accepted.num_rows, entry["name"]
            assert r.facility_code == d.facility_code and r.yyyymm == d.yyyymm
            assert r.encoding in ("cp932", "ascii") and r.line_ending in ("CRLF", "none")
            rows[r.kind] += r.data_rows
        assert sorted(kinds) == sorted(KINDS), (d.path, kinds)
    return rows


def test_every_generated_file_reads_clean(small) -> None:
    """1 facility × 2 months: every kind is delivered and reads with no quarantine, finding or warning."""
    rows = _read_clean(small)
    assert all(rows[k] > 0 for k in KINDS), rows


@pytest.mark.slow
def test_a_larger_set_reads_clean_and_holds_the_awkward_cases(medium) -> None:
    """3 facilities × 4 months (a revision date, 2024-06-01, inside): clean, and every awkward legal case occurs."""
    _read_clean(medium)
    seen: Counter = Counter()
    for r in _all_rows(medium, "FF1"):
        seen[f"form {r[4]}"] += r[5] == "A000010"
        seen["partial birth date"] += r[5] == "A000010" and r[8].endswith("00")
        seen["same-day stay"] += r[3] == "1" and r[5] == "A000010"
        if r[5] == "A000020" and r[12]:
            seen["予定・救急 " + r[12][0]] += 1
    for r in _all_rows(medium, "EFn"):
        seen["NULL in EF"] += "NULL" in r
        seen["comment row"] += r[8] == "810000000"
        if r[6] != "000":
            seen[f"入院料包括 {r[16][1]}"] += 1
            seen["持参薬"] += r[16][2] != "0"
    for r in _all_rows(medium, "D"):
        seen[f"D {r[4]}"] += r[4] in ("01", "93", "94")
        seen["negative 94"] += r[4] == "94" and r[10].startswith("-")
        seen[f"出来高理由 {r[8]}"] += r[4] == "01"
        seen["Null in D"] += "Null" in r or "null" in r
    for r in _all_rows(medium, "EFg"):
        seen["SY"] += r[4] == "SY" and r[6] == "000"
        seen["SY 0000999"] += r[4] == "SY" and r[8] == "0000999"
    for r in _all_rows(medium, "K"):
        seen["K without 枝番"] += len(r) == 11
        seen["6-digit insurer"] += r[8].startswith("  ") and r[8][2:].isdigit()
    expected = [
        "form 0", "form 1", "form 2", "form A", "form B", "partial birth date", "same-day stay", "予定・救急 1", "予定・救急 2",
        "予定・救急 3", "NULL in EF", "comment row", "入院料包括 1", "入院料包括 2", "持参薬", "D 01", "D 93", "D 94",
        "negative 94", "出来高理由 GR009", "出来高理由 GR010", "出来高理由 GR011", "Null in D", "SY", "SY 0000999",
        "K without 枝番", "6-digit insurer",
    ]  # fmt: skip
    assert all(seen[k] > 0 for k in expected), {k: seen[k] for k in expected}
    # rare, but present: a few percent at most of what they qualify
    assert seen["form A"] < 0.05 * seen["form 0"] and seen["partial birth date"] < 0.03 * seen["form 0"]


def test_deterministic_and_seed_sensitive(tiny, tmp_path: Path) -> None:
    lake, deliveries = tiny
    again = tmp_path / "again"
    generate(again, **TINY)
    assert _files(lake) == _files(again)
    other = tmp_path / "other"
    generate(other, seed=43, **TINY)
    assert _files(lake) != _files(other)
    assert [(d.facility_code, d.yyyymm) for d in deliveries] == [
        (f, m) for f in ("131000017", "271000023") for m in (202502, 202503, 202504)
    ]


def test_file_names_title_rows_encoding_crlf(tiny) -> None:
    """Names <prefix>_<施設コード>_<yymm> (p17); title rows where the specification wants them (p17: 様式1 and H
    must have one; 様式4 and K生成用データ have none, p140, p154); cp932; CRLF; K comma-separated."""
    _, deliveries = tiny
    for d in deliveries:
        yymm = f"{d.yyyymm % 10000:04d}"
        names = sorted(p.name for p in d.path.iterdir() if p.name != "manifest.json")
        assert names == sorted(
            f"{k}_{d.facility_code}_{yymm}.{'csv' if k == 'Kn' else 'txt'}"
            for k in ("Dn", "EFg", "EFn", "FF1", "FF4", "Hn", "Kn")
        )
        for name in names:
            path = d.path / name
            layout = LAYOUTS[kind_for_filename(name)]
            lines = _lines(path)
            titled = layout.kind not in ("FF4", "K")
            assert (lines[0].split("\t") == [c.ja for c in layout.columns]) is titled, name
            n = len(layout.columns)
            for line in lines:
                assert n - layout.omissible_trailing <= len(line.split(layout.delimiter)) <= n, (name, line)
    ef = _kind_file(deliveries[0], "EFn").read_bytes()
    assert "①" in ef.decode("cp932") and "㎎" in ef.decode("cp932")
    with pytest.raises(UnicodeDecodeError):
        ef.decode("utf-8")
    assert b'"' not in _kind_file(deliveries[0], "K").read_bytes()  # never quoted (p154 注3)


def test_no_header_and_utf8(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=1, admissions_per_month=10, header=False, encoding="utf-8")
    d = deliveries[0]
    for entry in d.manifest["files"]:
        data = (d.path / entry["name"]).read_bytes()
        assert not has_title_row(data.split(b"\r\n", 1)[0])
        r = read_delivered_file(entry["name"], data, expected_facility=d.facility_code, expected_yyyymm=d.yyyymm)
        assert r.quarantined == [] and r.field_findings == []
        # the only complaint: 様式1 and H must have their title row (p17)
        assert r.warning_reasons == ({"title_row_missing": 1} if r.kind in ("FF1", "H") else {}), entry["name"]


def test_fixed_width_records(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=2, admissions_per_month=15, fixed_width=True)
    for d in deliveries:
        for kind in ("EFn", "D"):
            width = sum(LAYOUTS[kind].widths)
            path = _kind_file(d, kind)
            records = path.read_bytes().split(b"\r\n")[:-1]
            assert records and all(len(r) == width for r in records), kind
            assert b"\t" not in path.read_bytes() and b"NULL" not in path.read_bytes().upper()
            assert records[0][:9] == d.facility_code.encode() and records[0][9:19].isdigit()
            r = read_delivered_file(path.name, path.read_bytes(), expected_facility=d.facility_code)
            assert r.layout_variant == "fixed-width" and not r.quarantined and not r.field_findings and not r.warnings
            if kind == "D":  # a negative 94 adjustment keeps its sign in front of the zeros
                points = r.accepted.column("act_points").to_pylist()
                assert all(p.lstrip("-").isdigit() for p in points)
        for kind in ("FF1", "H"):
            assert all(len(r) == len(LAYOUTS[kind].columns) for r in _rows(_kind_file(d, kind)))


def test_manifest_matches_files(tiny) -> None:
    _, deliveries = tiny
    for d in deliveries:
        on_disk = json.loads((d.path / "manifest.json").read_text(encoding="utf-8"))
        assert on_disk == d.manifest
        assert on_disk["facility_code"] == d.facility_code and on_disk["yyyymm"] == d.yyyymm
        assert on_disk["created_by"] == "dpc generate"
        for f in on_disk["files"]:
            data = (d.path / f["name"]).read_bytes()
            assert f["bytes"] == len(data)
            assert f["sha256"] == hashlib.sha256(data).hexdigest()
            assert f["rows"] == len(_rows(d.path / f["name"]))
            assert f["kind"] == kind_for_filename(f["name"])


# ---------------------------------------------------------------------------------------------
# what the reader does not check


def test_payloads_follow_the_item_tables(small) -> None:
    """様式1 and H: every payload value conforms to its item (dpc.payload_items.problem, stricter than the reader:
    undefined payloads, 空欄 payloads, shapes), records in ascending コード/バージョン/連番 (p19, p144), 連番 from 1
    where the item numbers its records (p20)."""
    for kind in ("FF1", "H"):
        n_payloads = payload_items.N_PAYLOADS[kind]
        for d in small:
            rows = _rows(_kind_file(d, kind))
            head = 5 if kind == "FF1" else 6
            groups: dict[tuple[str, ...], list[list[str]]] = defaultdict(list)
            for r in rows:
                code, version, seq = r[head : head + 3]
                assert version in payload_items.versions(kind, code), r
                for n, value in enumerate(r[head + 3 : head + 3 + n_payloads], start=1):
                    assert payload_items.problem(kind, code, version, n, value) is None, (code, n, value)
                assert any(r[head + 3 :]), r
                groups[tuple(r[:head])].append(r)
            for key, records in groups.items():
                order = [(r[head], r[head + 1], int(r[head + 2])) for r in records]
                assert order == sorted(order), key
                by_code: dict[str, list[int]] = defaultdict(list)
                for code, _v, seq in order:
                    by_code[code].append(seq)
                for code, seqs in by_code.items():
                    item = payload_items.item(kind, code)
                    assert seqs == (list(range(1, len(seqs) + 1)) if item.uses_seq else [0]), (key, code, seqs)


def test_ef_acts_follow_p187_and_p228(small) -> None:
    """入院EF統合: each act is an E record (000) then F records 001…; the F records' 出来高実績点数 (入院料包括項目区分 0)
    sum to the E record's 行為点数 (p187); drug rows to 行為薬剤料; E-only and F-only fields as p228 sets them;
    行為明細区分情報 of every F record conforms (p188)."""
    flags = code_lists.detail_flags("inpatient")
    acts = 0
    for d in small:
        groups: list[tuple[list[str], list[list[str]]]] = []
        for r in _rows(_kind_file(d, "EFn")):
            if r[6] == "000":
                groups.append((r, []))
            else:
                assert groups and r[:6] == groups[-1][0][:6] and int(r[6]) == len(groups[-1][1]) + 1, r
                groups[-1][1].append(r)
        for e, fs in groups:
            acts += 1
            assert fs, "every act has items"
            assert e[11:16] == ["0", "000", "0", e[14], "0"] and e[16] in ("", "NULL") and e[29] == "0", e
            assert e[14] == ("1" if e[4] == "97" else "0")  # meals in yen (p185)
            assert len(e[21]) == 8 and len(e[22]) == 4 and e[22].isdigit(), e  # 保険者番号, レセプト種別 (p197)
            billed = [f for f in fs if f[16] not in ("", "NULL") and f[16][1] == "0" and f[16][2] == "0"]
            for f in fs:
                assert f[17:20] == ["0", "0", "0"] and f[20] == e[20] and f[23] == e[23], f
                assert f[21] in ("", "NULL") and f[22] in ("", "NULL") and f[24] in ("", "NULL"), f
                assert flags.problems(f[16]) == [], f[16]
                assert len(f[11]) == 11 and f[11][7] == "."  # 使用量 7.3 digits (p198)
                if f[8] == "810000000":  # a comment row (p198 F-9): no points (p228)
                    assert f[13] == f[15] == "0" and f[16] == "000000000000"
            if billed and any(f[16][2] == "0" for f in fs):
                total = sum(float(f[15]) for f in billed)
                drugs = sum(float(f[15]) for f in billed if f[8][0] == "6")
                assert total == float(e[17]) and drugs == float(e[18]), (e, fs)
            else:  # bundled into an inclusive fee, or brought-in drugs: 行為点数 0 (p189, p191)
                assert e[17:20] == ["0", "0", "0"], e
    assert acts > 500


def test_d_follows_p193_p195_and_the_ministry_table(small) -> None:
    """D: one 93 row per DPC day with that day's points of the code's period in the ministry's table (p215, p217),
    a 01 row naming the reason on every fee-for-service day (p193), 算定開始日/終了日/起算日 and 医療機関別係数 only in
    the DPC period (p195), 分類番号 on every row, 94 only on a discharge date."""
    coefficient = {r["facility_code"]: r["hospital_coefficient"] for r in _seed("ref_facility.csv")}
    tables = {r.id: {c.code: c for c in masters.dpc_codes(r.id)} for r in masters.revisions()}
    reasons = {"GR009", "GR010", "GR011"}
    days: Counter = Counter()
    for d in small:
        for r in _rows(_kind_file(d, "D")):
            assert len(r) == 30 and len(r[28]) == 14 and r[17][:6] == str(d.yyyymm)
            in_period = r[25] != ""
            assert (r[29] == coefficient[d.facility_code]) is in_period and len(r[29]) in (0, 6)
            assert (r[26] != "" and r[27] != "") is in_period
            if r[4] == "93":
                assert r[7] == "930000000" and r[14] == "001" and in_period
                days[(r[1], r[3], r[17])] += 1
                code = tables[masters.revision_for(r[3]).id][r[28]]
                points = [code.points_i, code.points_ii or code.points_i, code.points_iii]
                if r[3] == r[27]:  # one stay: the day's period counts from 入院年月日 = 算定起算日
                    day_no = (_d(r[17]) - _d(r[3])).days + 1
                    period = next(i for i, b in enumerate((code.days_i, code.days_ii, code.days_iii)) if day_no <= b)
                    assert int(r[10]) == points[period], r
                else:  # a 7-day readmission: inpatient days are counted on from the first stay (p195)
                    assert r[27] < r[3] and int(r[10]) in points, r
            elif r[4] == "01":
                assert r[7] == "810000001" and r[8] in reasons and r[10] == "0" and not in_period
            elif r[4] == "94":
                assert r[7] == "940000000" and r[17] == r[2] and in_period
            if r[26] != "00000000" and in_period:
                assert r[17] <= r[26]
    assert days and max(days.values()) == 1, "one 93 row a day"


def test_forms_are_delivered_in_the_month_of_discharge_or_transfer(small) -> None:
    """様式1: a parent form (0) for every discharge of the month and 様式4 likewise (p5, p140); a child form that
    ends with a transfer says 00000000 / 退院先 0 (p46, p50) and comes in the month of its transfer (p48, p55)."""
    for d in small:
        forms: dict[tuple[str, ...], dict[str, list[str]]] = defaultdict(dict)
        for r in _rows(_kind_file(d, "FF1")):
            forms[tuple(r[:5])][r[5]] = r[8:]
        parents = set()
        for (_fac, pid, adm, seq, pin), items in forms.items():
            dis, dest = items["A000030"][0], items["A000030"][1]
            start, end = items["A000031"][0], items["A000031"][1]
            assert items["A000020"][0] == adm and start <= end and "CAN0040" in items and "JCS0010" in items
            if dis == "00000000":
                assert pin not in ("0", "B") and dest == "0"
                assert (_d(end) + timedelta(days=1)).strftime("%Y%m") == str(d.yyyymm)
            else:
                assert dis[:6] == str(d.yyyymm) and dis == end
            if pin == "0":
                parents.add((pid, adm, dis))
                assert seq == ("1" if adm == dis else "0")
            else:
                assert seq == "0"  # 回数管理番号 0 on child and aggregate forms (p39)
        ff4 = {(r[1], r[2], r[3]) for r in _rows(_kind_file(d, "FF4"))}
        assert ff4 == parents
        assert all(r[4] in code_lists.load("ff4_non_insurance_combination") for r in _rows(_kind_file(d, "FF4")))


def _stay(number: int, adm: str, dis: str, transfers: tuple[str, ...] = (), prev: Stay | None = None) -> Stay:
    a, b = _d(adm), _d(dis)
    cuts = [_d(t) for t in transfers]
    bounds = [a, *cuts]
    segments = tuple(
        Segment(GENERAL if i % 2 == 0 else OTHER, s, (bounds[i + 1] - timedelta(days=1)) if i + 1 < len(bounds) else b)
        for i, s in enumerate(bounds)
    )
    code = DpcCode(2025, "010010xx99000x", "01", "脳腫瘍", False, 1, 10.0, "C700")
    ins = Insurance("kyokai", "01130001", "1", "2", "00", "1111", "1112")
    patient = Patient("0011223344", date(1964, 5, 21), "19640521", "1", "1920914", 160, 55.0, "0", "サトウヒロシ",
                      ((date(1900, 1, 1), ins),), ())  # fmt: skip
    return Stay(number, patient, a, b, code, 60, "1", "0", "0", "100", "0", "0", "1", "1", False, "110", "10", "3E",
                "0010001", "4", segments=segments, chain_prev=prev)  # fmt: skip


def _forms(*stays: Stay) -> set[tuple[str, str, str, str, bool]]:
    return {
        (f.parent_info_no, str(f.first.admission), str(f.start), str(f.end), f.by_transfer)
        for f in forms_of(list(stays))
    }


def test_forms_of_the_specification_patterns() -> None:
    """The 様式1 patterns of p123–131, stay by stay, as the specification tabulates them."""
    # pattern 2 (p123): 一般 → その他
    s = _stay(1, "20250401", "20250420", ("20250410",))
    assert _forms(s) == {
        ("0", "2025-04-01", "2025-04-01", "2025-04-20", False),
        ("1", "2025-04-01", "2025-04-01", "2025-04-09", True),
        ("2", "2025-04-01", "2025-04-10", "2025-04-20", False),
    }
    # pattern 9 (p125): readmission within 7 days → A over both stays
    s1 = _stay(1, "20250401", "20250410")
    s2 = _stay(2, "20250412", "20250420", prev=s1)
    assert ("A", "2025-04-01", "2025-04-01", "2025-04-20", False) in _forms(s1, s2)
    # pattern 14 (p128): 一般 → その他 → 一般, readmission: A from the last 一般 period, B over everything
    s1 = _stay(1, "20250401", "20250415", ("20250405", "20250410"))
    s2 = _stay(2, "20250417", "20250430", prev=s1)
    forms = _forms(s1, s2)
    assert ("A", "2025-04-01", "2025-04-10", "2025-04-30", False) in forms
    assert ("B", "2025-04-01", "2025-04-01", "2025-04-30", False) in forms
    assert ("3", "2025-04-01", "2025-04-10", "2025-04-15", False) in forms
    # pattern 18 (p130): readmission, then a transfer: A ends with the transfer (00000000), B over everything
    s1 = _stay(1, "20250401", "20250412")
    s2 = _stay(2, "20250415", "20250430", ("20250418",), prev=s1)
    forms = _forms(s1, s2)
    assert ("A", "2025-04-01", "2025-04-01", "2025-04-17", True) in forms
    assert ("B", "2025-04-01", "2025-04-01", "2025-04-30", False) in forms
    # pattern 21 (p131): a transfer, discharge from the その他 group, readmission: one A, no B
    s1 = _stay(1, "20250401", "20250415", ("20250411",))
    s2 = _stay(2, "20250417", "20250430", prev=s1)
    forms = _forms(s1, s2)
    assert ("A", "2025-04-01", "2025-04-01", "2025-04-30", False) in forms
    assert not any(f[0] == "B" for f in forms)
    # the months (p48 例1, p120): a child in the month of its transfer, the parent in the month of discharge
    s = _stay(1, "20250415", "20250510", ("20250428",))
    months = {f.parent_info_no: f.month for f in forms_of([s])}
    assert months == {"0": 202505, "1": 202504, "2": 202505}
    s = _stay(1, "20250315", "20250410", ("20250405",))
    assert {f.month for f in forms_of([s])} == {202504}


def test_seven_day_rule_of_p132() -> None:
    """一連: within 7 days of the day after a discharge from the 一般病棟グループ, or within 6 days after the day of a
    transfer out of it (p132 table; p129 pattern 17 is not 一連, p131 pattern 21 is)."""
    s = _stay(1, "20250325", "20250401")
    assert _chain_gap_ok(s, date(2025, 4, 8)) and not _chain_gap_ok(s, date(2025, 4, 9))
    p21 = _stay(1, "20250401", "20250415", ("20250411",))
    p17 = _stay(1, "20250401", "20250415", ("20250410",))
    assert _chain_gap_ok(p21, date(2025, 4, 17)) and not _chain_gap_ok(p17, date(2025, 4, 18))


def test_k_covers_the_months_inpatients_with_valid_names(small) -> None:
    """K生成用データ: one record per inpatient of the month's 入院EF統合 (p8, p154), two when the insurance changed
    (p155); カナ氏名 in 別紙1's alphabet (p155); 保険者番号 8 characters, a 6-digit one after two spaces (p154);
    生年月日 as in 様式1 and 外来EF (partly unknown dates alike)."""
    births: dict[str, str] = {}
    for d in small:
        for r in _rows(_kind_file(d, "FF1")):
            if r[5] == "A000010":
                births[r[1]] = r[8]
        for r in _rows(_kind_file(d, "EFg")):
            births.setdefault(r[1], r[2])
            assert births[r[1]] == r[2]
    for d in small:
        k = _rows(_kind_file(d, "K"))
        ef = {(r[1], r[3]) for r in _rows(_kind_file(d, "EFn"))}
        assert {(r[1], r[2]) for r in k} == ef
        for r in k:
            assert r[4] == str(d.yyyymm) and r[6] in ("1", "2") and len(r[8]) == 8
            assert normalise_kana_name(r[5]) is not None, r[5]
            assert r[7] == births.get(r[1], r[7])
            # 8 digits, or a 6-digit number after two spaces, or a 4-digit one after four (p154, p197 E-16)
            assert r[8].lstrip(" ").isdigit() and len(r[8].lstrip(" ")) in (4, 6, 8), r[8]
    ins = [
        Insurance("kumiai", "06130001", "1", "2", "00", "1111", "1112"),
        Insurance("kokuho", "  131234", "東", "3", "", "1111", "1112"),
    ]
    stay = _stay(1, "20250401", "20250420")
    stay = replace(
        stay, patient=replace(stay.patient, insurances=((date(1900, 1, 1), ins[0]), (date(2025, 4, 10), ins[1])))
    )
    rows = k_rows(stay, "131000017", 202504)
    assert [len(r) for r in rows] == [12, 11] and [r[8] for r in rows] == ["06130001", "  131234"]


def test_outpatient_ef_and_its_sy_records(small) -> None:
    """外来EF統合: 病棟コード 9999999999, 病棟区分 9, 入外区分 1 (p202); SY records with 外来受診年月日 yyyymm00, a 7-digit
    傷病名コード and a 診療開始日 that may lie before the month (p201); 行為明細区分情報 per p202; no visit during a
    stay (p201)."""
    flags = code_lists.detail_flags("outpatient")
    sy = earlier = 0
    for d in small:
        stays = defaultdict(list)
        for r in _rows(_kind_file(d, "EFn")):
            stays[r[1]].append((r[3], r[2]))
        for r in _rows(_kind_file(d, "EFg")):
            assert r[27:29] == ["9999999999", "9"] and r[29] in ("1", "", "NULL")
            if r[6] != "000":
                assert flags.problems(r[16]) == [], r[16]
            if r[4] == "SY":
                assert r[3] == f"{d.yyyymm}00" and len(r[8]) == 7 and r[8].isdigit() and r[17] == "0"
                assert r[20] == "001" and r[23] <= f"{d.yyyymm}31"
                if r[6] == "000":
                    sy += 1
                    earlier += r[23][:6] < str(d.yyyymm)
                else:
                    assert r[16][3] in "1234" and r[16][4] in "01"
            else:
                assert r[3][:6] == str(d.yyyymm) and r[3] == r[23]
                for adm, dis in stays.get(r[1], []):
                    assert not (adm <= r[3] <= (dis if dis != "00000000" else "99999999")), r
    assert sy and earlier


def test_h_rows(small) -> None:
    """H: a TAR0010 record on every day of every stay (all the demo's wards take H, p144–145): 5 on the discharge
    day of a stay longer than one day, which has no evaluation (p148–152); evaluation items only on days judged (0)."""
    for d in small:
        by_day: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(dict)
        for r in _rows(_kind_file(d, "H")):
            assert len(r) == 29 and r[5][:6] == str(d.yyyymm) and (r[3] == "00000000" or r[5] <= r[3])
            by_day[(r[2], r[4], r[5])][r[6]] = r[9:]
        ef_days = {(r[1], r[3], r[23]) for r in _rows(_kind_file(d, "EFn"))}
        assert set(by_day) == ef_days
        discharge = {(r[1], r[3]): r[2] for r in _rows(_kind_file(d, "EFn"))}
        for (pid, adm, day), items in by_day.items():
            target = items["TAR0010"][0]
            assert (len(items) > 1) == (target == "0"), (pid, day, items)
            if day == discharge[(pid, adm)] and day != adm:
                assert target == "5"


def test_corrupt_predicts_what_the_reader_quarantines(small, tmp_path: Path) -> None:
    """Every content fault of dpc.generate.corrupt, applied to a copy of a delivery: the reader quarantines exactly
    the lines the Corruption names (a broken key takes the rest of its act along, reported in unit_lines)."""
    src = small[-1].path
    for fault, spec in FAULTS.items():
        if spec.family not in ("row", "file"):
            continue
        root = tmp_path / fault / src.relative_to(src.parents[2])
        shutil.copytree(src, root)
        (c,) = corrupt_delivery(root, fault, rows=3)
        data = (root / c.file).read_bytes()
        if spec.family == "file":
            with pytest.raises(FileRejected):
                read_delivered_file(c.file, data, expected_facility=small[-1].facility_code)
            continue
        r = read_delivered_file(
            c.file, data, expected_facility=small[-1].facility_code, expected_yyyymm=small[-1].yyyymm
        )
        got = {f.line: f.reason_code for f in r.quarantined}
        expected = {line: spec.reason_codes[0] for line in c.lines} | {line: c.unit_reason for line in c.unit_lines}
        assert got == expected, (fault, c)


# ---------------------------------------------------------------------------------------------
# realism (unchanged intent): seeds, distributions, size


def test_reference_seeds_consistent() -> None:
    with CASEMIX.open(encoding="utf-8", newline="") as f:
        codes = list(csv.DictReader(f))
    years = {int(r["fiscal_year"]) for r in codes}
    assert years == {2024, 2025}
    mdcs = {r["mdc_code"] for r in _seed("ref_mdc.csv")}
    assert mdcs == {f"{i:02d}" for i in range(1, 19)}
    for fy in years:
        rows = [r for r in codes if int(r["fiscal_year"]) == fy]
        assert {r["mdc_code"] for r in rows} == mdcs
        # the case mix the generator draws: seed codes the ministry's table in force lists (every MDC still drawn)
        table = {c.code for c in masters.dpc_codes(masters.revision_for(f"{fy}0701").id)}
        assert {r["mdc_code"] for r in rows if r["dpc_code"] in table} == mdcs
        for r in rows:
            assert len(r["dpc_code"]) == 14 and r["dpc_code"][:6] == r["dpc6"] and r["dpc6"][:2] == r["mdc_code"]
    assert len({r["facility_code"] for r in _seed("ref_facility.csv")}) >= 5


@pytest.mark.slow
def test_plausible_distributions(medium) -> None:
    stays: dict[tuple[str, str, str], dict[str, str]] = {}
    for r in _all_rows(medium, "FF1"):
        if r[4] != "0":
            continue
        s = stays.setdefault((r[0], r[1], r[2]), {})
        if r[5] == "A000010":
            s["birth"] = r[8]
        elif r[5] == "A000030":
            s["discharge"], s["outcome"] = r[8], r[10]
    codes: dict[tuple[str, str, str], str] = {}
    for r in _all_rows(medium, "D"):
        codes[(r[0], r[1], r[3])] = r[28]
    los = [(_d(v["discharge"]) - _d(k[2])).days + 1 for k, v in stays.items()]
    ages = [_d(k[2]).year - int(v["birth"][:4]) for k, v in stays.items()]
    assert 9 <= statistics.mean(los) <= 16
    assert statistics.median(los) < statistics.mean(los), "right-skewed"
    assert sum(a >= 65 for a in ages) / len(ages) > 0.5
    deaths = sum(v["outcome"] in ("6", "7") for v in stays.values()) / len(stays)
    assert 0.02 <= deaths <= 0.07
    mdc_counts = Counter(c[:2] for c in codes.values())
    assert set(mdc_counts) == {f"{i:02d}" for i in range(1, 19)}
    big = sum(mdc_counts[m] for m in ("04", "05", "06", "11"))
    assert big / len(codes) > 0.35 and mdc_counts["14"] + mdc_counts["15"] < 0.05 * len(codes)
    per_patient: dict[tuple[str, str], list[tuple[date, date]]] = defaultdict(list)
    for (fac, pid, adm), v in stays.items():
        per_patient[(fac, pid)].append((_d(adm), _d(v["discharge"])))
    readmissions = sum(
        1
        for ss in per_patient.values()
        for a, b in zip(sorted(ss), sorted(ss)[1:], strict=False)
        if (b[0] - a[1]).days <= 30
    )
    assert 0.04 <= readmissions / len(stays) <= 0.12
    assert 160 <= len(stays) / len(medium) <= 240


def test_beds_scale_admissions(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=1, beds=60, outpatient=False)
    admitted = {(r[1], r[3]) for r in _rows(_kind_file(deliveries[0], "EFn")) if r[3].startswith("202404")}
    assert 100 <= len(admitted) <= 165  # ≈ 60 beds × 2.2
