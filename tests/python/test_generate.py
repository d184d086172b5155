"""The synthetic DPC generator: determinism, layouts, manifests, stays across months, billing consistency, realism."""

from __future__ import annotations

import csv
import hashlib
import json
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from dpc.generate import generate
from dpc.generate.reference import SEEDS_DIR, fiscal_year
from dpc.layouts import LAYOUTS, kind_for_filename
from dpc.manifest import has_title_row

TINY = {"facilities": 2, "months": 3, "start_yyyymm": 202502, "admissions_per_month": 25}


def _d(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _lines(path: Path, encoding: str = "cp932") -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n"), "every line ends in CRLF"
    return data.decode(encoding).split("\r\n")[:-1]


def _rows(path: Path, encoding: str = "cp932") -> list[list[str]]:
    lines = _lines(path, encoding)
    if lines and has_title_row(lines[0].encode(encoding)):
        lines = lines[1:]
    return [line.split("\t") for line in lines]


def _files(lake: Path) -> dict[str, bytes]:
    return {p.relative_to(lake).as_posix(): p.read_bytes() for p in sorted(lake.rglob("*")) if p.is_file()}


def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("tiny")
    return lake, generate(lake, outpatient=True, **TINY)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory):
    lake = tmp_path_factory.mktemp("medium")
    return generate(lake, facilities=3, months=4, admissions_per_month=200, seed=7)


def _kind_file(delivery, kind: str) -> Path:
    prefix = LAYOUTS[kind].prefixes[0]
    return next(delivery.path.glob(f"{prefix}_*.txt"))


def test_deterministic_and_seed_sensitive(tiny, tmp_path: Path) -> None:
    lake, deliveries = tiny
    again = tmp_path / "again"
    generate(again, outpatient=True, **TINY)
    assert _files(lake) == _files(again)
    other = tmp_path / "other"
    generate(other, outpatient=True, seed=43, **TINY)
    assert _files(lake) != _files(other)
    assert [(d.facility_code, d.yyyymm) for d in deliveries] == [
        (f, m) for f in ("131000017", "271000023") for m in (202502, 202503, 202504)
    ]


def test_layout_header_encoding_crlf(tiny) -> None:
    _, deliveries = tiny
    for d in deliveries:
        names = sorted(p.name for p in d.path.glob("*.txt"))
        yymm = f"{d.yyyymm % 10000:04d}"
        assert names == sorted(f"{k}_{d.facility_code}_{yymm}.txt" for k in ("Dn", "EFg", "EFn", "FF1", "Hn"))
        for path in d.path.glob("*.txt"):
            layout = LAYOUTS[kind_for_filename(path.name)]
            lines = _lines(path)
            assert lines[0].split("\t") == [c.ja for c in layout.columns]
            assert len(lines) > 1
            for line in lines:
                assert len(line.split("\t")) == len(layout.columns), (path.name, line)
    ef_text = _kind_file(deliveries[0], "EFn").read_bytes().decode("cp932")
    assert "①" in ef_text and "ⅰ" in ef_text and "㎎" in ef_text
    with pytest.raises(UnicodeDecodeError):
        _kind_file(deliveries[0], "EFn").read_bytes().decode("utf-8")


def test_no_header_and_utf8(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=1, admissions_per_month=10, header=False, encoding="utf-8")
    for path in deliveries[0].path.glob("*.txt"):
        layout = LAYOUTS[kind_for_filename(path.name)]
        lines = _lines(path, "utf-8")
        assert not has_title_row(lines[0].encode("utf-8"))
        assert lines[0].startswith("131000017\t")
        assert all(len(line.split("\t")) == len(layout.columns) for line in lines)


def test_fixed_width_records(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=2, admissions_per_month=10, fixed_width=True)
    for d in deliveries:
        for kind in ("EFn", "D"):
            width = sum(LAYOUTS[kind].widths)
            data = _kind_file(d, kind).read_bytes()
            records = data.split(b"\r\n")[:-1]
            assert records and all(len(r) == width for r in records), kind
            assert b"\t" not in data
            first = records[0]
            assert first[:9] == d.facility_code.encode()
            assert first[9:19].isdigit()
            if kind == "EFn":  # 順序番号 (4) and 行為明細番号 (3) zero-padded at bytes 37..44
                assert first[37:44].isdigit()
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


def test_stays_span_months_and_service_dates_inside_month(tiny) -> None:
    _, deliveries = tiny
    seen: dict[tuple[str, str, str], dict[int, str]] = defaultdict(dict)
    for d in deliveries:
        y, m = divmod(d.yyyymm, 100)
        for kind, (dis_col, adm_col) in {"EFn": (2, 3), "D": (2, 3), "H": (3, 4)}.items():
            service_col = LAYOUTS[kind].names.index("service_date")
            for r in _rows(_kind_file(d, kind)):
                service = _d(r[service_col])
                assert (service.year, service.month) == (y, m), (kind, r)
                assert service >= _d(r[adm_col])
                if r[dis_col] != "00000000":
                    assert service <= _d(r[dis_col])
                    assert (_d(r[dis_col]).year, _d(r[dis_col]).month) == (y, m)
                pid = r[2] if kind == "H" else r[1]
                seen[(d.facility_code, pid, r[adm_col])][d.yyyymm] = r[dis_col]
    spanning = [
        k
        for k, months in seen.items()
        if any(
            months.get(m) == "00000000" and months.get(n, "00000000") != "00000000"
            for m, n in ((202502, 202503), (202503, 202504))
        )
    ]
    assert len(spanning) >= 5
    carried = [k for k, months in seen.items() if min(months) == 202502 and _d(k[2]) < date(2025, 2, 1)]
    assert len(carried) >= 5, "the first month carries stays admitted before it"
    open_at_end = [k for k, months in seen.items() if months.get(202504) == "00000000"]
    assert len(open_at_end) >= 5, "some stays stay undischarged at the end"
    # A000030 agrees with the billing files
    for d in deliveries:
        for r in _rows(_kind_file(d, "FF1")):
            if r[5] == "A000030":
                months = seen.get((r[0], r[1], r[2]), {})
                if d.yyyymm in months:
                    assert months[d.yyyymm] == r[8]


def test_f_rows_sum_to_their_e_row(tiny) -> None:
    _, deliveries = tiny
    acts = 0
    for d in deliveries:
        rows = _rows(_kind_file(d, "EFn"))
        groups: list[tuple[list[str], list[list[str]]]] = []
        for r in rows:
            assert r[30] == ""
            if r[6] == "000":
                groups.append((r, []))
            else:
                assert groups and r[:6] == groups[-1][0][:6]
                groups[-1][1].append(r)
        for e, fs in groups:
            acts += 1
            assert fs, "every act has items"
            assert e[13:16] == ["0", "0", "0"] and e[16] == ""
            assert all(e[i] != "" for i in range(17, 30) if i != 24) and e[29] == "0" and len(e[21]) == 8
            for f in fs:
                assert f[17:20] == ["0", "0", "0"] and f[20] == e[20]
                assert f[21] == f[22] == f[24] == f[29] == ""
                assert len(f[16]) == 12 and f[16].isdigit()
                assert len(f[15]) == 8 and len(f[11]) in (0, 11) and len(f[13]) == 12
            expected = (int(e[17]) + int(e[18]) + int(e[19])) * int(e[20])
            assert sum(int(f[15]) for f in fs) == expected, e
    assert acts > 1000


def test_d_93_rows_follow_reference_periods(tiny) -> None:
    _, deliveries = tiny
    codes = {(int(r["fiscal_year"]), r["dpc_code"]): r for r in _seed("ref_dpc_code.csv")}
    coef = {r["facility_code"]: r["hospital_coefficient"] for r in _seed("ref_facility.csv")}
    checked = 0
    for d in deliveries:
        per_stay: dict[tuple[str, str], int] = defaultdict(int)
        for r in _rows(_kind_file(d, "D")):
            assert len(r[28]) == 14 and r[29] == coef[d.facility_code]
            if r[4] != "93":
                assert r[25] == r[26] == r[27] == ""
                continue
            ref = codes[(fiscal_year(d.yyyymm), r[28])]
            adm, start, end = _d(r[3]), _d(r[25]), _d(r[26])
            assert _d(r[27]) == adm and r[17] == r[25]
            days = int(r[14])
            assert days == (end - start).days + 1 >= 1
            period = int(r[7][-1])
            bounds = [0, int(ref["period_1_days"]), int(ref["period_2_days"]), int(ref["period_3_days"])]
            assert bounds[period - 1] < (start - adm).days + 1 and (end - adm).days + 1 <= bounds[period]
            assert int(r[10]) == int(ref[f"period_{period}_points"])
            per_stay[(r[1], r[3])] += days
            checked += 1
        assert all(v <= 31 for v in per_stay.values())
    assert checked > 100
    points = [int(r["period_1_points"]) > int(r["period_2_points"]) > int(r["period_3_points"]) for r in codes.values()]
    assert all(points)


def test_reference_seeds_consistent() -> None:
    codes = _seed("ref_dpc_code.csv")
    years = {int(r["fiscal_year"]) for r in codes}
    assert years == {2024, 2025}
    mdcs = {r["mdc_code"] for r in _seed("ref_mdc.csv")}
    assert mdcs == {f"{i:02d}" for i in range(1, 19)}
    for fy in years:
        rows = [r for r in codes if int(r["fiscal_year"]) == fy]
        assert 60 <= len(rows) <= 100
        assert {r["mdc_code"] for r in rows} == mdcs
        for r in rows:
            assert len(r["dpc_code"]) == 14 and r["dpc_code"][:6] == r["dpc6"] and r["dpc6"][:2] == r["mdc_code"]
            p1, p2, p3 = (int(r[f"period_{i}_days"]) for i in (1, 2, 3))
            assert 1 <= p1 <= p2 < p3 and abs(p2 - float(r["national_mean_los"])) <= 1
        summary = next(r for r in _seed("ref_national_summary.csv") if int(r["fiscal_year"]) == fy)
        cases = sum(int(r["national_cases"]) for r in rows)
        los = sum(int(r["national_cases"]) * float(r["national_mean_los"]) for r in rows) / cases
        pts = sum(int(r["national_cases"]) * int(r["national_mean_ffs_points_per_stay"]) for r in rows) / cases
        assert abs(los - float(summary["national_mean_los"])) < 0.01
        assert abs(pts - float(summary["national_mean_points_per_stay"])) < 1
    assert len({r["facility_code"] for r in _seed("ref_facility.csv")}) >= 5


def _stays(deliveries) -> dict[tuple[str, str, str], dict[str, str]]:
    stays: dict[tuple[str, str, str], dict[str, str]] = {}
    for d in deliveries:
        for r in _rows(_kind_file(d, "FF1")):
            s = stays.setdefault((r[0], r[1], r[2]), {})
            if r[5] == "A000010":
                s["birth"] = r[8]
            elif r[5] == "A000030" and r[8] != "00000000":
                s["discharge"], s["outcome"] = r[8], r[10]
        for r in _rows(_kind_file(d, "D")):
            stays[(r[0], r[1], r[3])]["dpc"] = r[28]
    return stays


def test_plausible_distributions(medium) -> None:
    stays = _stays(medium)
    done = {k: v for k, v in stays.items() if "discharge" in v}
    los = [(_d(v["discharge"]) - _d(k[2])).days + 1 for k, v in done.items()]
    ages = [_d(k[2]).year - int(v["birth"][:4]) for k, v in done.items()]
    assert 9 <= statistics.mean(los) <= 15
    assert statistics.median(los) < statistics.mean(los), "right-skewed"
    assert sum(a >= 65 for a in ages) / len(ages) > 0.5
    deaths = sum(v["outcome"] in ("6", "7") for v in done.values()) / len(done)
    assert 0.02 <= deaths <= 0.07
    mdc_counts: dict[str, int] = defaultdict(int)
    for v in stays.values():
        mdc_counts[v["dpc"][:2]] += 1
    assert set(mdc_counts) == {f"{i:02d}" for i in range(1, 19)}
    big = sum(mdc_counts[m] for m in ("04", "05", "06", "11"))
    assert big / len(stays) > 0.4 and mdc_counts["14"] + mdc_counts["15"] < 0.05 * len(stays)
    per_patient: dict[tuple[str, str], list[tuple[date, date]]] = defaultdict(list)
    for (fac, pid, adm), v in done.items():
        per_patient[(fac, pid)].append((_d(adm), _d(v["discharge"])))
    readmissions = sum(
        1
        for ss in per_patient.values()
        for a, b in zip(sorted(ss), sorted(ss)[1:], strict=False)
        if (b[0] - a[1]).days <= 30
    )
    assert 0.04 <= readmissions / len(done) <= 0.12
    discharges_per_month = len(done) / len(medium)
    assert 160 <= discharges_per_month <= 240


def test_beds_scale_admissions(tmp_path: Path) -> None:
    deliveries = generate(tmp_path, facilities=1, months=1, beds=60)
    admitted = {(r[1], r[2]) for r in _rows(_kind_file(deliveries[0], "FF1")) if r[2].startswith("202404")}
    assert 100 <= len(admitted) <= 165  # ≈ 60 beds × 2.2
