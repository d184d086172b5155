"""The differencing attack on the published aggregates (docs/decisions/0020), as an attacker who reads every
published aggregate table and the KPI report would run it — never the internal schema.

Every published count is a sum over *atoms*: the stays of one facility × discharge month × MDC. The attacker
knows which atoms exist (the rows of ``kpi_monthly_facility_mdc`` are published, suppressed or not; a missing
row is a month × MDC without discharges) and the value of every visible cell. A suppressed cell is recovered
exactly when its atoms' indicator vector lies in the span of the visible cells' vectors (after moving the
atoms that visible monthly cells give away to the right-hand side): then some combination of published totals
minus published cells equals it. Two solvers:

- :func:`peel` — the audit's method: an equation with a single unknown atom gives it away; repeat until nothing
  changes; a suppressed cell whose atoms are all known is recovered;
- :func:`in_span` — the exact check (rank over the rationals): finds every linear combination, not only the
  one-unknown ones.

Only the pattern matters (which cells are visible), not the values, so the attack runs on a publication as
built (``cells_published``) or on a hypothetical one (``cells_from_flags``: primary suppression only, to show
what complementary suppression closes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import duckdb

Atom = tuple[str, int, str]  # facility, discharge month, MDC

# the published column that shows each measure's count (or, for the overrunning stays, the one value computed
# from them) — a null there means the measure is suppressed in that cell
INDICATOR_COLUMNS = {
    "discharges": "discharges",
    "reference_discharges": "reference_discharges",
    "bundled_discharges": "bundled_discharges",
    "indicator_discharges": "indicator_discharges",
    "general_ward_discharges": "general_ward_discharges",
    "period_2_overruns": "mean_days_beyond_period_2",
}
GRAINS = ("month", "fy_mdc", "fy", "mp", "period")


@dataclass(frozen=True)
class Cell:
    grain: str
    measure: str
    facility: str
    key: tuple[object, ...]
    atoms: frozenset[Atom]
    visible: bool


def fiscal_year(yyyymm: int) -> int:
    return yyyymm // 100 - (1 if yyyymm % 100 < 4 else 0)


def measurement_period(yyyymm: int) -> int:
    """The fiscal year whose coefficient the month's discharges set (October Y−2 … September Y−1 → Y)."""
    return yyyymm // 100 + (2 if yyyymm % 100 >= 10 else 1)


class _Atoms:
    def __init__(self, atoms: Iterable[Atom]) -> None:
        self.all = frozenset(atoms)

    def month(self, facility: str, yyyymm: int, mdc: str) -> frozenset[Atom]:
        return frozenset({(facility, yyyymm, mdc)}) & self.all

    def fy_mdc(self, facility: str, fy: int, mdc: str) -> frozenset[Atom]:
        return frozenset(a for a in self.all if a[0] == facility and fiscal_year(a[1]) == fy and a[2] == mdc)

    def fy(self, facility: str, fy: int) -> frozenset[Atom]:
        return frozenset(a for a in self.all if a[0] == facility and fiscal_year(a[1]) == fy)

    def mp(self, facility: str, cfy: int) -> frozenset[Atom]:
        return frozenset(a for a in self.all if a[0] == facility and measurement_period(a[1]) == cfy)


def cells_published(con: duckdb.DuckDBPyConnection, schema: str = "mart") -> list[Cell]:
    """Every cell of the published aggregates with its atoms, visible when its count is not null."""
    months = con.execute(
        f"select facility_code, discharge_yyyymm, mdc_code, discharges is not null from {schema}.kpi_monthly_facility_mdc"
    ).fetchall()
    atoms = _Atoms((f, m, c) for f, m, c, _ in months)
    cells = [Cell("month", "discharges", f, (m, c), atoms.month(f, m, c), bool(v)) for f, m, c, v in months]
    case_mix = con.execute(
        f"select facility_code, discharge_yyyymm, mdc_code, discharges is not null, bundled_discharges is not null "
        f"from {schema}.kpi_case_mix_monthly"
    ).fetchall()
    for f, m, c, shown, bundled in case_mix:
        cells.append(Cell("month", "discharges", f, (m, c), atoms.month(f, m, c), bool(shown)))
        cells.append(Cell("month", "bundled_discharges", f, (m, c), atoms.month(f, m, c), bool(bundled)))
    shown = ", ".join(f"{column} is not null" for column in INDICATOR_COLUMNS.values())
    for grain, table, keys in (
        ("fy_mdc", "ind_facility_fiscal_year_mdc", "fiscal_year, mdc_code"),
        ("fy", "ind_facility_fiscal_year", "fiscal_year"),
        ("mp", "ind_facility_measurement_period", "coefficient_fiscal_year"),
    ):
        for row in con.execute(f"select facility_code, {keys}, {shown} from {schema}.{table}").fetchall():
            n = len(keys.split(","))
            f, key, flags = row[0], tuple(row[1 : 1 + n]), row[1 + n :]
            members = getattr(atoms, grain)(f, *key)
            for measure, visible in zip(INDICATOR_COLUMNS, flags, strict=True):
                cells.append(Cell(grain, measure, f, key, members, bool(visible)))
    periods = con.execute(
        f"select facility_code, fiscal_year, stays is not null from {schema}.kpi_points_per_day_by_period "
        "where billing_period = 1"
    ).fetchall()
    # billing period I counts every 包括 stay of the fiscal year: the fiscal year's bundled_discharges again
    cells += [Cell("period", "bundled_discharges", f, (y,), atoms.fy(f, y), bool(v)) for f, y, v in periods]
    return cells


def cells_from_flags(con: duckdb.DuckDBPyConnection, visible: Mapping[tuple[str, str], bool]) -> list[Cell]:
    """The published cells' pattern with another visibility: ``visible[(row_id, measure)]`` per cell of
    internal.int_suppression__cells (the test uses it for primary suppression alone)."""
    rows = con.execute(
        "select row_id, grain, measure, facility_code, fiscal_year, coefficient_fiscal_year, discharge_yyyymm, "
        "mdc_code, billing_period from internal.int_suppression__cells"
    ).fetchall()
    atoms = _Atoms((r[3], r[6], r[7]) for r in rows if r[1] == "month")
    cells = []
    for row_id, grain, measure, f, fy, cfy, m, c, period in rows:
        shown = visible[(row_id, measure)]
        if grain == "month":
            cells.append(Cell(grain, measure, f, (m, c), atoms.month(f, m, c), shown))
        elif grain == "fy_mdc":
            cells.append(Cell(grain, measure, f, (fy, c), atoms.fy_mdc(f, fy, c), shown))
        elif grain == "fy":
            cells.append(Cell(grain, measure, f, (fy,), atoms.fy(f, fy), shown))
        elif grain == "mp":
            cells.append(Cell(grain, measure, f, (cfy,), atoms.mp(f, cfy), shown))
        elif period == 1:
            cells.append(Cell("period", "bundled_discharges", f, (fy,), atoms.fy(f, fy), shown))
    return cells


def _systems(cells: Iterable[Cell], grains: Iterable[str]) -> dict[tuple[str, str], list[Cell]]:
    wanted = set(grains)
    out: dict[tuple[str, str], list[Cell]] = {}
    for cell in cells:
        if cell.grain in wanted:
            out.setdefault((cell.facility, cell.measure), []).append(cell)
    return out


def peel(cells: Iterable[Cell], grains: Iterable[str] = GRAINS) -> set[Cell]:
    """The suppressed cells recovered by repeatedly solving equations with a single unknown atom."""
    recovered = set()
    for system in _systems(cells, grains).values():
        known = {a for c in system if c.visible and c.grain == "month" for a in c.atoms}
        equations = [c.atoms for c in system if c.visible]
        progress = True
        while progress:
            progress = False
            for atoms in equations:
                unknown = atoms - known
                if len(unknown) == 1:
                    known |= unknown
                    progress = True
        recovered |= {c for c in system if not c.visible and c.atoms <= known}
    return recovered


def _reduce(vector: dict[Atom, Fraction], basis: list[tuple[Atom, dict[Atom, Fraction]]]) -> dict[Atom, Fraction]:
    v = dict(vector)
    for pivot, row in basis:
        factor = v.get(pivot)
        if factor:
            for atom, value in row.items():
                v[atom] = v.get(atom, Fraction(0)) - factor * value
                if not v[atom]:
                    del v[atom]
    return v


def in_span(cells: Iterable[Cell], grains: Iterable[str] = GRAINS) -> set[Cell]:
    """The suppressed cells that a linear combination of visible cells equals exactly (Gaussian elimination
    over the rationals on the atoms no visible monthly cell gives away)."""
    recovered = set()
    for system in _systems(cells, grains).values():
        known = {a for c in system if c.visible and c.grain == "month" for a in c.atoms}
        basis: list[tuple[Atom, dict[Atom, Fraction]]] = []
        for cell in (c for c in system if c.visible):
            v = _reduce({a: Fraction(1) for a in sorted(cell.atoms - known)}, basis)
            if v:
                pivot = min(v)
                scale = v[pivot]
                row = {a: value / scale for a, value in v.items()}
                basis = [(p, _reduce(r, [(pivot, row)])) for p, r in basis]
                basis.append((pivot, row))
        for cell in (c for c in system if not c.visible):
            if not _reduce({a: Fraction(1) for a in sorted(cell.atoms - known)}, basis):
                recovered.add(cell)
    return recovered
