"""Deterministic synthetic DPC deliveries (様式1, EF, D, H and optionally outpatient EF).

``generate(lake, …)`` simulates, per facility of ``seeds/ref/ref_facility.csv``, a timeline of patients and
stays (see :mod:`dpc.generate.timeline`) and writes one delivery per facility × month into
``lake/raw/yyyymm=YYYYMM/facility=NNNNNNNNN/`` with its ``manifest.json``. Codes, billing-period thresholds,
per-diem points and hospital coefficients are read from the reference seeds (:mod:`dpc.generate.reference`);
the file conventions are documented in :mod:`dpc.generate.records`.

Deterministic: every random draw comes from ``random.Random`` seeded with a string built from the seed, the
facility and the stay number; nothing reads the clock, and every iteration is over sorted or ordered data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from dpc.generate.acts import stay_acts
from dpc.generate.outpatient import efg_rows
from dpc.generate.records import d_rows, ef_rows, ff1_rows, h_rows, month_bounds
from dpc.generate.reference import Facility, fiscal_year, load_reference
from dpc.generate.timeline import simulate
from dpc.generate.writer import encode_rows, write_file
from dpc.layouts import LAYOUTS
from dpc.manifest import write_manifest
from dpc.storage import delivery_prefix

__all__ = ["Delivery", "generate", "months_from"]

DEFAULT_ADMISSIONS_PER_MONTH = 120
ADMISSIONS_PER_BED = 2.2


@dataclass(frozen=True)
class Delivery:
    facility_code: str
    yyyymm: int
    path: Path
    manifest: dict


def months_from(start_yyyymm: int, months: int) -> list[int]:
    y, m = divmod(start_yyyymm, 100)
    if not 1 <= m <= 12:
        raise ValueError(f"start_yyyymm {start_yyyymm} is not a yyyymm month")
    out = []
    for _ in range(months):
        out.append(y * 100 + m)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _version(yyyymm: int) -> str:
    return f"{fiscal_year(yyyymm)}0401"


def generate(
    lake: Path,
    *,
    seed: int = 42,
    facilities: int = 2,
    months: int = 3,
    start_yyyymm: int = 202404,
    admissions_per_month: int | None = None,
    beds: int | None = None,
    header: bool = True,
    encoding: str = "cp932",
    fixed_width: bool = False,
    outpatient: bool = False,
) -> list[Delivery]:
    """Write ``facilities`` × ``months`` deliveries under ``lake/raw`` and return them (facility, then month)."""
    ref = load_reference()
    if not 1 <= facilities <= len(ref.facilities):
        raise ValueError(f"facilities must be 1..{len(ref.facilities)} (the rows of seeds/ref/ref_facility.csv)")
    if months < 1:
        raise ValueError("months must be at least 1")
    if admissions_per_month is None:
        admissions_per_month = round(beds * ADMISSIONS_PER_BED) if beds else DEFAULT_ADMISSIONS_PER_MONTH
    yyyymms = months_from(start_yyyymm, months)
    first_day, _ = month_bounds(yyyymms[0])
    _, last_day = month_bounds(yyyymms[-1])
    deliveries: list[Delivery] = []
    for facility in ref.facilities[:facilities]:
        deliveries += _facility(
            Path(lake),
            facility,
            seed,
            yyyymms,
            first_day,
            last_day,
            admissions_per_month,
            header=header,
            encoding=encoding,
            fixed_width=fixed_width,
            outpatient=outpatient,
        )
    return deliveries


def _facility(
    lake: Path,
    facility: Facility,
    seed: int,
    yyyymms: list[int],
    first_day,
    last_day,
    admissions_per_month: int,
    *,
    header: bool,
    encoding: str,
    fixed_width: bool,
    outpatient: bool,
) -> list[Delivery]:
    ref = load_reference()
    stays = simulate(ref, facility.facility_code, facility.prefecture, seed, first_day, last_day, admissions_per_month)
    stays = [s for s in stays if s.discharge >= first_day]
    acts = {s.number: stay_acts(s, seed, facility.facility_code) for s in stays}
    score_rng = random.Random(f"h:{seed}:{facility.facility_code}")
    scores = [score_rng.choice([0, 0, 0, 1, 1, 2]) for _ in range(997)]
    out: list[Delivery] = []
    fac = facility.facility_code
    for yyyymm in yyyymms:
        first, last = month_bounds(yyyymm)
        active = [s for s in stays if s.admission <= last and s.discharge >= first]
        version = _version(yyyymm)
        rows: dict[str, list[list[str]]] = {"FF1": [], "EFn": [], "D": [], "H": []}
        for s in active:
            rows["FF1"] += ff1_rows(s, facility, yyyymm, version)
            rows["EFn"] += ef_rows(s, acts[s.number], facility, ref, yyyymm)
            rows["D"] += d_rows(s, acts[s.number], facility, ref, yyyymm)
            rows["H"] += h_rows(s, facility, yyyymm, version, scores)
        if outpatient:
            rows["EFg"] = efg_rows(stays, facility, seed, yyyymm)
        directory = lake / delivery_prefix("raw", fac, yyyymm)
        directory.mkdir(parents=True, exist_ok=True)
        yymm = f"{yyyymm % 10000:04d}"
        for kind in sorted(rows):
            layout = LAYOUTS[kind]
            fw = fixed_width and layout.fixed_width_allowed
            data = encode_rows(layout, rows[kind], header=header and not fw, encoding=encoding, fixed_width=fw)
            write_file(directory / f"{layout.prefixes[0]}_{fac}_{yymm}.txt", data)
        manifest = write_manifest(directory, created_by="dpc generate")
        out.append(Delivery(fac, yyyymm, directory, manifest))
    return out
