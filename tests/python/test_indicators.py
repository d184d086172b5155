"""The DPC indicators on the demo and on synthetic facilities built against the real reference seed.

- the demo's published indicators agree with an independent Python computation from fct_admissions and the
  seed CSV, and their magnitudes are plausible;
- properties on facilities that treat every code of the FY2024 reference table (inserted into a copy of the
  demo's stays, then only the indicator models rebuilt): efficiency 1.0 at the national LOS per code, 2.0 at
  half of it; complexity 1.0 with the national case mix — per fiscal year and per MDC;
- a fiscal year whose reference table is not in the seed yet is published (reference-based values null) with a
  warning, not a failed build.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dpc.paths import PROJECT_DIR
from dpc.steps import dq
from dpc.steps.transform import run_dbt

pytestmark = pytest.mark.slow

SEEDS = PROJECT_DIR / "seeds" / "ref"
FY = 2024
MIN_STAYS = 10  # dbt_project.yml var disclosure_min_stays


def _reference(fiscal_year: int) -> dict[str, dict[str, str]]:
    with (SEEDS / "ref_dpc_code.csv").open(encoding="utf-8", newline="") as f:
        return {r["dpc_code"]: r for r in csv.DictReader(f) if int(r["fiscal_year"]) == fiscal_year}


def _fiscal_year(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _expected_from_admissions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict[str, float]]:
    """The indicator formulas of docs/indicators.md, computed in Python from fct_admissions and the seed CSV."""
    rows = con.execute(
        "select facility_code, discharge_date, dpc_code, los_days, is_readmitted_4w, is_readmitted_6w_same_dpc6"
        " from mart.fct_admissions where is_discharged"
    ).fetchall()
    cells: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for facility, discharged, code, los, r4w, r6w in rows:
        cells[(facility, _fiscal_year(discharged))].append((code, los, r4w, r6w))
    out = {}
    for (facility, fy), stays in cells.items():
        ref = _reference(fy)
        cases = {c: int(r["national_cases"]) for c, r in ref.items()}
        total = sum(cases.values())
        national_los = sum(cases[c] * float(r["national_mean_los"]) for c, r in ref.items()) / total
        national_pts = sum(cases[c] * int(r["national_mean_ffs_points_per_stay"]) for c, r in ref.items()) / total
        by_code: dict[str, list[int]] = defaultdict(list)
        for code, los, _, _ in stays:
            if code in ref:
                by_code[code].append(los)
        share = {c: cases[c] / total for c in by_code}
        adjusted = sum(share[c] * sum(v) / len(v) for c, v in by_code.items()) / sum(share.values())
        reference_stays = [(c, los) for c, v in by_code.items() for los in v]
        period_2 = {c: int(ref[c]["period_2_days"]) for c in by_code}
        overruns = [los - period_2[c] for c, los in reference_stays if los > period_2[c]]
        expected_pts = sum(int(ref[c]["national_mean_ffs_points_per_stay"]) for c, _ in reference_stays)
        out[(facility, fy)] = {
            "discharges": len(stays),
            "reference_discharges": len(reference_stays),
            "efficiency_index": national_los / adjusted,
            "complexity_index": expected_pts / len(reference_stays) / national_pts,
            "coverage_rate": len(by_code) / len(ref),
            "period_2_overrun_rate": len(overruns) / len(reference_stays),
            "mean_days_beyond_period_2": sum(overruns) / len(overruns),
            "readmission_rate_4w": sum(1 for s in stays if s[2]) / len(stays),
            "readmission_rate_6w_same_dpc6": sum(1 for s in stays if s[3]) / len(stays),
        }
    return out


def test_demo_indicators_match_an_independent_computation(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        expected = _expected_from_admissions(con)
        columns = list(next(iter(expected.values())))
        internal = {
            (r[0], r[1]): dict(zip(columns, r[2:], strict=True))
            for r in con.execute(
                f"select facility_code, fiscal_year, {', '.join(columns)} from stage.int_indicators__facility_fiscal_year"
            ).fetchall()
        }
        published = {
            (r[0], r[1]): dict(zip(["is_suppressed", *columns], r[2:], strict=True))
            for r in con.execute(
                f"select facility_code, fiscal_year, is_suppressed, {', '.join(columns)} from mart.ind_facility_fiscal_year"
            ).fetchall()
        }
    assert set(internal) == set(expected) == set(published)
    for key, values in expected.items():
        for column, value in values.items():
            assert internal[key][column] == pytest.approx(value, rel=1e-9), (key, column)
        # the demo's cells are large enough to publish; the published values are the internal ones
        assert values["discharges"] >= MIN_STAYS and not published[key]["is_suppressed"]
        for column in ("efficiency_index", "complexity_index", "coverage_rate", "readmission_rate_4w"):
            assert published[key][column] == pytest.approx(internal[key][column], rel=1e-12)
        # plausible magnitudes: the generator runs stays ~8 % longer than the nation with a national-like mix
        assert 0.8 <= values["efficiency_index"] <= 1.2, key
        assert 0.8 <= values["complexity_index"] <= 1.2, key
        assert 0.2 <= values["coverage_rate"] <= 1.0, key


def test_demo_published_cells_respect_the_disclosure_threshold(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        small = con.execute(
            "select count(*) from stage.int_indicators__facility_fiscal_year_mdc where discharges < ?", [MIN_STAYS]
        ).fetchone()[0]
        suppressed = con.execute(
            "select count(*) from mart.ind_facility_fiscal_year_mdc where is_suppressed"
            " and discharges is null and efficiency_index is null and readmission_rate_4w is null"
        ).fetchone()[0]
        leaked = con.execute(
            "select count(*) from mart.ind_facility_fiscal_year_mdc m"
            " join stage.int_indicators__facility_fiscal_year_mdc i using (indicator_id)"
            " where i.reference_discharges < ? and m.efficiency_index is not null",
            [MIN_STAYS],
        ).fetchone()[0]
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart'"
            ).fetchall()
        }
    assert small > 0, "the demo should have small MDC cells to suppress"
    assert suppressed == small
    assert leaked == 0
    assert {
        "ind_facility_fiscal_year",
        "ind_facility_fiscal_year_mdc",
        "kpi_case_mix_monthly",
        "kpi_points_per_day_by_period",
    } <= tables


def _synthetic_stays(reference: dict[str, dict[str, str]]) -> list[tuple]:
    """ZNAT: 10 stays per code, mean LOS = the national mean; ZHALF: 20 per code, half of it;
    ZMIX: national_cases / 1000 stays per code (the national mix), LOS 5."""
    gcd = 0
    for r in reference.values():
        gcd = math.gcd(gcd, int(r["national_cases"]))
    rows = []
    day = date(FY, 6, 1)

    def add(facility: str, code: str, lengths: list[int]) -> None:
        for i, los in enumerate(lengths):
            stay = f"{facility}-{code}-{i}"
            rows.append((stay, facility, stay, day, day + timedelta(days=los - 1), los, code, code[:6], code[:2]))

    for code, r in reference.items():
        tenths = round(float(r["national_mean_los"]) * 10)  # one decimal in the seed
        add("ZNAT", code, _spread(tenths, 10))
        add("ZHALF", code, _spread(tenths, 20))
        add("ZMIX", code, [5] * (int(r["national_cases"]) // gcd))
    return rows


def _spread(total: int, n: int) -> list[int]:
    """n positive integers summing to total (so their mean is total / n exactly)."""
    base, extra = divmod(total, n)
    lengths = [base + 1] * extra + [base] * (n - extra)
    assert min(lengths) >= 1 and sum(lengths) == total
    return lengths


@pytest.mark.xdist_group("indicators-synthetic")
def test_indicator_properties_on_facilities_treating_every_code(demo_copy: Path) -> None:
    reference = _reference(FY)
    db = demo_copy / "dpc.duckdb"
    columns = ["stay_id", "facility_code", "patient_key", "admission_date", "discharge_date", "los_days"]
    columns += ["dpc_code", "dpc6", "mdc_code"]
    synthetic = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in _synthetic_stays(reference)])
    with duckdb.connect(str(db)) as con:
        con.register("synthetic", synthetic)
        con.execute(
            f"insert into stage.int_stays__assembled ({', '.join(columns)}, is_discharged, billed_points, latest_yyyymm)"
            f" select {', '.join(columns)}, true, 0, 202406 from synthetic"
        )
    outcome = run_dbt(
        [
            "build",
            "--select",
            "int_indicators__stays+,path:models/intermediate/indicators",
            "--exclude",
            "test_type:unit",
        ],
        duckdb_path=db,
        quiet=True,
    )
    assert outcome.success, [(n.unique_id, n.message) for n in outcome.failed()] or outcome.error

    with duckdb.connect(str(db), read_only=True) as con:
        fy = {
            r[0]: r[1:]
            for r in con.execute(
                "select facility_code, efficiency_index, complexity_index, coverage_rate"
                " from stage.int_indicators__facility_fiscal_year where facility_code like 'Z%' and fiscal_year = ?",
                [FY],
            ).fetchall()
        }
        mdc = con.execute(
            "select facility_code, mdc_code, efficiency_index, complexity_index, coverage_rate"
            " from stage.int_indicators__facility_fiscal_year_mdc where facility_code like 'Z%' and fiscal_year = ?",
            [FY],
        ).fetchall()
    assert set(fy) == {"ZNAT", "ZHALF", "ZMIX"}
    assert all(coverage == 1.0 for _, _, coverage in fy.values())
    assert fy["ZNAT"][0] == pytest.approx(1.0, abs=1e-12)
    assert fy["ZHALF"][0] == pytest.approx(2.0, abs=1e-12)
    assert fy["ZMIX"][1] == pytest.approx(1.0, abs=1e-12)
    # the ZNAT/ZHALF mixes (equal stays per code) differ from the national one: complexity is not 1 there
    assert fy["ZNAT"][1] == pytest.approx(fy["ZHALF"][1]) and abs(fy["ZNAT"][1] - 1.0) > 1e-3

    mdcs = {r["mdc_code"] for r in reference.values()}
    by_facility: dict[str, dict[str, tuple]] = defaultdict(dict)
    for facility, mdc_code, efficiency, complexity, coverage in mdc:
        by_facility[facility][mdc_code] = (efficiency, complexity, coverage)
    for facility in ("ZNAT", "ZHALF", "ZMIX"):
        assert set(by_facility[facility]) == mdcs
        assert all(v[2] == 1.0 for v in by_facility[facility].values())
    assert all(v[0] == pytest.approx(1.0, abs=1e-12) for v in by_facility["ZNAT"].values())
    assert all(v[0] == pytest.approx(2.0, abs=1e-12) for v in by_facility["ZHALF"].values())
    assert all(v[1] == pytest.approx(1.0, abs=1e-12) for v in by_facility["ZMIX"].values())


@pytest.mark.xdist_group("indicators-synthetic")
def test_a_fiscal_year_without_a_reference_table_is_published_with_a_warning(demo_copy: Path) -> None:
    """Months of a new fiscal year arrive before the seed has its reference table (revised every April, updated
    by hand): the build must not fail. That year's reference-based indicators are null, its readmission rates
    are published, and a warn-level check names the year. Simulated on a copy of the demo by removing the
    table of its latest fiscal year from the loaded seed and rebuilding what depends on it."""
    db = demo_copy / "dpc.duckdb"
    with duckdb.connect(str(db)) as con:
        latest = con.execute("select max(fiscal_year) from stage.int_indicators__stays").fetchone()[0]
        removed = con.execute("delete from ref.ref_dpc_code where fiscal_year = ?", [latest]).fetchone()[0]
    assert removed > 0, f"the seed should have a table for FY{latest}"

    outcome = run_dbt(
        ["build", "--select", "int_indicators__national_reference+", "--exclude", "test_type:unit"], duckdb_path=db
    )
    assert outcome.success, [(n.unique_id, n.message) for n in outcome.failed()] or outcome.error
    warned = {n.unique_id.split(".")[2]: n.failures for n in outcome.nodes if n.status == "warn"}
    assert warned.get("warn_fiscal_years_without_reference") == 1, warned

    with duckdb.connect(str(db), read_only=True) as con:
        cells = con.execute(
            "select reference_codes, efficiency_index, complexity_index, coverage_rate, period_2_overrun_rate,"
            " readmission_rate_4w from mart_build.ind_facility_fiscal_year where fiscal_year = ? and not is_suppressed",
            [latest],
        ).fetchall()
        dq_warnings = [w["check"] for w in dq.evaluate(con, outcome.invocation_id or "").warnings]
    assert cells, f"the demo should publish FY{latest} cells"
    assert all(cell[:5] == (None,) * 5 and cell[5] is not None for cell in cells), cells
    assert any("warn_fiscal_years_without_reference" in check for check in dq_warnings), dq_warnings


def _metric_sql(name: str, metrics: dict, measures: dict) -> str:
    """A semantic-layer metric as SQL, from its YAML: simple = the measure's aggregation, ratio = a division."""
    metric = metrics[name]
    params = metric["type_params"]
    if metric["type"] == "simple":
        measure = measures[params["measure"]["name"]]
        assert measure["agg"] == "sum", measure
        return f"sum({measure['expr']})"
    assert metric["type"] == "ratio", metric
    numerator = _metric_sql(params["numerator"]["name"], metrics, measures)
    denominator = _metric_sql(params["denominator"]["name"], metrics, measures)
    return f"cast({numerator} as double) / nullif({denominator}, 0)"


def test_semantic_metrics_equal_the_published_indicators(demo_build: Path) -> None:
    """Each indicator metric of _semantic__indicators.yml, evaluated over mart.fct_indicator_stays, equals the
    published indicator tables: one definition, same numbers for the docs site, the report and QuickSight."""
    semantic = json.loads((demo_build / "target" / "semantic_manifest.json").read_text(encoding="utf-8"))
    metrics = {m["name"]: m for m in semantic["metrics"]}
    model = next(s for s in semantic["semantic_models"] if s["name"] == "indicator_stays")
    measures = {m["name"]: m for m in model["measures"]}
    # metric → column of mart.ind_facility_fiscal_year
    fiscal_year = {
        "case_mix_index": "complexity_index",
        "period_2_overrun_rate": "period_2_overrun_rate",
        "mean_days_beyond_period_2": "mean_days_beyond_period_2",
        "readmission_rate_4w": "readmission_rate_4w",
        "readmission_rate_6w_same_dpc6": "readmission_rate_6w_same_dpc6",
    }
    select = ", ".join(f"{_metric_sql(m, metrics, measures)}" for m in fiscal_year)
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        from_yaml = {
            r[:2]: r[2:]
            for r in con.execute(
                f"select facility_code, fiscal_year, {select} from mart.fct_indicator_stays group by 1, 2"
            ).fetchall()
        }
        published = {
            r[:2]: r[2:]
            for r in con.execute(
                f"select facility_code, fiscal_year, {', '.join(fiscal_year.values())} from mart.ind_facility_fiscal_year"
            ).fetchall()
        }
        cmi = _metric_sql("case_mix_index", metrics, measures)
        monthly_yaml = dict(
            con.execute(
                f"select facility_code || discharge_yyyymm || mdc_code, {cmi} from mart.fct_indicator_stays"
                " group by facility_code, discharge_yyyymm, mdc_code"
            ).fetchall()
        )
        monthly = con.execute(
            "select facility_code || discharge_yyyymm || mdc_code, case_mix_index from mart.kpi_case_mix_monthly"
            " where case_mix_index is not null"
        ).fetchall()
    assert set(published) == set(from_yaml)
    for key, values in published.items():
        for column, got, want in zip(fiscal_year.values(), values, from_yaml[key], strict=True):
            assert got is not None, (key, column)  # the demo's fiscal-year cells are published
            assert got == pytest.approx(want, rel=1e-9), (key, column)
    assert monthly
    for key, got in monthly:
        assert got == pytest.approx(monthly_yaml[key], rel=1e-9), key


def test_report_charts_each_indicator_with_its_explanation(demo_build: Path) -> None:
    """The report's Indicators section: a chart per indicator, per facility against the group, each with its
    plain-language explanation beside it, from the published tables only."""
    from dpc.report import read_report_data, render_report
    from dpc.report_indicators import CASE_MIX_TEXT, CHARTS, PERIODS_TEXT

    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        data = read_report_data(con)
        facilities = {r[0] for r in con.execute("select facility_code from mart.ind_facility_fiscal_year").fetchall()}
    page = render_report(data)
    section = page[page.index('<section id="indicators">') :]
    section = section[: section.index("</section>")]
    rows = section.split('<div class="indicator-chart"')[1:]
    expected = [(f"chart-ind-{c.column}", c.explanation) for c in CHARTS]
    expected += [("chart-ind-points-per-day-by-period", PERIODS_TEXT), ("chart-ind-case-mix", CASE_MIX_TEXT)]
    assert len(rows) == len(expected)
    for row, (chart_id, text) in zip(rows, expected, strict=True):
        assert f'id="{chart_id}"' in row and html.escape(text) in row, chart_id
        assert all(f in row for f in facilities), chart_id  # every facility of the group is on the chart
    assert "group mean FY" in rows[0] and "national = 1" in rows[0]  # plotly escapes the Japanese in its JSON
