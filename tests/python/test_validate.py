"""Manifest validation (standard library only): each failure kind with its actionable message."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from dpc.steps.validate import find_deliveries, revalidated_report, validate_delivery
from dpc.storage import LocalStorage

try:  # tests/ is a package in this repository; plain rootdir-relative import otherwise
    from tests.python import fixtures_dpc as F
except ImportError:  # pragma: no cover
    import fixtures_dpc as F  # type: ignore[no-redef]


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    F.all_kinds_delivery(tmp_path)
    return tmp_path


def delivery(lake: Path) -> Path:
    return lake / "raw" / f"yyyymm={F.YYYYMM}" / f"facility={F.FACILITY}"


def check(lake: Path) -> list[tuple[str, str]]:
    report = validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM)
    assert report.ok == (not report.findings)
    return [(str(f["file"]).rsplit("/", 1)[-1], str(f["reason_code"])) for f in report.findings]


def test_clean_delivery_passes(lake: Path) -> None:
    report = validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM)
    assert report.ok and report.findings == [] and report.manifest is not None and len(report.manifest_sha256) == 64
    assert find_deliveries(LocalStorage(lake)) == [(F.FACILITY, F.YYYYMM)]


class ManifestOnly(LocalStorage):
    """The ValidateManifest Lambda's rights on the bucket (docs/decisions/0017): list anything, read manifests and
    deletion records only — any other read is refused, as S3 refuses it with AccessDenied."""

    def read_bytes(self, key: str) -> bytes:
        if not (key.endswith("/manifest.json") or key.startswith("state/deleted/")):
            raise PermissionError(f"AccessDenied: {key}")
        return super().read_bytes(key)


def test_manifest_only_validation_reads_no_delivered_file(lake: Path) -> None:
    report = validate_delivery(ManifestOnly(lake), F.FACILITY, F.YYYYMM, contents=False)
    assert (
        report.ok
        and report.manifest_sha256 == validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM).manifest_sha256
    )
    p = delivery(lake) / F.file_name("EFn")
    p.write_bytes(p.read_bytes()[:-7])  # a truncated upload shows in the listing's size
    report = validate_delivery(ManifestOnly(lake), F.FACILITY, F.YYYYMM, contents=False)
    assert [str(f["reason_code"]) for f in report.findings] == ["size_mismatch"]


def test_revalidation_checks_contents_and_the_validated_manifest(lake: Path) -> None:
    validated = validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM, contents=False)
    assert validated.manifest_sha256 is not None
    assert revalidated_report(LocalStorage(lake), F.FACILITY, F.YYYYMM, validated.manifest_sha256).ok
    m = json.loads((delivery(lake) / "manifest.json").read_text())
    m["files"][0]["rows"] += 1  # a new manifest after validation (and a wrong row count in it)
    (delivery(lake) / "manifest.json").write_text(json.dumps(m))
    again = revalidated_report(LocalStorage(lake), F.FACILITY, F.YYYYMM, validated.manifest_sha256)
    assert [str(f["reason_code"]) for f in again.findings] == ["row_count_mismatch", "manifest_changed"]


def test_missing_file(lake: Path) -> None:
    (delivery(lake) / F.file_name("H")).unlink()
    assert check(lake) == [(F.file_name("H"), "missing_file")]


def test_extra_file(lake: Path) -> None:
    (delivery(lake) / "Dn_131000001_2404_old.txt").write_bytes(b"x")
    assert check(lake) == [("Dn_131000001_2404_old.txt", "extra_file")]


def test_checksum_only(lake: Path) -> None:
    p = delivery(lake) / F.file_name("D")
    data = bytearray(p.read_bytes())
    data[-5] = ord("9") if data[-5] != ord("9") else ord("8")
    p.write_bytes(bytes(data))
    assert check(lake) == [(F.file_name("D"), "checksum_mismatch")]
    [f] = validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM).findings
    assert "sha256 mismatch: manifest says" in str(f["reason"]) and "truncated upload" in str(f["reason"])


def test_truncated_upload_size_checksum_rows(lake: Path) -> None:
    p = delivery(lake) / F.file_name("EFn")
    data = p.read_bytes()
    p.write_bytes(data[: data.rindex(b"\r\n", 0, len(data) - 2) + 2])  # drop the last line
    assert check(lake) == [
        (F.file_name("EFn"), c) for c in ("size_mismatch", "checksum_mismatch", "row_count_mismatch")
    ]


def test_row_count_in_manifest_wrong(lake: Path) -> None:
    m = json.loads((delivery(lake) / "manifest.json").read_text())
    m["files"][0]["rows"] += 1
    (delivery(lake) / "manifest.json").write_text(json.dumps(m))
    assert check(lake) == [(m["files"][0]["name"], "row_count_mismatch")]


def test_size_in_manifest_wrong(lake: Path) -> None:
    m = json.loads((delivery(lake) / "manifest.json").read_text())
    m["files"][1]["bytes"] += 10
    (delivery(lake) / "manifest.json").write_text(json.dumps(m))
    assert check(lake) == [(m["files"][1]["name"], "size_mismatch")]


def test_bad_json(lake: Path) -> None:
    (delivery(lake) / "manifest.json").write_text('{"facility_code": "131000001",')
    assert check(lake) == [("manifest.json", "bad_manifest")]


def test_missing_manifest(lake: Path) -> None:
    (delivery(lake) / "manifest.json").unlink()
    assert check(lake) == [("manifest.json", "missing_manifest")]
    assert find_deliveries(LocalStorage(lake)) == [(F.FACILITY, F.YYYYMM)]


def test_required_field_missing(lake: Path) -> None:
    m = json.loads((delivery(lake) / "manifest.json").read_text())
    del m["files"]
    (delivery(lake) / "manifest.json").write_text(json.dumps(m))
    assert check(lake) == [("manifest.json", "manifest_field")]


def test_month_mismatch(lake: Path) -> None:
    m = json.loads((delivery(lake) / "manifest.json").read_text())
    m["yyyymm"] = 202405
    (delivery(lake) / "manifest.json").write_text(json.dumps(m))
    assert check(lake) == [("manifest.json", "delivery_mismatch")]
    [f] = validate_delivery(LocalStorage(lake), F.FACILITY, F.YYYYMM).findings
    assert "manifest says month 202405, the path says 202404" in str(f["reason"])


def test_unknown_kind(lake: Path) -> None:
    name = "XX_131000001_2404.txt"
    files = {p.name: p.read_bytes() for p in delivery(lake).iterdir() if p.name != "manifest.json"}
    F.write_delivery(lake, {**files, name: b"a\r\n"})
    assert check(lake) == [(name, "unknown_kind")]


def test_validate_is_standard_library_only() -> None:
    allowed = set(sys.stdlib_module_names) | {"dpc"}
    for mod in ("dpc/steps/validate.py", "dpc/manifest.py", "dpc/layouts.py", "dpc/config.py", "dpc/storage.py"):
        tree = ast.parse((Path(__file__).parents[2] / mod).read_text())
        for node in tree.body:  # top-level imports only (boto3 is imported lazily inside functions)
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for n in names:
                assert n.split(".")[0] in allowed | {"__future__"}, (mod, n)
