"""`dpc import`: a hospital's folder of files, in any layout, sorted into deliveries (issue 27 item 4).

File names as the specification gives them (p17: ``FF1_123456789_2504.txt``, prefix + 施設コード + yymm); every layout
starts with the 施設コード (p20), which the import checks against the name. What a facility owes each month comes
from its profile (p5–8, p144), never from the files.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from dpc.cli import main
from dpc.facility_profiles import ProfileError, load_profiles
from dpc.importer import apply_import, plan_import
from dpc.manifest import MANIFEST_NAME
from dpc.steps.validate import profile_warnings, validate_delivery
from dpc.storage import LocalStorage

A, B = "131000001", "271000002"
TITLE = "施設コード\tデータ識別番号\n".encode("cp932")  # a title row (p17: FF1 and H carry one)


def _file(facility: str, rows: int = 2, title: bool = False) -> bytes:
    body = b"".join(f"{facility}\t{i:010d}\tx\r\n".encode() for i in range(rows))
    return (TITLE if title else b"") + body


ALL_KINDS = ("FF1", "FF4", "EFn", "EFg", "Dn", "Hn", "Kn")


def _delivery(folder: Path, facility: str, yymm: str, kinds: tuple[str, ...] = ALL_KINDS) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for prefix in kinds:
        (folder / f"{prefix}_{facility}_{yymm}.txt").write_bytes(_file(facility, title=prefix in ("FF1", "Hn")))


@pytest.fixture
def hospital_folder(tmp_path: Path) -> Path:
    """Two facilities, two months, as a hospital might hand them over: nested folders named freely, one month in a
    zip, and three files that cannot be placed."""
    src = tmp_path / "from the hospital"
    _delivery(src / "2024年4月" / "提出用", A, "2404")
    _delivery(src / "misc", B, "2404", kinds=("FF1", "FF4", "EFn", "EFg", "Dn", "Kn"))  # no H file
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for prefix in ALL_KINDS:
            archive.writestr(f"{A}_2405_1_提出用データ/{prefix}_{A}_2405.txt", _file(A))
    (src / "may.zip").write_bytes(buffer.getvalue())
    (src / "misc" / "メモ.xlsx").write_bytes(b"PK not a DPC file")
    (src / "misc" / f"EFn_{A}_2413.txt").write_bytes(_file(A))  # no 13th month
    (src / "misc" / f"Dn_{B}_2405.txt").write_bytes(_file(A))  # the name says B, the rows say A
    return src


def test_dry_run_shows_the_plan_and_writes_nothing(hospital_folder: Path, tmp_path: Path, capsys) -> None:
    lake = tmp_path / "lake"
    assert main(["import", str(hospital_folder), "--lake", str(lake), "--dry-run"]) == 1  # some files not placed
    out = capsys.readouterr().out
    assert not lake.exists()
    assert f"raw/yyyymm=202404/facility={A}: would add (7 file(s)" in out
    assert f"raw/yyyymm=202405/facility={A}: would add (7 file(s)" in out
    assert f"raw/yyyymm=202404/facility={B}: would add (6 file(s)" in out
    assert "warning: no H" in out and "(H) file, owed by wards with an H-file inpatient fee (p8, p144)" in out
    assert "not placed: " in out and "メモ.xlsx: not a file name the specification uses" in out
    assert f"EFn_{A}_2413.txt: yymm 2413 in the name is not a real month" in out
    assert f"Dn_{B}_2405.txt: the name says 施設コード {B} but its first data row says {A}" in out
    assert "3 deliveries, 20 file(s) placed, 3 not placed (dry run: nothing written)" in out


def test_import_places_valid_deliveries_and_names_what_it_cannot_place(hospital_folder: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    plan = plan_import([hospital_folder], lake, load_profiles(tmp_path / "none.toml"))
    apply_import(plan, lake)
    storage = LocalStorage(lake)
    for facility, yyyymm in ((A, 202404), (A, 202405), (B, 202404)):
        report = validate_delivery(storage, facility, yyyymm)
        assert report.ok, report.findings
        manifest = json.loads((lake / f"raw/yyyymm={yyyymm}/facility={facility}" / MANIFEST_NAME).read_text())
        assert manifest["created_by"] == "dpc import"
    assert sorted(Path(u.found.origin).name for u in plan.unplaced) == sorted(
        ["メモ.xlsx", f"EFn_{A}_2413.txt", f"Dn_{B}_2405.txt"]
    )
    assert not list(lake.rglob(".*.importing"))
    # the unreadable files went nowhere near the lake
    assert not (lake / "raw/yyyymm=202405" / f"facility={B}").exists()


def test_reimport_is_unchanged_a_corrected_file_replaces_only_its_kind_and_replace_makes_the_whole_delivery(
    tmp_path: Path,
) -> None:
    lake, profiles = tmp_path / "lake", load_profiles(tmp_path / "none.toml")
    first = tmp_path / "first"
    _delivery(first, A, "2404")
    apply_import(plan_import([first], lake, profiles), lake)
    again = plan_import([first], lake, profiles)
    assert [d.action for d in again.deliveries] == ["unchanged"]

    corrected = tmp_path / "corrected"
    corrected.mkdir()
    (corrected / f"EFn_{A}_2404.txt").write_bytes(_file(A, rows=5))
    plan = plan_import([corrected], lake, profiles)
    (delivery,) = plan.deliveries
    assert (delivery.action, delivery.replaced, len(delivery.kept)) == ("changed", [f"EFn_{A}_2404.txt"], 6)
    assert delivery.missing == []  # the kept files still cover the profile
    apply_import(plan, lake)
    folder = lake / f"raw/yyyymm=202404/facility={A}"
    assert len(list(folder.glob("*.txt"))) == 7
    assert validate_delivery(LocalStorage(lake), A, 202404).ok

    plan = plan_import([corrected], lake, profiles, replace=True)
    assert sorted(plan.deliveries[0].replaced) == sorted(p.name for p in folder.glob("*.txt") if "EFn" not in p.name)
    apply_import(plan, lake)
    assert [p.name for p in folder.glob("*.txt")] == [f"EFn_{A}_2404.txt"]
    report = validate_delivery(LocalStorage(lake), A, 202404)
    assert report.ok
    missing = profile_warnings(report, profiles.of(A))
    assert [w.split(":")[0] for w in missing] == [
        "no FF1 file",
        "no FF4 file",
        "no EFg file",
        "no D file",
        "no H file",
        "no K file",
    ]


def test_a_profile_decides_what_is_owed(tmp_path: Path) -> None:
    profile_file = tmp_path / "facilities.toml"
    profile_file.write_text(
        f'[default]\nh_file_wards = true\n\n[facility."{B}"]\nname = "出来高算定病院"\n'
        "dpc_hospital = false\ndata_submission_addition_2 = false\nh_file_wards = false\n",
        encoding="utf-8",
    )
    profiles = load_profiles(profile_file)
    assert profiles.of(A).owed() == ("FF1", "FF4", "EFn", "EFg", "D", "H", "K")
    assert profiles.of(B).owed() == ("FF1", "FF4", "EFn", "K")
    src = tmp_path / "src"
    _delivery(src, B, "2404", kinds=("FF1", "FF4", "EFn", "Kn"))
    (delivery,) = plan_import([src], tmp_path / "lake", profiles).deliveries
    assert delivery.missing == []
    (delivery,) = plan_import([src], tmp_path / "lake", load_profiles(tmp_path / "none.toml")).deliveries
    assert delivery.missing == ["EFg", "D", "H"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[default]\nh_file = true\n", "facilities.toml [default]: unknown key(s) h_file"),
        ('[facility."12345"]\ndpc_hospital = false\n', 'facilities.toml [facility."12345"]: a 施設コード has 9 digits'),
        ("[default]\ndpc_hospital = 'yes'\n", "facilities.toml [default].dpc_hospital: expected true or false"),
        ("[default\n", "facilities.toml: not valid TOML"),
    ],
)
def test_a_bad_profile_is_named_with_its_entry(tmp_path: Path, text: str, message: str, capsys) -> None:
    profile_file = tmp_path / "facilities.toml"
    profile_file.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(message)):
        load_profiles(profile_file)
    src = tmp_path / "src"
    _delivery(src, A, "2404")
    assert main(["import", str(src), "--lake", str(tmp_path / "lake"), "--profiles", str(profile_file)]) == 2
    assert message in capsys.readouterr().err


def test_validate_warns_of_a_file_the_profile_requires(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DPC_FACILITY_PROFILES", str(tmp_path / "none.toml"))
    src = tmp_path / "src"
    _delivery(src, A, "2404", kinds=("FF1", "FF4", "EFn", "EFg", "Dn", "Kn"))
    assert main(["import", str(src), "--lake", str(tmp_path / "lake")]) == 0
    assert main(["validate", "--lake", str(tmp_path / "lake")]) == 0  # a warning, not a rejection
    captured = capsys.readouterr()
    assert f"{A} 202404: ok" in captured.out
    assert "warning: no H file: owed by wards with an H-file inpatient fee (p8, p144)" in captured.err


def test_a_run_warns_of_a_file_the_profile_requires(tmp_path: Path, monkeypatch) -> None:
    """`dpc run` names the missing H file in its summary and JSON (a warning, never a rejection); the delivery here
    is rejected for its unreadable rows, so the run stops before dbt."""
    from tests.python.conftest import environment
    from tests.python.test_run_statuses import dpc_run

    monkeypatch.setenv("DPC_FACILITY_PROFILES", str(tmp_path / "none.toml"))
    src = tmp_path / "src"
    _delivery(src, A, "2404", kinds=("FF1", "FF4", "EFn", "EFg", "Dn", "Kn"))
    assert main(["import", str(src), "--lake", str(tmp_path / "lake")]) == 0
    with environment(DPC_INGEST_WORKERS="1"):
        code, text, summary = dpc_run(tmp_path)
    (delivery,) = summary["deliveries"]
    assert (code, summary["status"], delivery["status"]) == (1, "FAILED", "rejected"), text
    assert delivery["warnings"] == [
        "no H file: owed by wards with an H-file inpatient fee (p8, p144) per the built-in default (no profile file)"
    ]
    assert f"! warning: {delivery['warnings'][0]}" in text
