"""The static KPI report (dpc/report/): what it reads, how it shows suppressed cells, the optional Indicators
section, and the real page in headless chromium (charts render, no console errors, nothing fetched; screenshot)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dpc import cli
from dpc.report import (
    INDICATOR_TABLES,
    METRICS,
    SUPPRESSED,
    metric_figure,
    read_report_data,
    render_report,
    shared_scales,
    write_report,
)
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
        for metric in METRICS:
            assert f'id="chart-{code}-{metric.column}"' in page
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
    fig = metric_figure(METRICS[0], rows, data["mdc"], shared_scales(data["kpi"])[METRICS[0].column])
    discharges, mask = fig.data[0], fig.data[1]  # the values, then the suppression overlay
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


# every title on the page, plotly's own included (figure, axis and colour-bar titles, annotations such as subplot
# titles and line labels), as boxes in page coordinates; pairs whose boxes intersect overlap on screen
TITLE_BOXES = """() => {
    const boxes = Array.from(document.querySelectorAll(
        'h1, h2, h3, h4, .gtitle, .g-xtitle, .g-ytitle, .cbtitle, .annotation'
    )).map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent.trim().slice(0, 50), x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height};
    }).filter(b => b.w > 0 && b.h > 0);
    const overlaps = [];
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i], b = boxes[j];
        const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
        const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
        if (w > 1 && h > 1) overlaps.push([a.text, b.text]);
    }
    return {titles: boxes.length, overlaps: overlaps};
}"""
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(e => ({
    id: e.id,
    heatmaps: e.querySelectorAll('.heatmaplayer image').length,
    suppressed: Array.from(e.querySelectorAll('.heatmaplayer text')).filter(t => t.textContent === '秘匿').length,
    bars: e.querySelectorAll('.barlayer .point').length,
    width: e.getBoundingClientRect().width,
}))"""


def _open_report(
    report: Path, width: int, shot: str, follow_disclosure: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str], Path, list[int]]:
    with open_page(report.as_uri(), width=width, wait_for=".js-plotly-plot") as page:
        page.page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(e => e.querySelector('.main-svg'))"
        )
        rendered = page.page.evaluate(CHARTS_DRAWN)
        titles = page.page.evaluate(TITLE_BOXES)
        path = page.screenshot(shot)
        disclosure: list[int] = []
        if follow_disclosure:
            # the report's link to a 病院情報の公表 page (dpc/disclosure/) opens it, in the same browser (one launch)
            page.page.click("#disclosure a")
            page.page.wait_for_selector("#age-bands table", state="visible")
            disclosure = page.page.evaluate(
                "() => [document.querySelectorAll('table').length, document.querySelectorAll('td.masked').length]"
            )
        return rendered, titles, page.problems, path, disclosure


@pytest.mark.xdist_group("browser")
def test_report_renders_in_headless_chromium_at_desktop_and_phone_width(demo_build: Path) -> None:
    report = Path(_summary(demo_build)["report_path"])
    cells = _kpi_cells(demo_build / "dpc.duckdb")
    facilities = sorted({c[0] for c in cells})
    for width, shot in ((1400, "report.png"), (390, "report-phone.png")):
        rendered, titles, problems, path, disclosure = _open_report(report, width, shot, follow_disclosure=width > 1000)
        assert problems == [], width
        if width > 1000:
            assert disclosure[0] >= 8 and disclosure[1] > 0  # every table, and the demo's '-' cells
        assert titles["titles"] > 20 and titles["overlaps"] == [], (width, titles["overlaps"])
        by_id = {r["id"]: r for r in rendered}
        for code in facilities:
            suppressed = sum(1 for c in cells if c[0] == code and c[3])
            for metric in METRICS:
                chart = by_id[f"chart-{code}-{metric.column}"]
                # two columns of panels on a desktop, one on a phone, never wider than the screen
                assert (chart["width"] > 500) if width == 1400 else (300 < chart["width"] <= width), (width, chart)
                # two heatmap layers (values + suppression overlay), drawn as images
                assert chart["heatmaps"] == 2
                assert chart["suppressed"] == suppressed
        assert all(r["width"] <= width for r in rendered), width
        assert by_id["chart-dq"]["bars"] >= 1
        assert path.stat().st_size > 50_000


def test_one_colour_scale_per_measure_axes_from_zero_and_a_sentence_when_all_is_suppressed(demo_build: Path) -> None:
    from dpc.report.indicators import CHARTS, case_mix_span, value_range

    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        data = read_report_data(con)
    facilities = sorted({r["facility_code"] for r in data["kpi"]})
    assert len(facilities) > 1
    scales = shared_scales(data["kpi"])
    for metric in METRICS:
        ranges = set()
        for code in facilities:
            rows = [r for r in data["kpi"] if r["facility_code"] == code]
            trace = metric_figure(metric, rows, data["mdc"], scales[metric.column]).data[0]
            ranges.add((trace.zmin, trace.zmax))
            assert all(v is None or trace.zmin <= v <= trace.zmax for line in trace.z for v in line)
        assert ranges == {scales[metric.column]} and scales[metric.column][0] == 0.0, metric.column
    index = next(c for c in CHARTS if c.national == 1.0)
    rate = next(c for c in CHARTS if c.fmt.endswith("%"))
    assert value_range(index, [1.004, 0.995]) == [0.75, 1.25]  # a 0.01 difference stays small
    assert value_range(index, [1.6, None]) == pytest.approx([0.25, 1.75])
    assert value_range(rate, [None, None]) == [0.0, 0.05]  # every cell suppressed: still from 0, never −100 %
    assert value_range(rate, [0.2, 0.1])[0] == 0.0
    assert case_mix_span([{"case_mix_index": 1.05}, {"case_mix_index": None}]) == 0.25

    # a facility whose every cell is suppressed gets a sentence, not empty grids
    hidden = facilities[0]
    for r in data["kpi"]:
        if r["facility_code"] == hidden:
            r["is_suppressed"] = True
            for metric in METRICS:
                r[metric.column] = None
    page = render_report(data)
    section = page[page.index(f'<section id="facility-{hidden}"') :]
    section = section[: section.index("</section>")]
    assert "all-suppressed" in section and "js-plotly-plot" not in section and 'id="chart-' not in section
    assert f'id="chart-{facilities[1]}-discharges"' in page
