"""Deterministic synthetic DPC deliveries: every file of the monthly submission, as the specification lays it out.

``generate(lake, …)`` simulates, per facility of ``seeds/ref/ref_facility.csv``, a timeline of patients and
stays (:mod:`dpc.generate.timeline`) and writes one delivery per facility × month into
``lake/raw/yyyymm=YYYYMM/facility=NNNNNNNNN/`` with its ``manifest.json``: 様式1 (``FF1_…txt``), 様式4
(``FF4_…txt``), H (``Hn_…txt``), 入院EF統合 (``EFn_…txt``), 外来EF統合 (``EFg_…txt``, with ``outpatient``), D
(``Dn_…txt``) and K生成用データ (``Kn_…csv``), named ``<prefix>_<施設コード>_<yymm>`` (p17–18), cp932, CRLF.
Layouts are :data:`dpc.layouts.LAYOUTS`; codes come from the transcribed code lists and item tables
(``dpc/specdata``), DPC periods and points from the ministry's tables (:mod:`dpc.masters`), the case mix and the
facilities from the reference seeds (:mod:`dpc.generate.reference`). The conventions of each file are in
:mod:`dpc.generate.records`, :mod:`dpc.generate.forms` and :mod:`dpc.generate.outpatient`.

Deterministic: every random draw comes from ``random.Random`` seeded with a string built from the seed, the
facility and the stay number; nothing reads the clock, and every iteration is over sorted or ordered data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dpc.generate.acts import stay_acts
from dpc.generate.forms import form_records, forms_of
from dpc.generate.outpatient import efg_rows, visits_of
from dpc.generate.records import billing_context, d_rows, ef_rows, ff4_row, h_rows, k_rows, month_bounds
from dpc.generate.reference import Facility, load_reference
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


# the share of acts written with the literal NULL of the worked example (p228) and of stays whose D rows are written
# as p215/p217 print them (Null, null); never in fixed-width files, whose narrow code fields cannot hold it
NULL_ACT_RATE = 0.04
NULL_STAY_RATE = 0.05


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
    outpatient: bool = True,
    on_delivery: Callable[[], None] | None = None,
) -> list[Delivery]:
    """Write ``facilities`` × ``months`` deliveries under ``lake/raw`` and return them (facility, then month);
    ``on_delivery`` is called after each delivery is written (the progress bar of ``dpc generate``).

    ``header=False`` leaves out every title row (an older variant: the reader warns that 様式1 and H need one);
    ``fixed_width`` writes EF and D as fixed-width records; ``outpatient=False`` leaves out 外来EF統合 (which DPC
    hospitals must deliver, p7)."""
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
    for index, facility in enumerate(ref.facilities[:facilities]):
        deliveries += _facility(
            Path(lake),
            facility,
            index,
            seed,
            yyyymms,
            first_day,
            last_day,
            admissions_per_month,
            header=header,
            encoding=encoding,
            fixed_width=fixed_width,
            outpatient=outpatient,
            on_delivery=on_delivery,
        )
    return deliveries


def _facility(
    lake: Path,
    facility: Facility,
    index: int,
    seed: int,
    yyyymms: list[int],
    first_day: date,
    last_day: date,
    admissions_per_month: int,
    *,
    header: bool,
    encoding: str,
    fixed_width: bool,
    outpatient: bool,
    on_delivery: Callable[[], None] | None = None,
) -> list[Delivery]:
    ref = load_reference()
    fac = facility.facility_code
    all_stays = simulate(ref, fac, facility.prefecture, seed, first_day, last_day, admissions_per_month)
    billing = billing_context(all_stays)
    forms = forms_of(all_stays)
    stays = [s for s in all_stays if s.discharge >= first_day]
    acts = {s.number: stay_acts(s, seed, fac) for s in stays}
    visits = visits_of(all_stays, seed, fac) if outpatient else {}
    necessity_1 = index % 2 == 0  # half the facilities evaluate the A items with 必要度Ⅰ (H ASS0013, p148)
    null_act = 0.0 if fixed_width else NULL_ACT_RATE
    null_stays = (
        set()
        if fixed_width
        else {s.number for s in stays if random.Random(f"dnull:{seed}:{fac}:{s.number}").random() < NULL_STAY_RATE}
    )
    out: list[Delivery] = []
    for yyyymm in yyyymms:
        first, last = month_bounds(yyyymm)
        active = [s for s in stays if s.admission <= last and s.discharge >= first]
        rows: dict[str, list[list[str]]] = {"FF1": [], "FF4": [], "EFn": [], "D": [], "H": [], "K": []}
        for form in forms:
            if form.month == yyyymm:
                rows["FF1"] += form_records(form, fac, acts, seed)
        for s in active:
            a = acts[s.number]
            rows["EFn"] += ef_rows(s, a, fac, yyyymm, null_act)
            rows["D"] += d_rows(s, a, fac, facility.hospital_coefficient, yyyymm, billing[s.number],
                                s.number in null_stays)  # fmt: skip
            rows["H"] += h_rows(s, a, fac, yyyymm, seed, necessity_1)
            rows["K"] += k_rows(s, fac, yyyymm)  # every stay of 入院EF統合 this month (p8, p154)
            if first <= s.discharge <= last:
                rows["FF4"].append(ff4_row(s, fac, seed))
        if outpatient:
            rows["EFg"] = efg_rows(visits, fac, seed, yyyymm, null_act)
        directory = lake / delivery_prefix("raw", fac, yyyymm)
        directory.mkdir(parents=True, exist_ok=True)
        yymm = f"{yyyymm % 10000:04d}"
        for kind in sorted(rows):
            layout = LAYOUTS[kind]
            fw = fixed_width and layout.fixed_width_allowed
            title = header and not fw and layout.title_row != "none" and kind != "FF4"
            data = encode_rows(layout, rows[kind], header=title, encoding=encoding, fixed_width=fw)
            suffix = "csv" if kind == "K" else "txt"
            write_file(directory / f"{layout.prefixes[0]}_{fac}_{yymm}.{suffix}", data)
        manifest = write_manifest(directory, created_by="dpc generate")
        out.append(Delivery(fac, yyyymm, directory, manifest))
        if on_delivery is not None:
            on_delivery()
    return out
