"""Normaliser: typed Parquet per kind, pseudonymisation, quarantine, replacement of exactly one facility-month."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dpc.layouts import KIND_SLUG, LAYOUTS
from dpc.pseudonymise import load_key, patient_keys
from dpc.readers import FileRejected
from dpc.steps.normalise import normalise_delivery, normalised_schema, quarantine_schema
from dpc.storage import STAGE_FILE, LocalStorage, load_prefix

try:  # tests/ is a package in this repository; plain rootdir-relative import otherwise
    from tests.python import fixtures_dpc as F
except ImportError:  # pragma: no cover
    import fixtures_dpc as F  # type: ignore[no-redef]

KEY = b"test-key-0123456789abcdef-not-a-real-one"
AT = datetime(2024, 5, 2, 3, 4, 5, tzinfo=UTC)


def stage(lake: Path, slug: str, facility: str = F.FACILITY, yyyymm: int = F.YYYYMM) -> pa.Table:
    return pq.read_table(lake / load_prefix(slug, facility, yyyymm, "load-1") / STAGE_FILE)


def run(lake: Path, facility: str = F.FACILITY, yyyymm: int = F.YYYYMM, key: bytes = KEY):
    s = LocalStorage(lake)
    return normalise_delivery(s, s, facility, yyyymm, key=key, load_id="load-1", loaded_at=AT)


def test_every_kind_typed_with_lineage(tmp_path: Path) -> None:
    F.all_kinds_delivery(tmp_path)
    result = run(tmp_path)
    assert {f["kind"]: (f["delivered"], f["accepted"], f["quarantined"]) for f in result.as_dict()["files"]} == {
        "FF1": (11, 11, 0),
        "FF4": (2, 2, 0),
        "K": (3, 3, 0),
        "EFn": (9, 9, 0),
        "EFg": (9, 9, 0),
        "D": (3, 3, 0),
        "H": (6, 6, 0),
    }
    for kind, slug in KIND_SLUG.items():
        t = stage(tmp_path, slug)
        assert t.schema.equals(normalised_schema(kind)), kind
        assert stage(tmp_path, f"quarantine_{slug}").schema.equals(quarantine_schema())
        assert set(t["yyyymm"].to_pylist()) == {F.YYYYMM} and set(t["loaded_at"].to_pylist()) == {AT}
        assert all(re.fullmatch(r"[0-9a-f]{64}", k) for k in t["patient_key"].to_pylist())
    d = stage(tmp_path, "d").to_pylist()[0]
    assert d["hospital_coefficient"] == Decimal("1.4382") and d["act_count"] == 10 and d["insurer_class"] == "kokuho"
    assert d["interpretation_no"] is None and d["line_number"] == 2 and d["source_file"] == F.file_name("D")
    ef = stage(tmp_path, "efn").to_pylist()
    assert ef[1]["item_points"] == Decimal("9.02") and ef[1]["quantity"] == Decimal("30") and ef[0]["quantity"] is None
    assert "00000000" in [r["discharge_date"] for r in ef]
    ff1 = stage(tmp_path, "ff1").to_pylist()
    a10 = [r for r in ff1 if r["item_code"] == "A000010"]
    assert [r["age_at_admission"] for r in a10] == [79, 79, 79] and {r["payload_1"] for r in a10} == {None}
    assert {r["payload_3"] for r in a10} == {"100"}
    assert all(r["age_at_admission"] is None for r in ff1 if r["item_code"] != "A000010")
    assert stage(tmp_path, "efg")["age_at_visit"].to_pylist()[0] == 74


def test_quarantine_counts_and_pseudonymised_raw_line(tmp_path: Path) -> None:
    rows = F.rows("EFn")
    rows[0][LAYOUTS["EFn"].names.index("data_category")] = "99"
    rows[4] = rows[4][:-2]
    F.write_delivery(tmp_path, {F.file_name("EFn"): F.render("EFn", rows)})
    result = run(tmp_path)
    [f] = result.files
    # データ区分 99 puts line 2 in no act of the file (the act's key as delivered): it alone is quarantined
    assert (f.delivered, f.accepted, f.quarantined) == (9, 7, 2)
    assert f.reasons == {"unknown_code": 1, "wrong_column_count": 1}
    q = stage(tmp_path, "quarantine_efn").to_pylist()
    assert [(r["line_number"], r["reason_code"], r["column_name"], r["disposition"]) for r in q] == [
        (2, "unknown_code", "data_category", "quarantined"),
        (6, "wrong_column_count", None, "quarantined"),
    ]
    assert stage(tmp_path, "efn").num_rows == 7
    for kind in ("efg", "d", "h", "ff1"):  # absent kinds: empty Parquet with the schema
        assert stage(tmp_path, kind).num_rows == 0


def test_key_never_in_output_and_ids_never_in_stage(tmp_path: Path) -> None:
    rows = F.rows("D")
    rows[0][LAYOUTS["D"].names.index("service_date")] = "20240501"
    F.write_delivery(tmp_path, {F.file_name(k): F.render(k, rows if k == "D" else F.rows(k)) for k in LAYOUTS})
    run(tmp_path)
    for p in (tmp_path / "stage").rglob("*.parquet"):
        data = p.read_bytes()
        assert KEY not in data and KEY.hex().encode() not in data
        text = str(pq.read_table(p).to_pylist())
        for pid in F.PATIENTS:
            assert pid not in text, p


def test_k_identifiers_never_leave_the_normaliser_and_the_raw_k_file_is_deleted(tmp_path: Path, monkeypatch) -> None:
    """K生成用データ (p154): no カナ氏名 or insurance number in any stage or quarantine file; a link key per record
    (none for a partly unknown birth date); the raw file deleted with a marker; validating again accepts that."""
    from dpc.steps.identifiers import deletion_marker
    from dpc.steps.validate import validate_delivery

    monkeypatch.setenv("DPC_LINK_KEY", "ab" * 32)
    rows = F.rows("K")
    rows[1][LAYOUTS["K"].names.index("birth_date")] = "19710000"  # partly unknown: no link key
    bad = list(rows[0])
    bad[LAYOUTS["K"].names.index("sex")] = "3"  # quarantined: its raw_line must not show the name
    files = {F.file_name("K"): F.render("K", [*rows, bad])}
    folder = F.write_delivery(tmp_path, files)
    result = run(tmp_path)
    [f] = result.files
    assert (f.kind, f.delivered, f.accepted, f.quarantined) == ("K", 4, 3, 1)
    k = stage(tmp_path, "k")
    assert "kana_name" not in k.schema.names and "birth_date" not in k.schema.names
    links = k["link_key"].to_pylist()
    assert links[1] is None and all(re.fullmatch(r"[0-9a-f]{64}", x) for x in (links[0], links[2]))
    identifiers = ["ﾔﾏﾀﾞ", "ヤマダ", "スズキ", "ｻﾄｳ", "200055", "06130017", "ｷｺﾞｳ", "19500310", "19710000"]
    for p in tmp_path.rglob("*"):
        if p.is_file():
            text = p.read_bytes().decode("utf-8", errors="replace")
            if p.suffix == ".parquet":
                text += str(pq.read_table(p).to_pylist())
            assert not [x for x in identifiers if x in text], p
    assert not (folder / F.file_name("K")).exists()
    marker = deletion_marker(LocalStorage(tmp_path), F.FACILITY, F.YYYYMM, F.file_name("K"))
    assert marker is not None and marker["result"]["accepted"] == 3
    assert validate_delivery(LocalStorage(tmp_path), F.FACILITY, F.YYYYMM).ok
    again = run(tmp_path)  # the same version again: the link keys already written are kept
    assert [x.as_dict() for x in again.files] == [f.as_dict()]
    assert stage(tmp_path, "k")["link_key"].to_pylist() == links


def test_the_same_number_at_two_facilities_is_two_patients(tmp_path: Path) -> None:
    """データ識別番号 is a hospital's own number (p20): its pseudonym depends on the facility too."""
    for facility in ("131000001", "131000002"):
        F.write_delivery(tmp_path, {F.file_name("D", facility): F.render("D", F.rows("D", facility))}, facility)
        run(tmp_path, facility)
    keys = [
        set(pq.read_table(tmp_path / load_prefix("d", fac, F.YYYYMM, "load-1") / STAGE_FILE)["patient_key"].to_pylist())
        for fac in ("131000001", "131000002")
    ]
    assert len(keys[0]) == 3 and keys[0].isdisjoint(keys[1])


def test_pseudonymise_deterministic_and_keyed() -> None:
    ids = pa.array(["0000012345", " 0000012345 ", "0000067890", None, ""])
    a = patient_keys(F.FACILITY, ids, b"k1").to_pylist()
    assert a[0] == a[1] != a[2] and a[3] is None and a[4] is None
    assert re.fullmatch(r"[0-9a-f]{64}", a[0])
    assert patient_keys(F.FACILITY, ids, b"k1").to_pylist() == a
    assert patient_keys(F.FACILITY, ids, b"k2").to_pylist()[0] != a[0]
    chunked = patient_keys(F.FACILITY, pa.chunked_array([ids[:2], ids[2:]]), b"k1")
    assert chunked.to_pylist() == a


def test_load_key_sources(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DPC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DPC_PSEUDONYMISATION_SECRET_ARN", raising=False)
    monkeypatch.setenv("DPC_PSEUDONYMISATION_KEY", "ab" * 32)
    assert load_key() == bytes.fromhex("ab" * 32)
    monkeypatch.setenv("DPC_PSEUDONYMISATION_KEY", "a passphrase")
    assert load_key() == b"a passphrase"
    monkeypatch.delenv("DPC_PSEUDONYMISATION_KEY")
    k1 = load_key()
    path = tmp_path / ".pseudonymisation_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(k1) == 32
    assert "warning" in capsys.readouterr().err
    assert load_key() == k1


def test_redelivery_replaces_exactly_that_facility_month(tmp_path: Path) -> None:
    F.all_kinds_delivery(tmp_path)
    F.all_kinds_delivery(tmp_path, facility="131000002")
    run(tmp_path)
    run(tmp_path, facility="131000002")
    other = stage(tmp_path, "d", facility="131000002")
    F.write_delivery(tmp_path, {F.file_name("D"): F.render("D", F.rows("D")[:1])})
    (tmp_path / "raw/yyyymm=202404/facility=131000001" / F.file_name("EFn")).unlink()
    F.write_delivery(tmp_path, {F.file_name("D"): F.render("D", F.rows("D")[:1])})
    run(tmp_path)
    assert stage(tmp_path, "d").num_rows == 1 and stage(tmp_path, "efn").num_rows == 0
    assert stage(tmp_path, "d", facility="131000002").equals(other)


def test_rejected_file_writes_nothing(tmp_path: Path) -> None:
    F.write_delivery(tmp_path, {F.file_name("EFn"): F.render("D", F.rows("D"))})
    with pytest.raises(FileRejected):
        run(tmp_path)
    assert not (tmp_path / "stage").exists()
