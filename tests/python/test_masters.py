"""The vendored ministry DPC tables (reference/masters/) and their reader dpc.masters."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import date
from pathlib import Path

import pytest

from dpc import masters
from dpc.masters import ChecksumError, dpc_codes, revision_for, revisions

# the table in shared/dpc/masters/SOURCE.md (and reference/masters/SOURCE.md)
EXPECTED = {"2018": 4955, "2020": 4557, "2022": 4726, "2024": 3248}
# codes with 包括フラグ 1 (sheet 12）変換テーブル); the rest are 出来高算定 (e.g. 2,477 包括 of the 2024 table's 3,248)
EXPECTED_BUNDLED = {"2018": 4296, "2020": 3990, "2022": 4064, "2024": 2477}
HAVE_OPENPYXL = importlib.util.find_spec("openpyxl") is not None


def test_checksums_verify() -> None:
    checked = masters.verify_checksums()
    assert checked == sorted(r.file for r in revisions())


def test_checksum_mismatch_raises(tmp_path: Path) -> None:
    root = masters.masters_dir()
    for name in (masters.CHECKSUMS, revisions()[0].file):
        shutil.copy(root / name, tmp_path / name)
    with pytest.raises(ChecksumError, match="missing"):
        masters.verify_checksums(tmp_path)
    sums = (tmp_path / masters.CHECKSUMS).read_text(encoding="utf-8")
    only_first = "".join(line + "\n" for line in sums.splitlines() if revisions()[0].file in line)
    (tmp_path / masters.CHECKSUMS).write_text(only_first, encoding="utf-8")
    with pytest.raises(ChecksumError, match="does not list"):
        masters.verify_checksums(tmp_path)
    (tmp_path / masters.CHECKSUMS).write_text(sums, encoding="utf-8")
    for rev in revisions()[1:]:
        (tmp_path / rev.file).write_bytes(b"not the workbook")
    with pytest.raises(ChecksumError, match="sha256"):
        masters.verify_checksums(tmp_path)


def test_revisions_and_valid_from() -> None:
    revs = revisions()
    assert [r.id for r in revs] == ["2018", "2020", "2022", "2024"]
    assert [r.valid_from for r in revs] == [date(2018, 4, 1), date(2020, 4, 1), date(2022, 4, 1), date(2024, 6, 1)]
    assert revs[2].valid_to == date(2024, 5, 31) and revs[-1].valid_to is None


def test_revision_for() -> None:
    assert revision_for(date(2024, 5, 31)).id == "2022"  # the 2024 revision starts in June
    assert revision_for("20240601").id == "2024"
    assert revision_for(date(2020, 3, 31)).id == "2018"
    assert revision_for(date(2026, 1, 1)).id == "2024"
    with pytest.raises(LookupError):
        revision_for(date(2018, 3, 31))
    with pytest.raises(ValueError):
        revision_for("2024-06-01")


@pytest.mark.parametrize("revision", sorted(EXPECTED))
def test_code_counts_per_revision(revision: str) -> None:
    codes = dpc_codes(revision)
    assert len(codes) == EXPECTED[revision]
    assert len({c.code for c in codes}) == len(codes)
    rev = next(r for r in revisions() if r.id == revision)
    assert {c.valid_from for c in codes} == {rev.valid_from}
    assert {c.valid_to for c in codes} == {None}  # 99999999 in every sheet


@pytest.mark.parametrize("revision", sorted(EXPECTED))
def test_bundled_codes_per_revision(revision: str) -> None:
    """包括 (bundled) codes per revision: the flag of sheet 12, blank days and points in sheet 11 otherwise."""
    codes = dpc_codes(revision)
    assert sum(c.bundled for c in codes) == EXPECTED_BUNDLED[revision]
    assert all((c.days_i is None) == c.fee_for_service for c in codes)


def test_all_revisions_by_default() -> None:
    assert len(dpc_codes()) == sum(EXPECTED.values())
    with pytest.raises(ValueError):
        dpc_codes("2016")


def test_code_fields() -> None:
    first = dpc_codes("2024")[0]
    assert first.code == "010010xx9900xx" and first.mdc == "01" and first.dpc6 == "010010"
    assert first.name == "脳腫瘍"
    c = next(c for c in dpc_codes("2018") if c.code == "010010xx99000x")
    assert (c.days_i, c.days_ii, c.days_iii) == (2, 8, 30)
    assert (c.points_i, c.points_ii, c.points_iii) == (3593, 2212, 1880)
    assert not c.fee_for_service
    for code in dpc_codes():
        assert len(code.code) == 14 and code.code[:2].isdigit()
        thresholds = (code.days_i, code.days_ii, code.days_iii)
        if code.fee_for_service:  # 出来高 codes: no periods and no points
            assert thresholds == (None, None, None) and code.points_i is None and code.points_iii is None
        else:
            assert None not in thresholds and code.days_i <= code.days_ii <= code.days_iii
            if code.points_ii is None:  # '-' in the sheet: no period Ⅱ
                assert code.days_i == code.days_ii


def test_extract_is_up_to_date() -> None:
    """Regenerating dpc_codes.csv (and its SOURCE) from the workbooks gives the committed bytes."""
    root = masters.masters_dir()
    assert masters.extract(root).encode("utf-8") == (root / masters.EXTRACT).read_bytes()
    assert masters.extract_source(root).encode("utf-8") == (root / masters.EXTRACT_SOURCE).read_bytes()


@pytest.mark.skipif(not HAVE_OPENPYXL, reason="openpyxl is not installed")
def test_stdlib_reader_matches_openpyxl() -> None:
    rev = revisions()[-1]
    assert masters.extract_rows(rev, reader="stdlib") == masters.extract_rows(rev, reader="openpyxl")


def test_check_command_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert masters._main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out
