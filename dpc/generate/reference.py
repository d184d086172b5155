"""What the generator draws from: the case mix of the seeds, billing periods and points of the ministry's tables.

- **Case mix** (which DPC codes occur, how often, their main ICD-10 code and a typical length of stay) comes from
  ``dpc/generate/demo_casemix.csv``: the demo's own, hand-made table (153 codes per fiscal year). Its ``demo_cases``
  and ``demo_mean_los`` are INVENTED weights and lengths of stay for drawing synthetic stays, not national figures
  (the ministry's tables, ``seeds/ref/ref_dpc_code.csv``, have no case counts). The **facilities** (施設コード,
  医療機関別係数) come from the reference seed ``seeds/ref/ref_facility.csv``.
- **Billing periods and points** (入院日Ⅰ/Ⅱ/Ⅲ, 点数 per day before the coefficient) come from the ministry's
  診断群分類点数表 through :mod:`dpc.masters` (``reference/masters/``), in the revision in force on the stay's
  admission date (:func:`dpc.masters.revision_for`). A seed code the revision in force does not list is not drawn
  (the seeds hold a few illustrative codes that are not real; docs say which). A code the table lists without
  periods is a 出来高 code (医科点数表算定コード): the whole stay is billed fee-for-service (p193 reason 09).

Simplification (documented, deliberate): a stay keeps the table of its admission date even when it runs past a
revision date; the specification's rule for such stays is not modelled. So that such a stay's later D rows still
carry a code of the table in force on their dates (the pipeline matches codes by 実施年月日 and warns about a code
the table lacks), only codes that the next revision lists too are drawn.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from dpc import masters
from dpc.paths import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds" / "ref"
CASEMIX = Path(__file__).with_name("demo_casemix.csv")  # the demo's invented case mix (not national figures)


@dataclass(frozen=True)
class DpcCode:
    fiscal_year: int  # the seed table's fiscal year
    dpc_code: str  # 14 characters, as the ministry's table writes it (010010xx9900xx)
    mdc_code: str
    name_ja: str
    is_surgical: bool
    national_cases: int  # the demo case mix's invented weight (demo_cases), not a national count
    national_mean_los: float  # the demo case mix's invented typical LOS (demo_mean_los)
    main_icd10: str
    revision: str = ""  # dpc.masters revision id whose periods and points these are
    # last inpatient day of periods Ⅰ, Ⅱ, Ⅲ and points per day; None for a 出来高 code (no periods)
    period_days: tuple[int, int, int] | None = None
    period_points: tuple[int, int, int] | None = None

    @property
    def dpc6(self) -> str:
        return self.dpc_code[:6]

    @property
    def fee_for_service(self) -> bool:
        """A 出来高 code of the table (医科点数表算定コード, p193 reason 09): no DPC per-diem at all."""
        return self.period_days is None

    def period_of_day(self, day: int) -> int:
        """Billing period (1, 2, 3) of the ``day``-th DPC day (1-based); 0 beyond period Ⅲ or for a 出来高 code."""
        if self.period_days is None:
            return 0
        for i, last in enumerate(self.period_days):
            if day <= last:
                return i + 1
        return 0

    def points_of_day(self, day: int) -> int:
        period = self.period_of_day(day)
        if not period or self.period_points is None:
            return 0
        return self.period_points[period - 1]


@dataclass(frozen=True)
class Facility:
    facility_code: str
    name_ja: str
    name_en: str
    prefecture: str
    beds: int
    hospital_coefficient: str  # kept as the seed's text (``1.4382``): D-30 is 6 wide, the point counts (p199)


@dataclass(frozen=True, eq=False)  # hashed by identity: the casemix cache keys on it
class Reference:
    seed_codes: dict[int, tuple[dict[str, str], ...]]  # fiscal year → seed rows
    facilities: tuple[Facility, ...]

    @property
    def fiscal_years(self) -> list[int]:
        return sorted(self.seed_codes)

    def casemix(self, day: date) -> tuple[tuple[DpcCode, ...], tuple[int, ...]]:
        """The codes a stay admitted on ``day`` is drawn from, and their weights (national cases)."""
        years = self.fiscal_years
        fy = fiscal_year(day.year * 100 + day.month)
        best = min(years, key=lambda y: (abs(y - fy), y))
        return _casemix(self, best, masters.revision_for(day).id)

    def siblings(self, code: DpcCode) -> tuple[DpcCode, ...]:
        """Other codes of the same DPC6 in the same revision that have periods (for a code revised at discharge)."""
        return _siblings(code.revision, code.dpc6, code.dpc_code)


@cache
def _master(revision: str) -> dict[str, masters.DpcCode]:
    return {c.code: c for c in masters.dpc_codes(revision)}


@cache
def _also_in_next(revision: str) -> frozenset[str] | None:
    """The codes of the revision after ``revision`` (None for the newest): a stay admitted under one table may be
    billed on the dates of the next."""
    ids = [r.id for r in masters.revisions()]
    following = ids[ids.index(revision) + 1 :]
    return frozenset(_master(following[0])) if following else None


def _periods(m: masters.DpcCode) -> tuple[tuple[int, int, int] | None, tuple[int, int, int] | None]:
    if m.days_i is None or m.days_iii is None or m.points_i is None:
        return None, None
    days_ii = m.days_ii if m.days_ii is not None else m.days_i
    p2 = m.points_ii if m.points_ii is not None else m.points_i  # "-": no period Ⅱ (入院日Ⅰ = 入院日Ⅱ)
    p3 = m.points_iii if m.points_iii is not None else p2
    return (m.days_i, days_ii, m.days_iii), (m.points_i, p2, p3)


@cache
def _casemix(ref: Reference, fy: int, revision: str) -> tuple[tuple[DpcCode, ...], tuple[int, ...]]:
    table = _master(revision)
    codes = []
    for r in sorted(ref.seed_codes[fy], key=lambda r: r["dpc_code"]):
        m = table.get(r["dpc_code"])
        if m is None:
            continue  # an illustrative seed code the ministry's table does not list: not drawn
        following = _also_in_next(revision)
        if following is not None and m.code not in following:
            continue  # gone in the next table: a stay running past the revision date would carry a stale code
        days, points = _periods(m)
        codes.append(
            DpcCode(
                fiscal_year=fy,
                dpc_code=m.code,
                mdc_code=r["mdc_code"],
                name_ja=r["name_ja"],
                is_surgical=r["is_surgical"] == "true",
                national_cases=int(r["demo_cases"]),
                national_mean_los=float(r["demo_mean_los"]),
                main_icd10=r["main_icd10"],
                revision=revision,
                period_days=days,
                period_points=points,
            )
        )
    return tuple(codes), tuple(c.national_cases for c in codes)


@cache
def _siblings(revision: str, dpc6: str, code: str) -> tuple[DpcCode, ...]:
    out = []
    for m in sorted(_master(revision).values(), key=lambda m: m.code):
        if m.dpc6 != dpc6 or m.code == code:
            continue
        following = _also_in_next(revision)
        if following is not None and m.code not in following:
            continue
        days, points = _periods(m)
        if days is None:
            continue
        out.append(DpcCode(0, m.code, m.mdc, m.name, False, 0, 0.0, "", revision, days, points))
    return tuple(out)


def _rows(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    tables: dict[int, list[dict[str, str]]] = {}
    for r in _rows(CASEMIX.name, CASEMIX.parent):
        tables.setdefault(int(r["fiscal_year"]), []).append(r)
    facilities = tuple(
        Facility(
            r["facility_code"], r["name_ja"], r["name_en"], r["prefecture"], int(r["beds"]), r["hospital_coefficient"]
        )
        for r in _rows("ref_facility.csv", seeds_dir)
    )
    return Reference(seed_codes={y: tuple(v) for y, v in tables.items()}, facilities=facilities)


def fiscal_year(yyyymm: int) -> int:
    """Japanese fiscal year (April–March) of a month."""
    year, month = divmod(yyyymm, 100)
    return year if month >= 4 else year - 1
