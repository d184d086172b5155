"""The DPC indicators on the demo and on synthetic facilities built against the ministry's real 2024 table.

- the demo's published indicators agree with an independent Python computation from fct_admissions, the D rows'
  dates (the revision in force, dpc.masters.revision_for) and the seed CSV, and their magnitudes are plausible;
- properties on facilities that treat every 包括 code of the 2024 table (inserted into a copy of the demo's stays,
  then only the indicator models rebuilt): efficiency 1.0 at 入院日Ⅱ per code, 2.0 at half of it; complexity 1.0
  with every code equally often; coverage 2,477 / 3,248 — per fiscal year and per MDC;
- a D code missing from the table in force is a warning (warn_dpc_codes_not_in_table), never a failed build.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dpc import masters
from dpc.paths import PROJECT_DIR
from dpc.steps.transform import run_dbt

pytestmark = pytest.mark.slow

SEEDS = PROJECT_DIR / "seeds" / "ref"
FY = 2024
MIN_STAYS = 10  # dbt_project.yml var disclosure_min_stays
MIN_CASES = 12  # var indicator_min_cases: the ministry's 12 cases (1 a month) per code


def _table(revision: str) -> dict[str, dict[str, str]]:
    """The seed's rows of one revision, by lower-cased code."""
    with (SEEDS / "ref_dpc_code.csv").open(encoding="utf-8", newline="") as f:
        return {r["dpc_code"].lower(): r for r in csv.DictReader(f) if r["revision"] == revision}


def _stand_in_points(r: dict[str, str]) -> float:
    """national_mean_points_per_stay_stand_in: the per-diem points summed over days 1 … 入院日Ⅱ."""
    d1, d2, p1 = int(r["period_1_days"]), int(r["period_2_days"]), int(r["period_1_points"])
    p2 = int(r["period_2_points"]) if r["period_2_points"] else p1
    return p1 * d1 + p2 * (d2 - d1)


def _weights(revision: str) -> dict[str, float]:
    """relative_weight of each 包括 code: its stand-in ÷ the mean stand-in over the revision's 包括 codes."""
    points = {c: _stand_in_points(r) for c, r in _table(revision).items() if r["is_bundled"] == "true"}
    mean = sum(points.values()) / len(points)
    return {c: p / mean for c, p in points.items()}


def _fiscal_year(d: date) -> int:
    return d.year if d.month >= 4 else d.year - 1


def _expected_from_admissions(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], dict[str, float]]:
    """The FY2024 formulas of docs/indicators.md, computed in Python from fct_admissions, the dates of the D rows
    that carry each stay's code and the seed CSV."""
    rows = con.execute(
        "select facility_code, stay_id, discharge_date, dpc_code, los_days, is_readmitted_4w,"
        " is_readmitted_6w_same_dpc6 from mart.fct_admissions where is_discharged"
    ).fetchall()
    code_dates = dict(
        con.execute(
            "select stay_id || '|' || lower(dpc_code), max(coalesce(service_date, billing_start_date))"
            " from stage.stg_dpc__d where is_bundled and dpc_code is not null group by 1"
        ).fetchall()
    )
    cells: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for facility, stay, discharged, code, los, r4w, r6w in rows:
        revision = None
        if code is not None:
            revision = masters.revision_for(code_dates[f"{stay}|{code.lower()}"]).id
        cells[(facility, _fiscal_year(discharged))].append((revision, code and code.lower(), los, r4w, r6w))
    out = {}
    for (facility, fy), stays in cells.items():
        by_code: dict[tuple[str, str], list[int]] = defaultdict(list)
        for revision, code, los, _, _ in stays:
            if revision is not None and code in _table(revision):
                by_code[(revision, code)].append(los)
        bundled = {k: v for k, v in by_code.items() if _table(k[0])[k[1]]["is_bundled"] == "true"}
        indexed = {k: v for k, v in bundled.items() if len(v) >= MIN_CASES}
        n = sum(len(v) for v in indexed.values())
        national = sum(len(v) * int(_table(r)[c]["period_2_days"]) for (r, c), v in indexed.items())
        weights = sum(len(v) * _weights(r)[c] for (r, c), v in indexed.items())
        coverage_revision = max(r for r, _ in by_code)
        covered = sum(1 for (r, _), v in by_code.items() if r == coverage_revision and len(v) >= MIN_CASES)
        bundled_stays = [(r, c, los) for (r, c), v in bundled.items() for los in v]
        overruns = [
            los - int(_table(r)[c]["period_2_days"])
            for r, c, los in bundled_stays
            if los > int(_table(r)[c]["period_2_days"])
        ]
        out[(facility, fy)] = {
            "discharges": len(stays),
            "reference_discharges": sum(len(v) for v in by_code.values()),
            "bundled_discharges": len(bundled_stays),
            "indicator_discharges": n,
            "efficiency_index": national / sum(sum(v) for v in indexed.values()) if n else None,
            "complexity_index": weights / n if n else None,
            "coverage_rate": covered / len(_table(coverage_revision)),
            "period_2_overrun_rate": len(overruns) / len(bundled_stays),
            "mean_days_beyond_period_2": sum(overruns) / len(overruns),
            "any_cause_readmission_rate_4w": sum(1 for s in stays if s[3]) / len(stays),
            "readmission_rate_6w_same_dpc6": sum(1 for s in stays if s[4]) / len(stays),
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
            if value is None:
                assert internal[key][column] is None, (key, column)
            else:
                assert internal[key][column] == pytest.approx(value, rel=1e-9), (key, column)
        # the demo's cells are large enough to publish; the published values are the internal ones
        assert values["discharges"] >= MIN_STAYS and not published[key]["is_suppressed"]
        for column in ("coverage_rate", "any_cause_readmission_rate_4w", "period_2_overrun_rate"):
            assert published[key][column] == pytest.approx(internal[key][column], rel=1e-12)
        # the demo's three months give few codes 12 stays, so the case-mix indices may be null there; where
        # they exist they are published as computed, with plausible magnitudes
        for column in ("efficiency_index", "complexity_index"):
            if values["indicator_discharges"] >= MIN_STAYS:
                assert published[key][column] == pytest.approx(internal[key][column], rel=1e-12)
                assert 0.3 <= values[column] <= 3.0, (key, column)
            else:
                assert published[key][column] is None, (key, column)
        # a demo hospital treats a few of the table's thousands of codes 12 times or more
        assert 0.0 <= values["coverage_rate"] <= 0.1, key


def test_demo_published_cells_respect_the_disclosure_threshold(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        small = con.execute(
            "select count(*) from stage.int_indicators__facility_fiscal_year_mdc where discharges < ?", [MIN_STAYS]
        ).fetchone()[0]
        suppressed = con.execute(
            "select count(*) from mart.ind_facility_fiscal_year_mdc where is_suppressed"
            " and discharges is null and efficiency_index is null and any_cause_readmission_rate_4w is null"
        ).fetchone()[0]
        leaked = con.execute(
            "select count(*) from mart.ind_facility_fiscal_year_mdc m"
            " join stage.int_indicators__facility_fiscal_year_mdc i using (indicator_id)"
            " where i.indicator_discharges < ? and m.efficiency_index is not null",
            [MIN_STAYS],
        ).fetchone()[0]
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart'"
            ).fetchall()
        }
    assert small > 0, "the demo should have small MDC cells to suppress"
    assert suppressed >= small  # every small cell, and complementary cells if a margin needs them (docs/decisions/0020)
    assert leaked == 0
    assert {
        "ind_facility_fiscal_year",
        "ind_facility_fiscal_year_mdc",
        "ind_facility_measurement_period",
        "kpi_case_mix_monthly",
        "kpi_points_per_day_by_period",
    } <= tables


def _synthetic_stays(table: dict[str, dict[str, str]]) -> list[tuple]:
    """Every 包括 code of the table, 12 stays each (the minimum): ZNAT at 入院日Ⅱ, ZHALF at half of it in total (codes
    with 入院日Ⅱ ≥ 2), ZCUT at 入院日Ⅱ but 11 stays of every second code (below the cut)."""
    rows = []
    day = date(FY, 7, 1)  # the 2024 table is in force

    def add(facility: str, code: str, lengths: list[int]) -> None:
        for i, los in enumerate(lengths):
            stay = f"{facility}-{code}-{i}"
            rows.append((stay, facility, stay, day, day + timedelta(days=los - 1), los, code, code[:6], code[:2]))

    bundled = sorted(c for c, r in table.items() if r["is_bundled"] == "true")
    for i, code in enumerate(bundled):
        days = int(table[code]["period_2_days"])
        add("ZNAT", code, [days] * MIN_CASES)
        if days >= 2:
            add("ZHALF", code, _spread(MIN_CASES * days // 2, MIN_CASES))  # 12 × days is even
        add("ZCUT", code, [days] * (MIN_CASES - 1 if i % 2 else MIN_CASES))
    return rows


def _spread(total: int, n: int) -> list[int]:
    """n positive integers summing to total (so their mean is total / n exactly)."""
    base, extra = divmod(total, n)
    lengths = [base + 1] * extra + [base] * (n - extra)
    assert min(lengths) >= 1 and sum(lengths) == total
    return lengths


@pytest.mark.xdist_group("indicators-synthetic")
def test_indicator_properties_on_facilities_treating_every_code(demo_copy: Path) -> None:
    table = _table("2024")
    assert len(table) == 3248 and sum(r["is_bundled"] == "true" for r in table.values()) == 2477
    db = demo_copy / "dpc.duckdb"
    columns = ["stay_id", "facility_code", "patient_key", "admission_date", "discharge_date", "los_days"]
    columns += ["dpc_code", "dpc6", "mdc_code"]
    synthetic = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in _synthetic_stays(table)])
    with duckdb.connect(str(db)) as con:
        con.register("synthetic", synthetic)
        con.execute(
            f"insert into stage.int_stays__assembled ({', '.join(columns)}, is_discharged, billed_points, latest_yyyymm)"
            f" select {', '.join(columns)}, true, 0, 202407 from synthetic"
        )
        # the D rows' codes, dated in July 2024: the 2024 table is in force
        con.execute(
            "insert into stage.int_d__dpc_code_revisions (stay_id, facility_code, dpc_code, revision, first_code_date,"
            " last_code_date, d_rows, is_in_table, is_bundled)"
            " select stay_id, facility_code, dpc_code, '2024', admission_date, discharge_date, 1, true, true from synthetic"
        )
    outcome = run_dbt(
        [
            "build",
            "--select",
            "int_indicators__stays+,path:models/intermediate/indicators",
            "--exclude",
            "test_type:unit int_d__dpc_code_revisions int_indicators__national_reference",
        ],
        duckdb_path=db,
        quiet=True,
    )
    assert outcome.success, [(n.unique_id, n.message) for n in outcome.failed()] or outcome.error

    with duckdb.connect(str(db), read_only=True) as con:
        fy = {
            r[0]: r[1:]
            for r in con.execute(
                "select facility_code, efficiency_index, complexity_index, coverage_rate, indicator_codes"
                " from stage.int_indicators__facility_fiscal_year where facility_code like 'Z%' and fiscal_year = ?",
                [FY],
            ).fetchall()
        }
        mdc = con.execute(
            "select facility_code, mdc_code, efficiency_index, complexity_index, coverage_rate"
            " from stage.int_indicators__facility_fiscal_year_mdc where facility_code like 'Z%' and fiscal_year = ?",
            [FY],
        ).fetchall()
        period = con.execute(
            "select efficiency_index, measurement_from_yyyymm, measurement_to_yyyymm from"
            " stage.int_indicators__facility_measurement_period where facility_code = 'ZNAT'"
        ).fetchall()
    assert set(fy) == {"ZNAT", "ZHALF", "ZCUT"}
    assert fy["ZNAT"][0] == pytest.approx(1.0, abs=1e-12)  # national LOS per code: 1.0, whatever the mix
    assert fy["ZHALF"][0] == pytest.approx(2.0, abs=1e-12)
    assert fy["ZNAT"][1] == pytest.approx(1.0, abs=1e-12)  # every 包括 code equally often
    assert fy["ZNAT"][2] == pytest.approx(2477 / 3248, abs=1e-12)  # 出来高 codes are in the denominator
    assert fy["ZNAT"][3] == 2477
    assert fy["ZCUT"][0] == pytest.approx(1.0, abs=1e-12) and fy["ZCUT"][3] == (2477 + 1) // 2
    # discharges of July–September 2024 feed the FY2025 coefficients (2023-10 … 2024-09), later ones FY2026's
    assert sorted(p[1:] for p in period) == [(202310, 202409), (202410, 202509)]
    assert all(p[0] == pytest.approx(1.0, abs=1e-12) for p in period)

    bundled_by_mdc: dict[str, int] = defaultdict(int)
    codes_by_mdc: dict[str, int] = defaultdict(int)
    for r in table.values():
        codes_by_mdc[r["mdc_code"]] += 1
        bundled_by_mdc[r["mdc_code"]] += r["is_bundled"] == "true"
    by_facility: dict[str, dict[str, tuple]] = defaultdict(dict)
    for facility, mdc_code, efficiency, complexity, coverage in mdc:
        by_facility[facility][mdc_code] = (efficiency, complexity, coverage)
    assert set(by_facility["ZNAT"]) == {m for m, n in bundled_by_mdc.items() if n}
    for m, (efficiency, complexity, coverage) in by_facility["ZNAT"].items():
        assert efficiency == pytest.approx(1.0, abs=1e-12) and complexity == pytest.approx(1.0, abs=1e-12), m
        assert coverage == pytest.approx(bundled_by_mdc[m] / codes_by_mdc[m], abs=1e-12), m
    assert all(v[0] == pytest.approx(2.0, abs=1e-12) for v in by_facility["ZHALF"].values())


def test_a_code_missing_from_the_table_in_force_is_a_warning(spec_build: Path, demo_build: Path) -> None:
    """The specification's receipts (p215, p217) bill codes that only the 2018 table lists (written with XX). The
    build does not fail: the warn-level check lists each such code with its revision, and D's own points stay
    billed. The demo draws only codes of the table in force on its dates, so it has none."""
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from stage.int_d__dpc_code_revisions where not is_in_table").fetchone() == (
            0,
        )
    with duckdb.connect(str(spec_build / "dpc.duckdb"), read_only=True) as con:
        missing = con.execute(
            "select distinct revision, dpc_code from stage.int_d__dpc_code_revisions where not is_in_table"
        ).fetchall()
        warned = con.execute(
            "select status, failing_rows from dq.dq_results where check_name = 'warn_dpc_codes_not_in_table'"
            " order by checked_at desc limit 1"
        ).fetchall()
    assert missing, "the examples' codes should be missing from the 2024 table"
    for revision, code in missing:
        assert code not in _table(revision)
    assert warned and warned[0][0] == "warn" and warned[0][1] >= len(missing), warned


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
    # (the complexity index keeps only codes with 12 stays: not a metric; case_mix_index is compared monthly)
    fiscal_year = {
        "period_2_overrun_rate": "period_2_overrun_rate",
        "mean_days_beyond_period_2": "mean_days_beyond_period_2",
        "any_cause_readmission_rate_4w": "any_cause_readmission_rate_4w",
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
    from dpc.report.indicators import CASE_MIX_TEXT, CHARTS, PERIODS_TEXT

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
    drawn = 0
    for row, (chart_id, text) in zip(rows, expected, strict=True):
        assert html.escape(text) in row, chart_id
        column = chart_id.removeprefix("chart-ind-")
        if "all-suppressed" in row and column in data["indicator_charts"]["fiscal_year"][0]:
            # a sentence, not an empty chart, exactly when disclosure control hides every value
            assert all(r[column] is None for r in data["indicator_charts"]["fiscal_year"]), chart_id
            continue
        assert f'id="{chart_id}' in row, chart_id
        assert all(f in row for f in facilities), chart_id  # every facility of the group is on the chart
        drawn += 1
    assert drawn >= len(expected) - 2
    fiscal_year = data["indicator_charts"]["fiscal_year"]
    indices_shown = any(r[c.column] is not None for c in CHARTS if c.national is not None for r in fiscal_year)
    # the national line exactly when some index is drawn (plotly escapes the Japanese in its JSON)
    assert any("national = 1" in row for row in rows) == indices_shown
    # the demo's efficiency cells may be suppressed (few stays in codes with 12), the other charts have group means
    assert any("group mean FY" in row for row in rows)
