"""Validate a delivery against its manifest, before anything is read (issue 4 item 1).

STANDARD LIBRARY ONLY: the ValidateManifest Lambda imports this module as it is (with dpc.manifest,
dpc.layouts, dpc.config and dpc.storage, which are standard library only too).

Checks, each reported as a finding (file, line, column, reason_code, reason) with an actionable message:
manifest present (``missing_manifest``) and parseable JSON (``bad_manifest``) with the required fields
(``manifest_field``); facility and month in the manifest equal the delivery path (``delivery_mismatch``);
every listed file present (``missing_file``) and every present file listed (``extra_file``); byte size
(``size_mismatch``), sha256 (``checksum_mismatch``) and data-row count (``row_count_mismatch``) as listed;
a known kind for each file name (``unknown_kind``) that agrees with the manifest's kind (``kind_mismatch``).

One hospital's manifest can never stop another's run: every field is checked by type and range before it is used
(``manifest_field``: a non-integer row count, a null size, a path in a file name, a duplicate entry …), nesting and
size are bounded (``bad_manifest``), and each problem is a finding of this delivery — never an exception.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from dpc.config import file_prefixes
from dpc.facility_profiles import OWED_BECAUSE, FacilityProfile, missing_kinds
from dpc.layouts import kind_for_filename
from dpc.manifest import MANIFEST_NAME, count_data_rows, delivery_from_path, manifest_sha256
from dpc.steps import step
from dpc.steps.identifiers import deletion_marker
from dpc.storage import Storage, delivery_prefix

REQUIRED_FIELDS = ("facility_code", "yyyymm", "files")
REQUIRED_FILE_FIELDS = ("name", "bytes", "rows", "sha256")
MAX_MANIFEST_BYTES = 1_000_000  # a manifest of the monthly files is a few kB
MAX_FILES = 200  # seven kinds, each possibly split into several files
MAX_NAME = 255  # a file name, as file systems bound it
MAX_COUNT = 10**12  # bytes or rows of one file
FORBIDDEN_NAME_CHARACTERS = frozenset("/\\\x00:")


@dataclass
class ValidationReport:
    facility_code: str
    yyyymm: int
    ok: bool = True
    findings: list[dict[str, object]] = field(default_factory=list)
    manifest: dict[str, Any] | None = None  # the parsed JSON
    manifest_sha256: str | None = None

    def add(self, file: str, reason_code: str, reason: str, line: int = 0, column: str | None = None) -> None:
        self.ok = False
        self.findings.append(
            {"file": file, "line": line, "column": column, "reason_code": reason_code, "reason": reason}
        )

    def messages(self) -> list[str]:
        return [f"{f['file']}: {f['reason']}" for f in self.findings]

    def as_dict(self) -> dict[str, object]:
        return {
            "facility_code": self.facility_code,
            "yyyymm": self.yyyymm,
            "ok": self.ok,
            "findings": self.findings,
            "manifest_sha256": self.manifest_sha256,
        }


def deleted_after_normalising(storage: Storage, facility_code: str, yyyymm: int, name: str, sha256: str) -> bool:
    """Whether the normaliser deleted this exact file (same name and checksum) after normalising it: raw
    K生成用データ files hold names and insurance numbers and are not kept (docs/decisions/0003)."""
    marker = deletion_marker(storage, facility_code, yyyymm, name)
    return marker is not None and marker.get("sha256") == sha256


def _short(digest: str) -> str:
    return digest[:12] + "…"


@step("validate")
def validate_delivery(storage: Storage, facility_code: str, yyyymm: int, *, contents: bool = True) -> ValidationReport:
    """Check the delivery's files against its manifest (see the module docstring).

    ``contents=False`` reads the manifest (and deletion records) only: presence and sizes come from the listing, and
    the checks that need a file's bytes (sha256, data-row count) are left to the step that reads the files anyway.
    The ValidateManifest Lambda runs it so, because only the normalise task may read delivered files on AWS
    (docs/decisions/0017); the normalise step then validates the contents (:func:`revalidated_report`)."""
    report = ValidationReport(facility_code, int(yyyymm))
    prefix = delivery_prefix("raw", facility_code, yyyymm)
    mkey = prefix + MANIFEST_NAME
    sizes = {k[len(prefix) :]: n for k, n in storage.sizes(prefix).items() if k != mkey and not k.endswith("/")}
    present = sorted(sizes)
    if not storage.exists(mkey):
        report.add(
            mkey,
            "missing_manifest",
            f"no {MANIFEST_NAME}: write it once every file is uploaded (`dpc manifest DIR`); "
            f"files present: {', '.join(present) or 'none'}",
        )
        return report
    raw = storage.read_bytes(mkey)
    if len(raw) > MAX_MANIFEST_BYTES:
        report.add(mkey, "bad_manifest", f"{len(raw):,} bytes: a manifest is at most {MAX_MANIFEST_BYTES:,} bytes")
        return report
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except RecursionError:
        report.add(mkey, "bad_manifest", "nested too deeply to be a manifest: rewrite it with `dpc manifest DIR`")
        return report
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        report.add(mkey, "bad_manifest", f"not valid JSON ({exc}): rewrite it with `dpc manifest DIR`", line=line)
        return report
    if not isinstance(manifest, dict):
        report.add(mkey, "bad_manifest", "the manifest is not a JSON object: rewrite it with `dpc manifest DIR`")
        return report
    report.manifest = manifest
    report.manifest_sha256 = manifest_sha256(manifest)
    missing_fields = [f for f in REQUIRED_FIELDS if f not in manifest]
    if missing_fields or not isinstance(manifest.get("files"), list):
        report.add(
            mkey,
            "manifest_field",
            f"required field(s) missing or malformed: {', '.join(missing_fields) or 'files (must be a list)'}",
        )
        return report
    if str(manifest["facility_code"]) != facility_code:
        report.add(
            mkey,
            "delivery_mismatch",
            f"manifest says facility {str(manifest['facility_code'])[:40]}, the path says {facility_code} "
            f"(files uploaded to the wrong folder, or a manifest copied from another delivery)",
            column="facility_code",
        )
    try:
        m_month = int(manifest["yyyymm"])
    except (TypeError, ValueError):
        m_month = None
    if m_month != int(yyyymm):
        report.add(
            mkey,
            "delivery_mismatch",
            f"manifest says month {str(manifest['yyyymm'])[:40]}, the path says {yyyymm} "
            f"(files uploaded to the wrong month, or a manifest copied from another delivery)",
            column="yyyymm",
        )
    prefixes = file_prefixes()
    listed: dict[str, dict[str, Any]] = {}
    if len(manifest["files"]) > MAX_FILES:
        report.add(mkey, "manifest_field", f"{len(manifest['files'])} files listed: a delivery has at most {MAX_FILES}")
        return report
    for i, entry in enumerate(manifest["files"]):
        problems = file_entry_problems(entry)
        if problems:
            report.add(mkey, "manifest_field", f"files[{i}]: " + "; ".join(problems), column=f"files[{i}]")
            continue
        if entry["name"] in listed:
            report.add(mkey, "manifest_field", f"files[{i}]: {entry['name']} is listed twice", column=f"files[{i}]")
            continue
        listed[entry["name"]] = entry
    if not report.ok:
        return report
    for name in sorted(set(present) - set(listed)):
        report.add(
            prefix + name,
            "extra_file",
            "present but not in the manifest (uploaded after the manifest was written? rewrite the manifest, "
            "or remove the file)",
        )
    for name, entry in sorted(listed.items()):
        key = prefix + name
        kind = kind_for_filename(name, prefixes)
        if kind is None:
            report.add(
                key,
                "unknown_kind",
                "the file name starts with no known prefix "
                f"({', '.join(p for ps in prefixes.values() for p in ps)}; configure DPC_FILE_PREFIXES)",
            )
        elif entry.get("kind") not in (None, kind):
            report.add(key, "kind_mismatch", f"manifest says kind {entry.get('kind')}, the file name says {kind}")
        if name not in present:
            if deleted_after_normalising(storage, facility_code, yyyymm, name, str(entry.get("sha256", ""))):
                continue  # a K生成用データ file the normaliser deleted on purpose (docs/decisions/0003)
            report.add(
                key, "missing_file", "listed in the manifest but not present (upload incomplete or file renamed)"
            )
            continue
        if sizes[name] != entry["bytes"]:
            report.add(
                key,
                "size_mismatch",
                f"size mismatch: manifest says {entry['bytes']} bytes, file has {sizes[name]} "
                "(truncated or partial upload, or the file changed after the manifest was written)",
            )
        if not contents:
            continue
        data = storage.read_bytes(key)
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            report.add(
                key,
                "checksum_mismatch",
                f"sha256 mismatch: manifest says {_short(str(entry['sha256']))}, file has {_short(digest)} "
                "(file changed after the manifest was written, or truncated upload)",
            )
        rows = count_data_rows(data)
        if rows != entry["rows"]:
            report.add(
                key,
                "row_count_mismatch",
                f"row count mismatch: manifest says {entry['rows']} data rows, file has {rows} "
                "(title row excluded; truncated upload or the file changed after the manifest was written)",
            )
    return report


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def file_entry_problems(entry: object) -> list[str]:
    """What is wrong with one ``files[]`` entry of a manifest, by type and range ([] when nothing)."""
    if not isinstance(entry, dict):
        return [f"an entry is an object with {', '.join(REQUIRED_FILE_FIELDS)}, got {type(entry).__name__}"]
    problems = [f"{f} missing" for f in REQUIRED_FILE_FIELDS if f not in entry]
    name = entry.get("name")
    if "name" in entry and not (
        isinstance(name, str)
        and 0 < len(name) <= MAX_NAME
        and not set(name) & FORBIDDEN_NAME_CHARACTERS
        and name not in (".", "..")
        and name.isprintable()
    ):
        problems.append(f"name must be a plain file name of at most {MAX_NAME} characters (no folder, no control)")
    for f in ("bytes", "rows"):
        if f in entry and not _count(entry[f]):
            problems.append(f"{f} must be a whole number from 0 to {MAX_COUNT:,}, got {str(entry[f])[:40]!r}")
    sha = entry.get("sha256")
    if "sha256" in entry and not (isinstance(sha, str) and len(sha) == 64 and set(sha) <= set("0123456789abcdef")):
        problems.append("sha256 must be 64 lower-case hexadecimal characters")
    if "kind" in entry and not (entry["kind"] is None or (isinstance(entry["kind"], str) and len(entry["kind"]) < 8)):
        problems.append("kind must be a file kind such as EFn")
    return problems


def revalidated_report(storage: Storage, facility_code: str, yyyymm: int, expected_sha256: str) -> ValidationReport:
    """The normalise step's check of a delivery the state machine's ValidateManifest validated without reading its
    files (``contents=False``): every check again, the contents now included (sha256, data-row counts), and the
    manifest still the one validated. A changed delivery is rejected: its new manifest starts a run of its own."""
    report = validate_delivery(storage, facility_code, yyyymm)
    if report.manifest_sha256 is not None and report.manifest_sha256 != expected_sha256:
        mkey = delivery_prefix("raw", facility_code, yyyymm) + MANIFEST_NAME
        report.add(mkey, "manifest_changed", "the manifest changed since it was validated: its new run will load it")
    return report


def misplaced(storage: Storage) -> list[str]:
    """Files under raw/ that belong to no delivery: not in ``raw/yyyymm=YYYYMM/facility=NNNNNNNNN/<file>`` with a
    real month and a 9-digit facility code (``yyyymm=202413``, ``facility=1310000170``, a sub-folder …). A run
    reports them; it never ignores them silently nor guesses where they belong."""
    out = []
    for key in storage.list("raw/"):
        located = delivery_from_path(key)
        if located is None or key.count("/") != 3 or not key.startswith(delivery_prefix("raw", *located)):
            out.append(key)
    return out


def find_deliveries(storage: Storage) -> list[tuple[str, int]]:
    """Every (facility, yyyymm) under raw/ that has a manifest or any file, sorted by month then facility."""
    found: set[tuple[str, int]] = set()
    for key in storage.list("raw/"):
        located = delivery_from_path(key)
        if located and key.count("/") == 3 and key.startswith(delivery_prefix("raw", *located)):
            found.add(located)
    return sorted(found, key=lambda d: (d[1], d[0]))


def profile_warnings(report: ValidationReport, profile: FacilityProfile) -> list[str]:
    """Kinds the facility's profile requires that the delivery's manifest does not list (dpc.facility_profiles):
    a warning, never a rejection — the files that did arrive are still good."""
    if report.manifest is None:
        return []
    names = [str(f.get("name")) for f in report.manifest.get("files", []) if isinstance(f, dict)]
    prefixes = file_prefixes()
    kinds = {k for n in names if (k := kind_for_filename(n, prefixes))}
    return [
        f"no {kind} file: owed by {OWED_BECAUSE[kind]} per {profile.source}" for kind in missing_kinds(profile, kinds)
    ]


def delivery_profile_warnings(storage: Storage, facility_code: str, yyyymm: int, profile: FacilityProfile) -> list[str]:
    """:func:`profile_warnings` of a delivery from its manifest as it is in the lake ([] when it cannot be read: the
    delivery's own validation reports that)."""
    try:
        manifest = json.loads(storage.read_bytes(delivery_prefix("raw", facility_code, yyyymm) + MANIFEST_NAME))
    except Exception:  # noqa: BLE001 — missing or broken: rejected by validate_delivery with its reason
        return []
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return []
    report = ValidationReport(facility_code, int(yyyymm), manifest=manifest)
    return profile_warnings(report, profile)
