"""The static KPI report (dpc/report/): what it reads, how it shows suppressed cells, the optional Indicators
section, and the real page in headless chromium (charts render, no console errors, nothing fetched; screenshot)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dpc import cli
from dpc.report import INDICATOR_TABLES, METRICS, SUPPRESSED, facility_figure, read_report_data, write_report
from tests.python.browser import open_page

pytestmark = pytest.mark.slow


def _summary(root: Path) -> dict:
    return json.loads((root / "summary.json").read_text(encoding="utf-8"))


def _kpi_cells(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select facility_code, discharge_yyyymm, mdc_code, is_suppressed, discharges, mean_los_days "
            "from mart.kpi_monthly_facility_mdc"
        ).fetchall()


def _plotly_bundles(page: str) -> int:
    return len(re.findall(r"\* plotly\.js v\d+\.\d+\.\d+", page))


def test_demo_writes_a_self_contained_report(demo_build: Path) -> None:
    s = _summary(demo_build)
    assert s["report_path"] == str(demo_build / "report" / "index.html")
    page = Path(s["report_path"]).read_text(encoding="utf-8")
    assert _plotly_bundles(page) == 1  # plotly.js inline exactly once: opens offline, no CDN
    assert not re.search(r"""<script[^>]+src=["']https?:""", page)
    for metric in METRICS:
        assert metric.ja in page and metric.en in page  # Japanese labels with English glosses
    facilities = {r[0] for r in _kpi_cells(demo_build / "dpc.duckdb")}
    for code in facilities:
        assert f'id="chart-{code}"' in page
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        published = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart'"
            ).fetchall()
        }
    indicators = [t for t, _, _ in INDICATOR_TABLES if t in published]
    assert ('id="indicators"' in page) == bool(indicators)  # the section exactly when the tables are published
    for table in indicators:
        assert f'id="indicator-{table}"' in page


def test_suppressed_cells_are_drawn_as_suppressed_never_recomputed(demo_build: Path) -> None:
    db = demo_build / "dpc.duckdb"
    cells = _kpi_cells(db)
    assert any(c[3] for c in cells) and any(not c[3] for c in cells)  # the demo has both kinds
    with duckdb.connect(str(db), read_only=True) as con:
        data = read_report_data(con)
        flagged = {
            (r[0], r[1], r[2]): r[3]
            for r in con.execute(
                "select facility_code, discharge_yyyymm, mdc_code, is_suppressed from internal.int_suppression__flags "
                "where grain = 'month' and measure = 'discharges'"
            ).fetchall()
        }
    code = cells[0][0]
    rows = [r for r in data["kpi"] if r["facility_code"] == code]
    facility = next(f for f in data["facilities"] if f["facility_code"] == code)
    fig = facility_figure(facility, rows, data["mdc"])
    discharges, mask = fig.data[0], fig.data[1]  # first metric: its values, then its suppression overlay
    months = [int(m.replace("-", "")) for m in discharges.x]
    mdcs = [label.split(" ")[0] for label in discharges.y]
    checked = 0
    for i, mdc in enumerate(mdcs):
        for j, month in enumerate(months):
            row = next((r for r in rows if r["mdc_code"] == mdc and r["discharge_yyyymm"] == month), None)
            if row is None:
                assert discharges.z[i][j] is None and mask.z[i][j] is None
            elif row["is_suppressed"]:
                assert discharges.z[i][j] is None and discharges.text[i][j] == ""
                assert mask.z[i][j] == 1 and mask.text[i][j] == SUPPRESSED
                assert flagged[(code, month, mdc)]  # primary or complementary (docs/decisions/0020); never recomputed
                checked += 1
            else:
                assert discharges.z[i][j] == row["discharges"] and mask.z[i][j] is None
    assert checked > 0


def test_reads_only_the_published_mart_and_dq(demo_copy: Path, tmp_path: Path) -> None:
    """Drop everything but mart, dq and ref: the report is the same (it never reads mart_build, stage, raw, nor the
    unsuppressed internal schema, docs/decisions/0020)."""
    db = demo_copy / "dpc.duckdb"
    before = write_report(db, tmp_path / "before.html").read_text(encoding="utf-8")
    with duckdb.connect(str(db)) as con:
        for schema in ("mart_build", "stage", "raw", "internal"):
            con.execute(f"drop schema {schema} cascade")
    after = write_report(db, tmp_path / "after.html").read_text(encoding="utf-8")

    def strip(page: str) -> str:  # generation time and plotly's random div suffixes aside
        return re.sub(r"Generated [^ ]+\.", "", page)

    assert strip(before) == strip(after)
    with duckdb.connect(str(db)) as con:
        con.execute("drop schema mart cascade")
    with pytest.raises(RuntimeError, match="published mart lacks"):
        write_report(db, tmp_path / "none.html")


def test_no_indicators_section_without_the_tables(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "dpc.duckdb"
    with duckdb.connect(str(db)) as con:
        for table, _, _ in INDICATOR_TABLES:
            con.execute(f"drop table if exists mart.{table}")
    page = write_report(db, tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="indicators"' not in page and 'href="#indicators"' not in page and "指標 Indicators" not in page
    assert 'id="dq"' in page  # the rest of the report is there


def test_indicators_section_when_the_tables_are_published(demo_copy: Path, tmp_path: Path) -> None:
    db = demo_copy / "dpc.duckdb"
    present = INDICATOR_TABLES[:2]
    with duckdb.connect(str(db)) as con:
        for table, _, _ in INDICATOR_TABLES:
            con.execute(f"drop table if exists mart.{table}")
        for table, _, _ in present:
            con.execute(
                f"create table mart.{table} as select * from (values "
                "('131000017', 2024, false, 123, 11.25), ('131000017', 2025, true, null, null)) "
                "t(facility_code, fiscal_year, is_suppressed, discharges, mean_los_days)"
            )
    page = write_report(db, tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="indicators">') :]
    section = section[: section.index("</section>")]
    for table, ja, en in present:
        assert f'id="indicator-{table}"' in section and ja in section and en in section
    for table, _, _ in INDICATOR_TABLES[2:]:
        assert f"indicator-{table}" not in section
    assert section.count(f'<td class="suppressed">{SUPPRESSED}</td>') == 2 * len(present)
    assert "<td>2024</td>" in section and "<td>11.25</td>" in section and "<td>123</td>" in section
    assert 'href="#indicators"' in page


def test_cli_report_writes_into_the_data_dir(demo_copy: Path) -> None:
    out = demo_copy / "report" / "index.html"
    shutil.rmtree(out.parent, ignore_errors=True)
    assert cli.main(["report", "--db", str(demo_copy / "dpc.duckdb")]) == 0
    assert _plotly_bundles(out.read_text(encoding="utf-8")) == 1


@pytest.mark.xdist_group("browser")
def test_report_renders_in_headless_chromium(demo_build: Path) -> None:
    report = Path(_summary(demo_build)["report_path"])
    cells = _kpi_cells(demo_build / "dpc.duckdb")
    facilities = sorted({c[0] for c in cells})
    with open_page(report.as_uri(), wait_for=".js-plotly-plot") as page:
        page.page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=len(facilities) + 1
        )
        rendered = page.page.evaluate(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(e => ({
                id: e.id,
                heatmaps: e.querySelectorAll('.heatmaplayer image').length,
                suppressed: Array.from(e.querySelectorAll('.heatmaplayer text'))
                    .filter(t => t.textContent === '秘匿').length,
                bars: e.querySelectorAll('.barlayer .point').length,
                width: e.getBoundingClientRect().width,
            }))"""
        )
        shot = page.screenshot("report.png")
        problems = page.problems
    assert problems == []
    by_id = {r["id"]: r for r in rendered}
    for code in facilities:
        chart = by_id[f"chart-{code}"]
        assert chart["width"] > 600
        # two heatmap layers (values + suppression overlay) per KPI panel, drawn as images
        assert chart["heatmaps"] == 2 * len(METRICS)
        suppressed = sum(1 for c in cells if c[0] == code and c[3])
        assert chart["suppressed"] == suppressed * len(METRICS)
    assert by_id["chart-dq"]["bars"] >= 1
    assert shot.stat().st_size > 50_000
