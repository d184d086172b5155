"""The reference seeds (``seeds/ref/*.csv``) the generator reads: the single source of codes, thresholds and points.

The generator never hard-codes a DPC code, a billing-period threshold, a per-diem value, a facility or a
hospital coefficient: it reads them here, so the numbers the marts compute agree with the reference tables.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dpc.paths import PROJECT_DIR

SEEDS_DIR = PROJECT_DIR / "seeds" / "ref"


@dataclass(frozen=True)
class DpcCode:
    fiscal_year: int
    dpc_code: str
    mdc_code: str
    name_ja: str
    is_surgical: bool
    period_days: tuple[int, int, int]
    period_points: tuple[int, int, int]
    national_cases: int
    national_mean_los: float
    main_icd10: str

    @property
    def dpc6(self) -> str:
        return self.dpc_code[:6]

    def period_of_day(self, day: int) -> int:
        """Billing period (1, 2, 3) of the stay's ``day``-th inpatient day (1-based); 0 beyond period III."""
        for i, last in enumerate(self.period_days):
            if day <= last:
                return i + 1
        return 0


@dataclass(frozen=True)
class Facility:
    facility_code: str
    name_ja: str
    name_en: str
    prefecture: str
    beds: int
    hospital_coefficient: str  # kept as the seed's text (e.g. ``1.4382``) so files carry it verbatim


@dataclass(frozen=True)
class Reference:
    dpc_codes: dict[int, dict[str, DpcCode]]  # fiscal year → code → row
    facilities: tuple[Facility, ...]
    codes: dict[str, tuple[str, ...]]  # small code lists: seed name → codes

    @property
    def fiscal_years(self) -> list[int]:
        return sorted(self.dpc_codes)

    def table(self, fiscal_year: int) -> dict[str, DpcCode]:
        """The DPC table of a fiscal year; outside the seeded years, the nearest seeded year."""
        years = self.fiscal_years
        best = min(years, key=lambda y: (abs(y - fiscal_year), y))
        return self.dpc_codes[best]


def _rows(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    tables: dict[int, dict[str, DpcCode]] = {}
    for r in _rows("ref_dpc_code.csv", seeds_dir):
        code = DpcCode(
            fiscal_year=int(r["fiscal_year"]),
            dpc_code=r["dpc_code"],
            mdc_code=r["mdc_code"],
            name_ja=r["name_ja"],
            is_surgical=r["is_surgical"] == "true",
            period_days=(int(r["period_1_days"]), int(r["period_2_days"]), int(r["period_3_days"])),
            period_points=(int(r["period_1_points"]), int(r["period_2_points"]), int(r["period_3_points"])),
            national_cases=int(r["national_cases"]),
            national_mean_los=float(r["national_mean_los"]),
            main_icd10=r["main_icd10"],
        )
        tables.setdefault(code.fiscal_year, {})[code.dpc_code] = code
    facilities = tuple(
        Facility(
            r["facility_code"], r["name_ja"], r["name_en"], r["prefecture"], int(r["beds"]), r["hospital_coefficient"]
        )
        for r in _rows("ref_facility.csv", seeds_dir)
    )
    small = {}
    for name in (
        "admission_route",
        "admission_type",
        "discharge_destination",
        "discharge_outcome",
        "department",
        "sex",
    ):
        small[name] = tuple(r["code"] for r in _rows(f"ref_{name}.csv", seeds_dir))
    return Reference(dpc_codes=tables, facilities=facilities, codes=small)


def fiscal_year(yyyymm: int) -> int:
    """Japanese fiscal year (April–March) of a month."""
    year, month = divmod(yyyymm, 100)
    return year if month >= 4 else year - 1
