"""`dpc disclose` (dpc/disclosure/): the 病院情報の公表 page of a facility and fiscal year. The tables' logic is tested
by the dbt unit tests beside models/mart/disclosure/ (hand-computed figures, every exclusion, the '-' rule), which run
in the demo build; here: the CSVs say exactly what the published mart says, '-' exactly where the mart masks, the
pipeline writes the pages the report links to. The page opening from the report's link in chromium without console
errors is checked in test_report.py (one browser launch)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from dpc import cli
from dpc.disclosure import disclosure_pages, page_dir
from dpc.disclosure.page import MASKED, render_page
from dpc.disclosure.tables import HOSPITAL_INDICATORS, QUALITY_INDICATORS, TableSpec
from dpc.steps.normalise import _neonatal_age_days

SPECS = (*HOSPITAL_INDICATORS, QUALITY_INDICATORS)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # UTF-8 with BOM
    rows = list(csv.reader(text[1:].splitlines()))
    return rows[0], rows[1:]


def _mart_rows(con: duckdb.DuckDBPyConnection, spec: TableSpec, facility: str, year: int) -> list[tuple]:
    columns = ", ".join(c.name for c in (*spec.group_by, *spec.columns))
    return con.execute(
        f"select {columns} from mart.{spec.model} where facility_code = ? and fiscal_year = ? order by {spec.order_by}",
        [facility, year],
    ).fetchall()


def _same(cell: str, value: object) -> bool:
    if value is None:
        return cell == MASKED
    if isinstance(value, float):
        return cell != MASKED and abs(float(cell) - value) < 0.005
    return cell == str(value)


def test_disclose_csvs_equal_the_published_mart(demo_build: Path, tmp_path: Path) -> None:
    db = demo_build / "dpc.duckdb"
    pages = disclosure_pages(db)
    assert {f for f, _ in pages} == {"131000017", "271000023"}
    with duckdb.connect(str(db), read_only=True) as con:
        for facility, year in pages:
            out = tmp_path / facility
            assert (
                cli.main(
                    ["disclose", "--facility", facility, "--fiscal-year", str(year), "--db", str(db), "--out", str(out)]
                )
                == 0
            )
            page = (out / "index.html").read_text(encoding="utf-8")
            for spec in SPECS:
                header, rows = _csv_rows(out / f"{spec.key}.csv")
                assert header == [c.heading for c in (*spec.group_by, *spec.columns)]
                mart = _mart_rows(con, spec, facility, year)
                assert len(rows) == len(mart) > 0, spec.model
                for got, want in zip(rows, mart, strict=True):
                    assert all(_same(c, v) for c, v in zip(got, want, strict=True)), (spec.model, got, want)
                assert f'id="{spec.key}"' in page and f'href="{spec.key}.csv"' in page
            # a masked figure is '-' and nothing on the page adds the figures up
            assert "合計" not in page.replace("合計は", "")
            masked = con.execute(
                "select count(*) from mart.disc_age_band_discharges where facility_code = ? and fiscal_year = ? "
                "and is_masked",
                [facility, year],
            ).fetchone()
            assert masked is not None and masked[0] > 0  # the demo facilities have '-' bands
    # the pipeline wrote the same pages beside the report, and the report links to each
    report = (demo_build / "report" / "index.html").read_text(encoding="utf-8")
    for facility, year in pages:
        assert (page_dir(demo_build / "disclosure", facility, year) / "index.html").is_file()
        assert f'href="../disclosure/{facility}/FY{year}/index.html"' in report


def test_disclose_without_discharges_exits_2(
    demo_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(demo_build / "dpc.duckdb")
    assert (
        cli.main(["disclose", "--facility", "131000017", "--fiscal-year", "1999", "--db", db, "--out", str(tmp_path)])
        == 2
    )
    assert "no discharges of facility 131000017 in fiscal year 1999" in capsys.readouterr().err
    assert not (tmp_path / "index.html").exists()


def test_insurance_index_quality_section_only_when_published() -> None:
    tables = {spec.key: [] for spec in SPECS}
    args = {"facility_code": "F", "facility_name": "病院", "fiscal_year": 2024, "tables": tables}
    assert "insurance-index-quality" not in render_page(**args, quality=None)
    page = render_page(**args, quality=(["facility_code", "share"], [["F", "1.5"]]))
    assert 'id="insurance-index-quality"' in page and "<td>1.5</td>" in page


def test_newborns_keep_an_age_in_days_and_nobody_else() -> None:
    births = pa.array(["20240401", "20240301", "20240400", None, "20240405", "19500101"])
    admitted = pa.array(["20240405", "20240405", "20240405", "20240405", "20240405", "20240405"])
    assert _neonatal_age_days(births, admitted).to_pylist() == [4, None, None, None, 0, None]
