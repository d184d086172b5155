"""Delivery manifests: what a delivery (one facility × one month) claims to contain.

Standard library only: the ValidateManifest Lambda imports this module as it is.

A manifest is ``manifest.json`` beside the files of a delivery::

    {"manifest_version": 1, "facility_code": "131000001", "yyyymm": 202404,
     "files": [{"name": "EFn_131000001_2404.txt", "kind": "EFn", "bytes": 1234,
                "rows": 56, "sha256": "…"}], "created_by": "dpc generate"}

``rows`` counts data rows: physical lines, minus the title row when there is one,
minus a final empty line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dpc.layouts import is_facility_code_title, kind_for_filename

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
DELIVERY_PATH = re.compile(r"(?:^|/)yyyymm=(?P<yyyymm>\d{6})/facility=(?P<facility>\d{9})(?:/|$)")
FIRST_SURVEY_MONTH = 200301  # the DPC survey began in 2003 (平成15年度)
LAST_PLAUSIBLE_MONTH = 209912


def plausible_month(yyyymm: int) -> bool:
    """A real month (01–12) within the survey's plausible years."""
    return FIRST_SURVEY_MONTH <= yyyymm <= LAST_PLAUSIBLE_MONTH and 1 <= yyyymm % 100 <= 12


@dataclass(frozen=True)
class FileFacts:
    name: str
    kind: str | None
    bytes: int
    rows: int
    sha256: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "bytes": self.bytes, "rows": self.rows, "sha256": self.sha256}


def has_title_row(first_line: bytes) -> bool:
    """Whether a file's first line is a title row, by structure: its first field (tab- or comma-separated, cp932 or
    UTF-8) reads as a form of 施設コード (施設コード, 施設ｺｰﾄﾞ, 施設CD …), where a data row has 9 digits (p17, p20)."""
    line = first_line.lstrip(b"\xef\xbb\xbf")
    field = line.split(b"\t", 1)[0].split(b",", 1)[0]
    for encoding in ("cp932", "utf-8"):
        try:
            text = field.decode(encoding)
        except UnicodeDecodeError:
            continue
        if is_facility_code_title(text):
            return True
    return False


def count_data_rows(data: bytes) -> int:
    """Data rows of a delivered file: lines (CRLF or LF), title row and trailing empty line excluded."""
    if not data:
        return 0
    lines = data.split(b"\n")
    if lines and lines[-1] in (b"", b"\r"):
        lines.pop()
    if lines and has_title_row(lines[0]):
        lines = lines[1:]
    return len(lines)


def file_facts(name: str, data: bytes) -> FileFacts:
    return FileFacts(
        name=name,
        kind=kind_for_filename(name),
        bytes=len(data),
        rows=count_data_rows(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def build_manifest(facility_code: str, yyyymm: int, files: Iterable[FileFacts], created_by: str) -> dict[str, object]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "facility_code": facility_code,
        "yyyymm": int(yyyymm),
        "created_by": created_by,
        "files": [f.as_dict() for f in sorted(files, key=lambda f: f.name)],
    }


def manifest_sha256(manifest: dict[str, object]) -> str:
    """A stable hash of a manifest's content (names executions and the delivery registry)."""
    return hashlib.sha256(json.dumps(manifest, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def delivery_from_path(path: str) -> tuple[str, int] | None:
    """(facility, yyyymm) from a lake path such as raw/yyyymm=202404/facility=131000001/…"""
    m = DELIVERY_PATH.search(path)
    if m is None or not plausible_month(int(m["yyyymm"])):
        return None  # not a delivery folder: reported by dpc.steps.validate.misplaced, never guessed
    return m["facility"], int(m["yyyymm"])


def write_manifest(delivery_dir: Path, created_by: str = "dpc manifest") -> dict[str, object]:
    """Write manifest.json for the files of a delivery folder (every file but the manifest itself)."""
    located = delivery_from_path(delivery_dir.as_posix())
    facts = [
        file_facts(p.name, p.read_bytes())
        for p in sorted(delivery_dir.iterdir())
        if p.is_file() and p.name != MANIFEST_NAME
    ]
    if located:
        facility, yyyymm = located
    else:
        facility, yyyymm = _delivery_from_names([f.name for f in facts])
    manifest = build_manifest(facility, yyyymm, facts, created_by)
    (delivery_dir / MANIFEST_NAME).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


_NAME = re.compile(r"^[A-Za-z0-9]+_(?P<facility>\d{9})_(?P<yymm>\d{4})\.", re.ASCII)


def delivery_in_name(name: str) -> tuple[str, int] | None:
    """(施設コード, yyyymm) a delivered file's name carries (p17: ``FF1_123456789_2504.txt``; the survey began in
    2003, so yymm is 20yy), or None when the name does not have that shape. The month is not checked here."""
    m = _NAME.match(name)
    return (m["facility"], 200000 + int(m["yymm"])) if m else None


def _delivery_from_names(names: list[str]) -> tuple[str, int]:
    """File names carry <施設コード>_<yymm>; every file of a delivery must agree."""
    found = {located for n in names if (located := delivery_in_name(n))}
    if len(found) != 1:
        raise ValueError(
            f"cannot tell the delivery (facility, month) from the file names {names}: found {sorted(found)}"
        )
    return found.pop()
