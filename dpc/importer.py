"""`dpc import`: take a hospital's folder of files into the lake as deliveries (one facility × one month).

A hospital's files arrive with the names the specification gives them (``FF1_123456789_2504.txt``, p17; the
prefix names the kind, the 9 digits the 施設コード, the 4 the survey month as yymm) in any folder layout, possibly
several months and facilities at once, possibly inside the zip the support tool writes. This module:

1. finds every file under the given paths (and inside zip archives) and **classifies** it from its name, checking
   the name's 施設コード against the file's first data row (every layout starts with it, p20);
2. **plans**: groups the files into deliveries, compares each with what the lake already holds (new, unchanged,
   changed: a corrected file replaces the delivery's file of the same kind, the other kinds are kept, or with
   ``replace`` the imported files are the whole delivery), and lists what each facility's profile requires but the
   delivery lacks (:mod:`dpc.facility_profiles`);
3. **applies** the plan: writes the files under ``raw/yyyymm=…/facility=…/`` and the manifest last, so a run never
   sees a half-written delivery as valid (the manifest's checksums would not match).

Nothing is dropped silently: a file that cannot be placed (unknown name, no 施設コード or month, a name that
disagrees with its rows, two different files under one name) is listed with its reason and makes the import exit 1.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dpc.config import file_prefixes
from dpc.facility_profiles import OWED_BECAUSE, Profiles, missing_kinds
from dpc.layouts import LAYOUTS, kind_for_filename
from dpc.manifest import MANIFEST_NAME, delivery_in_name, has_title_row, plausible_month, write_manifest

MAX_ZIP_MEMBER = 4 * 1024**3  # a month's EF file of a large hospital is well under this


@dataclass(frozen=True)
class Found:
    """One file found under the import paths."""

    origin: str  # the path shown to the user (zip members as archive.zip!member)
    name: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Classified:
    found: Found
    kind: str | None = None
    facility_code: str | None = None
    yyyymm: int | None = None
    problem: str | None = None


@dataclass
class DeliveryPlan:
    facility_code: str
    yyyymm: int
    files: list[Classified]
    action: str = "new"  # new | changed | unchanged
    replaced: list[str] = field(default_factory=list)  # names in the lake the import replaces
    kept: list[str] = field(default_factory=list)  # names in the lake the import keeps
    missing: list[str] = field(default_factory=list)  # kinds the profile requires and the delivery lacks
    profile_source: str = ""

    @property
    def folder(self) -> str:
        return f"raw/yyyymm={self.yyyymm}/facility={self.facility_code}"


@dataclass
class ImportPlan:
    deliveries: list[DeliveryPlan]
    unplaced: list[Classified]

    @property
    def ok(self) -> bool:
        return not self.unplaced


def _first_data_row(data: bytes) -> bytes:
    lines = data.split(b"\n", 2)
    if lines and has_title_row(lines[0]):
        lines = lines[1:]
    return lines[0].lstrip(b"\xef\xbb\xbf") if lines else b""


def walk(paths: list[Path]) -> Iterator[Found]:
    """Every file under the paths, zip archives opened (hidden files and manifests skipped: a manifest describes a
    delivery folder and is rewritten for the files actually placed)."""
    for root in paths:
        candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in candidates:
            if path.name.startswith(".") or path.name == MANIFEST_NAME:
                continue
            if zipfile.is_zipfile(path):
                yield from _zip_members(path)
            else:
                yield Found(str(path), path.name, path.read_bytes())


def _zip_members(path: Path) -> Iterator[Found]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or not name or name.startswith(".") or name == MANIFEST_NAME:
                continue
            origin = f"{path}!{info.filename}"
            if info.file_size > MAX_ZIP_MEMBER:
                yield Found(origin, name, b"")  # classified as too large below
                continue
            with archive.open(info) as member:
                yield Found(origin, name, member.read())


def classify(found: Found, prefixes: dict[str, tuple[str, ...]] | None = None) -> Classified:
    """Kind, facility and month of a file from its name (p17), the facility checked against its first data row."""
    kind = kind_for_filename(found.name, prefixes or file_prefixes())
    if kind is None:
        known = ", ".join(f"{p}_" for k in LAYOUTS for p in (prefixes or file_prefixes())[k])
        return Classified(
            found, problem=f"not a file name the specification uses (p17: one of {known} + 施設コード_yymm)"
        )
    located = delivery_in_name(found.name)
    if located is None:
        return Classified(
            found,
            kind,
            problem="the name lacks <施設コード 9 digits>_<yymm> after its prefix (p17: FF1_123456789_2504.txt)",
        )
    facility, yyyymm = located
    if not plausible_month(yyyymm):
        return Classified(found, kind, facility, problem=f"yymm {yyyymm % 10000:04d} in the name is not a real month")
    row = _first_data_row(found.data)
    if row and row[:9].isdigit() and row[:9].decode("ascii") != facility:
        return Classified(
            found,
            kind,
            facility,
            yyyymm,
            problem=f"the name says 施設コード {facility} but its first data row says {row[:9].decode('ascii')}",
        )
    return Classified(found, kind, facility, yyyymm)


def _lake_files(folder: Path) -> dict[str, str]:
    """name → sha256 of a delivery folder's files in the lake (the manifest excluded)."""
    if not folder.is_dir():
        return {}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST_NAME
    }


def plan_import(paths: list[Path], lake: Path, profiles: Profiles, replace: bool = False) -> ImportPlan:
    prefixes = file_prefixes()
    grouped: dict[tuple[str, int], dict[str, Classified]] = defaultdict(dict)
    unplaced: list[Classified] = []
    for found in walk(paths):
        item = classify(found, prefixes)
        if item.problem is not None or item.facility_code is None or item.yyyymm is None:
            unplaced.append(item)
            continue
        files = grouped[(item.facility_code, item.yyyymm)]
        twin = files.get(found.name)
        if twin is None:
            files[found.name] = item
        elif twin.found.sha256 != found.sha256:
            unplaced.append(
                Classified(
                    found, problem=f"a different file of the same name is also being imported ({twin.found.origin})"
                )
            )
    deliveries = []
    for (facility, yyyymm), files in sorted(grouped.items()):
        plan = DeliveryPlan(facility, yyyymm, sorted(files.values(), key=lambda c: c.found.name))
        in_lake = _lake_files(lake / plan.folder)
        imported_kinds = {c.kind for c in plan.files}
        for name in in_lake:
            if name in files:
                continue
            if replace or kind_for_filename(name, prefixes) in imported_kinds:
                plan.replaced.append(name)
            else:
                plan.kept.append(name)
        if not in_lake:
            plan.action = "new"
        elif not plan.replaced and all(in_lake.get(c.found.name) == c.found.sha256 for c in plan.files):
            plan.action = "unchanged"
        else:
            plan.action = "changed"
            plan.replaced += [
                c.found.name for c in plan.files if c.found.name in in_lake and in_lake[c.found.name] != c.found.sha256
            ]
        present = {c.kind for c in plan.files if c.kind} | {kind_for_filename(n, prefixes) for n in plan.kept} - {None}
        profile = profiles.of(facility)
        plan.missing = missing_kinds(profile, {k for k in present if k})
        plan.profile_source = profile.source
        deliveries.append(plan)
    return ImportPlan(deliveries, unplaced)


def apply_import(plan: ImportPlan, lake: Path) -> None:
    """Write each new or changed delivery: its files (each written beside its target and renamed), then the
    manifest, last."""
    for delivery in plan.deliveries:
        if delivery.action == "unchanged":
            continue
        folder = lake / delivery.folder
        folder.mkdir(parents=True, exist_ok=True)
        for name in delivery.replaced:
            if not any(c.found.name == name for c in delivery.files):
                (folder / name).unlink(missing_ok=True)
        for item in delivery.files:
            target = folder / item.found.name
            partial = folder / f".{item.found.name}.importing"
            partial.write_bytes(item.found.data)
            os.replace(partial, target)
        write_manifest(folder, created_by="dpc import")


def describe(plan: ImportPlan, dry_run: bool) -> str:
    """What the import does (or, in a dry run, would do), a delivery per paragraph."""
    out = io.StringIO()
    verb = "would" if dry_run else "did"
    for d in plan.deliveries:
        kinds = ", ".join(f"{c.kind} {c.found.name}" for c in d.files)
        action = {"new": "add", "changed": "update", "unchanged": "leave unchanged"}[d.action]
        out.write(f"{d.folder}: {verb} {action} ({len(d.files)} file(s): {kinds})\n")
        for name in d.replaced:
            out.write(f"  replaces {name}\n")
        for name in d.kept:
            out.write(f"  keeps {name} (not re-delivered)\n")
        for kind in d.missing:
            out.write(
                f"  warning: no {LAYOUTS[kind].title.split(' ')[0]} ({kind}) file, owed by {OWED_BECAUSE[kind]} per {d.profile_source}\n"
            )
    for item in plan.unplaced:
        out.write(f"not placed: {item.found.origin}: {item.problem}\n")
    placed = sum(len(d.files) for d in plan.deliveries)
    out.write(
        f"{len(plan.deliveries)} deliveries, {placed} file(s) placed, {len(plan.unplaced)} not placed"
        f"{' (dry run: nothing written)' if dry_run else ''}\n"
    )
    return out.getvalue()
