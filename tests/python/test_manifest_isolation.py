"""One hospital's upload cannot stop another's run (issue 25 item 3): every manifest field is checked by type and
range, and a malformed manifest is a rejected delivery with its reason — never an exception; folders that are no
delivery are reported, never ignored or guessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpc.generate import generate
from dpc.manifest import delivery_from_path
from dpc.steps.validate import find_deliveries, misplaced, validate_delivery
from dpc.storage import LocalStorage


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("isolation")
    generate(root, seed=13, facilities=1, months=1, admissions_per_month=4)
    return root


def _manifest_path(lake: Path) -> Path:
    return next((lake / "raw").glob("yyyymm=*/facility=*/manifest.json"))


BAD_ENTRIES = {
    "rows not a number": lambda e: e.update(rows="many"),
    "bytes null": lambda e: e.update(bytes=None),
    "bytes a boolean": lambda e: e.update(bytes=True),
    "negative rows": lambda e: e.update(rows=-1),
    "a path as name": lambda e: e.update(name="../../etc/passwd"),
    "a NUL in the name": lambda e: e.update(name="EFn\x00.txt"),
    "a 300-character name": lambda e: e.update(name="E" * 300),
    "sha256 not hex": lambda e: e.update(sha256="z" * 64),
    "an entry that is a list": lambda e: (e.clear(), e.update(name=["a"])),
}


@pytest.mark.parametrize("fault", sorted(BAD_ENTRIES))
def test_a_malformed_manifest_entry_is_a_rejected_delivery_with_its_reason(
    lake: Path, tmp_path: Path, fault: str
) -> None:
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    path = _manifest_path(copy)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    BAD_ENTRIES[fault](manifest["files"][0])
    path.write_text(json.dumps(manifest), encoding="utf-8")
    [(facility, yyyymm)] = find_deliveries(LocalStorage(copy))
    report = validate_delivery(LocalStorage(copy), facility, yyyymm)
    assert not report.ok
    [finding] = report.findings
    assert finding["reason_code"] == "manifest_field" and finding["column"] == "files[0]", finding
    assert len(str(finding["reason"])) < 400  # the reason never quotes a huge value back


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"facility_code": ' + "1" * 2_000_000 + "}", '{"files": 1}'],
    ids=["deep nesting", "over a megabyte", "files not a list"],
)
def test_a_manifest_that_is_no_manifest_is_rejected_not_raised(lake: Path, tmp_path: Path, text: str) -> None:
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    _manifest_path(copy).write_text(text, encoding="utf-8")
    [(facility, yyyymm)] = find_deliveries(LocalStorage(copy))
    report = validate_delivery(LocalStorage(copy), facility, yyyymm)
    assert not report.ok and report.findings[0]["reason_code"] in ("bad_manifest", "manifest_field")


def test_a_duplicate_entry_is_rejected(lake: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    path = _manifest_path(copy)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["files"].append(dict(manifest["files"][0]))
    path.write_text(json.dumps(manifest), encoding="utf-8")
    [(facility, yyyymm)] = find_deliveries(LocalStorage(copy))
    report = validate_delivery(LocalStorage(copy), facility, yyyymm)
    assert [f["reason"] for f in report.findings] == [
        f"files[{len(manifest['files']) - 1}]: {manifest['files'][0]['name']} is listed twice"
    ]


@pytest.mark.parametrize(
    "folder",
    [
        "raw/yyyymm=202413/facility=131000017",
        "raw/yyyymm=999999/facility=131000017",
        "raw/yyyymm=2024070/facility=131000017",
        "raw/yyyymm=202407/facility=1310000170",
        "raw/yyyymm=202407/facility=131000017/sub",
        "raw/202407/131000017",
    ],
)
def test_a_folder_that_is_no_delivery_is_reported_never_guessed(tmp_path: Path, folder: str) -> None:
    (tmp_path / folder).mkdir(parents=True)
    (tmp_path / folder / "EFn_131000017_2407.txt").write_text("x\n", encoding="utf-8")
    storage = LocalStorage(tmp_path)
    assert find_deliveries(storage) == []
    assert misplaced(storage) == [f"{folder}/EFn_131000017_2407.txt"]
    assert delivery_from_path("raw/yyyymm=202407/facility=131000017/x") == ("131000017", 202407)
