"""Broken deliveries, re-deliveries and a killed run: every fault explained exactly, nothing else changed.

Each broken delivery is made by the generator's fault injector (``dpc generate --corrupt``,
dpc/generate/corrupt.py) on a copy of the demo build and run through the real pipeline (validate → normalise →
load → dbt build on DuckDB → DQ → publish). Two pipeline runs cover every fault kind:

- the **row batch**: one delivery with every row-level fault (the good rows load, each bad row is quarantined with
  its reason), a corrected re-delivery, a UTF-8 re-delivery and an identical re-delivery;
- the **file batch**: six deliveries each replaced by a version with one file-level or upload fault (rejected
  with file, line, column and reason; the previous version stays published).

"Nothing else changed" is checked against the pristine demo database (attached read-only), row by row. The kill
test SIGKILLs ``dpc run`` during ``dbt build`` and compares the rerun's mart with the row batch's (a clean run of
the same inputs).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpc.cli import main as dpc_main
from dpc.executors.duckdb import DuckDBExecutor
from dpc.generate.corrupt import FAULTS, Corruption, corrupt_delivery
from dpc.layouts import KIND_SLUG, LAYOUTS, kind_for_filename
from dpc.manifest import count_data_rows, write_manifest
from dpc.paths import PROJECT_DIR
from dpc.pipeline import RunSummary, run_local
from dpc.pseudonymise import patient_key
from dpc.readers import FIELD_FINDINGS, REASONS, FileRejected
from dpc.steps import load
from dpc.steps.normalise import normalise_delivery
from dpc.steps.notify import format_summary
from dpc.steps.validate import validate_delivery
from dpc.storage import LocalStorage
from tests.python import fixtures_dpc as F
from tests.python.conftest import TEST_KEY, delivered_files, demo_env, environment

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

A, B = "131000017", "271000023"  # the demo's two facilities (seeds/ref/ref_facility.csv, first two rows)

ROW_FAULTS = [name for name, f in FAULTS.items() if f.family == "row"]
ROW_REASON = {  # the exact reason text a data engineer reads in dq.quarantine_<kind>
    "undecodable": r"bytes b'\\x85@[^']*' at byte \d+ of the line are not valid cp932",
    "extra-column-row": r"32 columns: expected 31",
    "not-numeric": r"順序番号 '[0-9O]{4}' is not an integer",
    "invalid-date": r"実施年月日 '20240632' is not a date the specification allows: yyyymmdd or 00000000",
    "discharge-before-admission": r"退院年月日 '\d{8}' is before 入院年月日 '\d{8}'",
    "service-date-outside-month": r"実施年月日 '20240701' is outside the delivery month 202406",
    "unknown-code": r"データ区分 '99' is not in the code list ef_data_category_inpatient \(p184, p197, p198, p200\)",
    "duplicate-rows": r"the row repeats line (\d+) exactly",
    "mixed-encoding": r"the line is utf-8, the file is cp932 \(mixed encodings\)",
}
DUPLICATES = 20  # > 1 % of the D file: trips the warn-severity quarantine-rate check

# file batch: the delivery each fault replaces, and the exact findings (file name, line, column, reason code, reason)
FILE_FAULTS = {
    "missing-file": (A, 202404),
    "extra-file": (A, 202405),
    "checksum-mismatch": (A, 202406),
    "row-count-mismatch": (B, 202404),
    "truncated": (B, 202405),
    "extra-column-file": (B, 202406),
}


def _delivery(lake: Path, facility: str, yyyymm: int) -> Path:
    return lake / "raw" / f"yyyymm={yyyymm}" / f"facility={facility}"


def _copy_demo(demo_build: Path, root: Path) -> Path:
    """The demo's lake and warehouse, with its deliveries as the hospitals delivered them: the K files the normaliser
    deleted are back (generated again), as if re-uploaded unchanged, so a fault rewrites a complete delivery."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(demo_build / "lake", root / "lake")
    shutil.copy2(demo_build / "dpc.duckdb", root / "dpc.duckdb")
    for raw in sorted((root / "lake" / "raw").glob("yyyymm=*/facility=*")):
        for name, data in delivered_files(demo_build, demo_build / raw.relative_to(root)).items():
            if not (raw / name).exists():
                (raw / name).write_bytes(data)
    return root


def _select_list(con: duckdb.DuckDBPyConnection, schema: str, table: str, exclude: tuple[str, ...] = ()) -> str:
    """Columns of a table, doubles rounded (parallel float sums may differ in the last bits between runs)."""
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return ", ".join(
        f'round("{c}", 6) as "{c}"' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in cols if c not in exclude
    )


def _differences(con: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """Rows in one query and not in the other (as multisets)."""
    return con.execute(
        f"select (select count(*) from (({left}) except all ({right}))) "
        f"+ (select count(*) from (({right}) except all ({left})))"
    ).fetchone()[0]


def _mart_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'mart' order by 1"
        ).fetchall()
    ]


def _same_mart(con: duckdb.DuckDBPyConnection, other: str, other_schema: str = "mart", where: str = "") -> dict:
    """Per mart table: rows differing between mart and ``other``.``other_schema`` (empty dict = identical)."""
    diffs = {}
    for table in _mart_tables(con):
        cols = _select_list(con, "mart", table)
        filt = f" where {where}" if where and "facility_code" in cols else ""
        prefix = f"{other}." if other else ""
        n = _differences(
            con, f"select {cols} from mart.{table}{filt}", f"select {cols} from {prefix}{other_schema}.{table}{filt}"
        )
        if n:
            diffs[table] = n
    return diffs


# ---------------------------------------------------------------------------------------------
# the row batch: one pipeline run for every row-level fault and the re-deliveries


@dataclass
class Batch:
    root: Path
    pristine: Path  # the demo build's database: the state before the run
    corruptions: dict[str, Corruption]
    summary: RunSummary

    @property
    def db(self) -> Path:
        return self.root / "dpc.duckdb"

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.db), read_only=True)
        con.execute(f"attach '{self.pristine}' as before (read_only)")
        return con

    def status(self, facility: str, yyyymm: int) -> str:
        return next(d.status for d in self.summary.deliveries if (d.facility_code, d.yyyymm) == (facility, yyyymm))


def apply_row_batch(lake: Path) -> dict[str, Corruption]:
    done = corrupt_delivery(_delivery(lake, A, 202406), ROW_FAULTS, rows=DUPLICATES)
    done += corrupt_delivery(_delivery(lake, A, 202405), "corrected-month")
    done += corrupt_delivery(_delivery(lake, B, 202405), "utf8")
    done += corrupt_delivery(_delivery(lake, B, 202406), "same-month-twice")
    return {c.fault: c for c in done}


@pytest.fixture(scope="module")
def row_batch(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = _copy_demo(demo_build, tmp_path_factory.mktemp("row-batch"))
    corruptions = apply_row_batch(root / "lake")
    with environment(**demo_env(root)):
        summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", docs=False, report=False)
    return Batch(root, demo_build / "dpc.duckdb", corruptions, summary)


def test_row_batch_statuses_and_publication(row_batch: Batch) -> None:
    s = row_batch.summary
    assert s.ok, (s.error, s.dbt.get("failed"), s.dq.get("errors"))
    statuses = {(d.facility_code, d.yyyymm): d.status for d in s.deliveries}
    assert statuses == {
        (A, 202404): "unchanged",
        (A, 202405): "loaded",  # corrected month
        (A, 202406): "loaded",  # with its bad rows quarantined
        (B, 202404): "unchanged",
        (B, 202405): "loaded",  # the same rows, now in UTF-8
        (B, 202406): "unchanged",  # the same month sent twice
    }
    # the publication copied exactly the three re-delivered facility-months (plus whole small tables)
    assert s.publication["touched"]["facility_months"] == [[A, 202405], [A, 202406], [B, 202405]]
    assert s.publication["tables"]["fct_billing_lines"]["mode"] == "delivery"


@pytest.mark.parametrize("fault", ROW_FAULTS)
def test_row_fault_is_quarantined_with_its_reason(row_batch: Batch, fault: str) -> None:
    c = row_batch.corruptions[fault]
    kind = kind_for_filename(c.file)
    with row_batch.connect() as con:
        rows = con.execute(
            f"select line_number, column_name, reason_code, reason, raw_line from dq.quarantine_{KIND_SLUG[kind]} "
            "where facility_code = ? and yyyymm = 202406 and source_file = ? and line_number in "
            f"({', '.join(str(n) for n in c.lines)}) order by line_number",
            [A, c.file],
        ).fetchall()
    assert [r[0] for r in rows] == list(c.lines)
    delivered = (_delivery(row_batch.root / "lake", A, 202406) / c.file).read_bytes().split(b"\r\n")
    for line, column, code, reason, raw_line in rows:
        assert (column, code) == (c.column, c.reason_codes[0]), (line, reason)
        m = re.fullmatch(ROW_REASON[fault], reason)
        assert m, reason
        if fault == "duplicate-rows":  # the line it repeats really is the same line
            assert delivered[int(m[1]) - 1] == delivered[line - 1]
        # quarantine keeps the line, but never the clear patient identifier
        data_id = delivered[line - 1].split(b"\t")[LAYOUTS[kind].names.index("data_id")].decode("ascii")
        assert data_id not in raw_line and patient_key(A, data_id, TEST_KEY.encode()) in raw_line


def test_row_faults_quarantine_exactly_the_bad_rows_and_change_nothing_else(row_batch: Batch) -> None:
    bad: dict[str, set[int]] = {}
    for fault in ROW_FAULTS:
        c = row_batch.corruptions[fault]
        # the faulty line, and the rest of its 様式1 form or EF act when the fault is in the unit's key
        bad.setdefault(kind_for_filename(c.file), set()).update(c.lines, c.unit_lines)
    with row_batch.connect() as con:
        for kind, slug in KIND_SLUG.items():
            lines = bad.get(kind, set())
            cols = _select_list(con, "raw", slug, exclude=("load_id", "loaded_at"))
            others = (
                f"not (facility_code = '{A}' and yyyymm = 202406) and not (facility_code = '{A}' and yyyymm = 202405)"
            )
            # every other delivery (re-loaded or not) has exactly the rows it had
            assert (
                _differences(
                    con,
                    f"select {cols} from raw.{slug} where {others}",
                    f"select {cols} from before.raw.{slug} where {others}",
                )
                == 0
            ), kind
            # the faulty delivery: its rows minus exactly the quarantined lines (duplicates add none)
            keep = f"facility_code = '{A}' and yyyymm = 202406"
            not_bad = f" and line_number not in ({', '.join(map(str, sorted(lines)))})" if lines else ""
            assert (
                _differences(
                    con,
                    f"select {cols} from raw.{slug} where {keep}",
                    f"select {cols} from before.raw.{slug} where {keep}{not_bad}",
                )
                == 0
            ), kind
            q = con.execute(
                f"select facility_code, yyyymm, count(*) from dq.quarantine_{slug} group by all order by all"
            ).fetchall()
            expected_q = len(lines)
            assert q == ([(A, 202406, expected_q)] if expected_q else []), kind
        assert con.execute("select count(*) from dq.dq_reconciliation where difference <> 0").fetchone()[0] == 0
        # mart: the other facility is untouched; the faulty month lost exactly its quarantined EF lines
        assert _same_mart(con, "before", where=f"facility_code = '{B}'") == {}
        lost = con.execute(
            "select count(*) from before.mart.fct_billing_lines b where facility_code = ? and yyyymm = 202406 "
            "and not exists (select 1 from mart.fct_billing_lines a where a.billing_line_id = b.billing_line_id)",
            [A],
        ).fetchone()[0]
        assert lost == len(bad["EFn"])
        cols = _select_list(con, "mart", "fct_billing_lines")
        assert (
            _differences(
                con,
                f"select {cols} from mart.fct_billing_lines where facility_code = '{A}' and yyyymm <> 202405",
                f"select {cols} from before.mart.fct_billing_lines where facility_code = '{A}' and yyyymm <> 202405 "
                f"and billing_line_id in (select billing_line_id from mart.fct_billing_lines)",
            )
            == 0
        )
        # the keyed publication produced exactly what a full copy of the audited build would
        assert _same_mart(con, "", other_schema="mart_build") == {}


def test_dq_warning_is_recorded_and_reported_but_does_not_stop_publication(row_batch: Batch) -> None:
    s = row_batch.summary
    warnings = {w["check"]: w for w in s.dq["warnings"]}
    assert set(warnings) == {"warn_quarantine_rate_above_1pct"}, warnings
    assert warnings["warn_quarantine_rate_above_1pct"]["failing_rows"] == 1  # the D file of A 202406 only
    assert s.published and s.dq["errors"] == []
    with row_batch.connect() as con:
        row = con.execute(
            "select status, severity from dq.dq_results where run_id = ? and check_name = ?",
            [s.dbt["invocation_id"], "warn_quarantine_rate_above_1pct"],
        ).fetchone()
        hit = con.execute(
            "select kind, facility_code, yyyymm, quarantined_rows, delivered_rows from dq.dq_reconciliation "
            "where quarantined_rows > 0.01 * delivered_rows"
        ).fetchall()
        d_rows = con.execute(
            "select delivered_rows from before.dq.load_history where kind = 'D' and facility_code = ? "
            "and yyyymm = 202406",
            [A],
        ).fetchone()[0]
    assert row == ("warn", "warn")
    assert hit == [("D", A, 202406, DUPLICATES + 1, d_rows + DUPLICATES)]
    text = format_summary(s.as_dict())
    assert "! warn warn_quarantine_rate_above_1pct on dq_reconciliation (1 rows)" in text
    assert f"! Dn_{A}_2406.txt: rows quarantined (discharge_before_admission 1, duplicate_row {DUPLICATES})" in text
    assert "Published mart: yes (3 deliveries copied from mart_build)" in text


def test_corrected_month_replaces_exactly_its_delivery_and_archives_the_previous_version(
    row_batch: Batch, demo_build: Path
) -> None:
    c = row_batch.corruptions["corrected-month"]
    lake = row_batch.root / "lake"
    prefix = f"raw/yyyymm=202405/facility={A}/"
    with row_batch.connect() as con:
        old_sha, old_load = con.execute(
            "select manifest_sha256, load_id from before.dq.load_history where facility_code = ? and yyyymm = 202405 "
            "limit 1",
            [A],
        ).fetchone()
        history = con.execute(
            "select manifest_sha256, archived_to, count(*) from dq.load_history where facility_code = ? "
            "and yyyymm = 202405 group by all order by min(loaded_at)",
            [A],
        ).fetchall()
        archive = f"archive/{prefix}{old_sha[:12]}/"
        # history is kept: the first version's 7 files (every kind, p17), then the correction's 7 naming the archive
        assert [(h[1], h[2]) for h in history] == [(None, 7), (archive, 7)] and history[0][0] == old_sha
        # raw: that delivery's rows are the previous rows minus the removed stay; line numbers moved up
        patient = patient_key(A, c.stay[0], TEST_KEY.encode())
        admitted = c.stay[1]
        for kind, slug in KIND_SLUG.items():
            cols = _select_list(con, "raw", slug, exclude=("load_id", "loaded_at", "line_number"))
            this = f"facility_code = '{A}' and yyyymm = 202405"
            stay = f"patient_key = '{patient}' and admission_date = '{admitted}'"
            if "admission_date" not in LAYOUTS[kind].names:  # outpatient EF: no stays (and none delivered here)
                stay = "false"
            assert (
                _differences(
                    con,
                    f"select {cols} from raw.{slug} where {this}",
                    f"select {cols} from before.raw.{slug} where {this} and not ({stay})",
                )
                == 0
            ), kind
            removed = con.execute(f"select count(*) from before.raw.{slug} where {this} and {stay}").fetchone()[0]
            assert removed == len(c.removed.get(F.file_name(kind, A, 202405), ())), kind
        # mart: the stay is gone, and it is the only stay that disappeared
        gone = con.execute(
            "select patient_key, strftime(admission_date, '%Y%m%d') from before.mart.fct_admissions b "
            "where not exists (select 1 from mart.fct_admissions a where a.stay_id = b.stay_id)"
        ).fetchall()
        assert gone == [(patient, admitted)]
    # the previous version is archived: raw files + manifest byte for byte; its stage Parquet stays, untouched,
    # under its own load prefix (docs/decisions/0011), and the correction was written under a new one
    for f in (demo_build / "lake" / prefix).iterdir():
        assert (lake / archive / f.name).read_bytes() == f.read_bytes(), f.name
    with row_batch.connect() as con:
        [(new_load,)] = con.execute(
            "select distinct load_id from dq.load_history where facility_code = ? and yyyymm = 202405 "
            "and manifest_sha256 <> ?",
            [A, old_sha],
        ).fetchall()
    for slug in KIND_SLUG.values():
        for layer in (slug, f"quarantine_{slug}"):
            stage = load.current_load_file(layer, A, 202405, old_load)
            assert (lake / stage).read_bytes() == (demo_build / "lake" / stage).read_bytes(), layer
            assert (lake / load.current_load_file(layer, A, 202405, new_load)).is_file(), layer
            if layer == slug:
                assert set(pq.read_table(lake / stage, columns=["load_id"])["load_id"].to_pylist()) <= {old_load}
    assert "previous version archived in " + archive in format_summary(row_batch.summary.as_dict())


def test_utf8_and_identical_redeliveries(row_batch: Batch, demo_build: Path) -> None:
    lake = row_batch.root / "lake"
    with row_batch.connect() as con:
        loads = dict(
            con.execute(
                "select yyyymm, count(distinct load_id) from dq.load_history where facility_code = ? group by 1",
                [B],
            ).fetchall()
        )
        quarantined = con.execute("select count(*) from dq.quarantine_efn where facility_code = ?", [B]).fetchone()[0]
    assert loads == {202404: 1, 202405: 2, 202406: 1}  # the identical re-delivery was not loaded again
    assert quarantined == 0  # UTF-8 is read exactly like cp932
    for month, same in ((202405, False), (202406, True)):  # UTF-8: other bytes; sent twice: the same bytes
        for f in (demo_build / "lake" / f"raw/yyyymm={month}/facility={B}").iterdir():
            data = f.read_bytes()
            ascii_data = data.isascii() and f.name != "manifest.json"  # 様式4 is digits only: the same in UTF-8
            assert ((lake / f"raw/yyyymm={month}/facility={B}" / f.name).read_bytes() == data) is (same or ascii_data)
    # the delivery sent twice was not even re-normalised: its stage files are the very same bytes
    stages = list((demo_build / "lake" / "stage").glob(f"*/yyyymm=202406/facility={B}/load=*/part-0.parquet"))
    assert len(stages) == 2 * len(KIND_SLUG)
    for stage in stages:
        assert (lake / stage.relative_to(demo_build / "lake")).read_bytes() == stage.read_bytes()


# ---------------------------------------------------------------------------------------------
# the file batch: file-level and upload faults reject their delivery; the previous versions stay


@pytest.fixture(scope="module")
def file_batch(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    root = _copy_demo(demo_build, tmp_path_factory.mktemp("file-batch"))
    corruptions = {}
    for fault, (facility, yyyymm) in FILE_FAULTS.items():
        [corruptions[fault]] = corrupt_delivery(_delivery(root / "lake", facility, yyyymm), fault)
    with environment(**demo_env(root)):
        # nothing can be loaded, so nothing needs rebuilding: build only the reconciliation (and its checks)
        summary = run_local(
            lake=root / "lake", db_path=root / "dpc.duckdb", select="dq_reconciliation", docs=False, report=False
        )
    return Batch(root, demo_build / "dpc.duckdb", corruptions, summary)


def _expected_findings(fault: str, facility: str, yyyymm: int, lake: Path) -> list[tuple]:
    yymm = f"{yyyymm % 10000:04d}"
    name = {
        "missing-file": f"Hn_{facility}_{yymm}.txt",
        "extra-file": f"EFn_{facility}_{yymm}_resent.txt",
        "row-count-mismatch": f"Dn_{facility}_{yymm}.txt",
    }.get(fault, f"EFn_{facility}_{yymm}.txt")
    key = f"raw/yyyymm={yyyymm}/facility={facility}/{name}"
    path = lake / key
    if fault == "missing-file":
        return [
            (
                key,
                0,
                None,
                "missing_file",
                re.escape("listed in the manifest but not present (upload incomplete or file renamed)"),
            )
        ]
    if fault == "extra-file":
        return [
            (
                key,
                0,
                None,
                "extra_file",
                re.escape(
                    "present but not in the manifest (uploaded after the manifest was "
                    "written? rewrite the manifest, or remove the file)"
                ),
            )
        ]
    if fault == "checksum-mismatch":
        return [
            (
                key,
                0,
                None,
                "checksum_mismatch",
                r"sha256 mismatch: manifest says [0-9a-f]{12}…, file has "
                r"[0-9a-f]{12}… \(file changed after the manifest was written, or truncated upload\)",
            )
        ]
    if fault == "row-count-mismatch":
        n = count_data_rows(path.read_bytes())
        return [
            (
                key,
                0,
                None,
                "row_count_mismatch",
                rf"row count mismatch: manifest says {n + 1} data rows, file "
                rf"has {n} \(title row excluded; .*\)",
            )
        ]
    if fault == "truncated":
        return [
            (
                key,
                0,
                None,
                "size_mismatch",
                rf"size mismatch: manifest says \d+ bytes, file has {path.stat().st_size} .*",
            ),
            (key, 0, None, "checksum_mismatch", r"sha256 mismatch: .*"),
            (
                key,
                0,
                None,
                "row_count_mismatch",
                rf"row count mismatch: manifest says \d+ data rows, file has "
                rf"{count_data_rows(path.read_bytes())} .*",
            ),
        ]
    assert fault == "extra-column-file"
    return [
        (
            key,
            1,
            None,
            "file_rejected",
            r"title row has 32 columns, the EFn layout has 31 \(a column added or "
            r"removed by a newer survey year, or the wrong kind\)",
        )
    ]


@pytest.mark.parametrize("fault", FILE_FAULTS)
def test_file_fault_rejects_its_delivery_with_the_exact_error(file_batch: Batch, fault: str) -> None:
    facility, yyyymm = FILE_FAULTS[fault]
    [outcome] = [d for d in file_batch.summary.deliveries if (d.facility_code, d.yyyymm) == (facility, yyyymm)]
    assert outcome.status == "rejected"
    expected = _expected_findings(fault, facility, yyyymm, file_batch.root / "lake")
    got = [(f["file"], f["line"], f["column"], f["reason_code"], f["reason"]) for f in outcome.findings]
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert re.fullmatch(e[4], g[4]), g[4]
    text = format_summary(file_batch.summary.as_dict())
    line = 1 if fault == "extra-column-file" else None
    assert f"✗ {expected[0][0]}{f':{line}' if line else ''}: " in text


def test_rejected_deliveries_leave_everything_as_it_was(file_batch: Batch, demo_build: Path) -> None:
    s = file_batch.summary
    assert [d.status for d in s.deliveries] == ["rejected"] * 6
    # every delivery rejected: FAILED, dbt did not run, nothing was published: the mart is as it was (docs/decisions/0024)
    assert (s.status, s.published, s.dbt) == ("FAILED", False, {})
    with file_batch.connect() as con:
        for slug in KIND_SLUG.values():  # raw and quarantine untouched, lineage included
            for table in (f"raw.{slug}", f"dq.quarantine_{slug}"):
                schema, name = table.split(".")
                cols = _select_list(con, schema, name)
                assert _differences(con, f"select {cols} from {table}", f"select {cols} from before.{table}") == 0
        assert _differences(con, "select * from dq.load_history", "select * from before.dq.load_history") == 0
        assert _same_mart(con, "before") == {}
    for stage in (demo_build / "lake" / "stage").rglob("*.parquet"):
        assert (file_batch.root / "lake" / stage.relative_to(demo_build / "lake")).read_bytes() == stage.read_bytes()
    # only versions that were loaded are archived (the demo's first loads), never a rejected one
    with file_batch.connect() as con:
        loaded = {r[0][:12] for r in con.execute("select distinct manifest_sha256 from dq.load_history").fetchall()}
    archived = {p.name for p in (file_batch.root / "lake" / "archive" / "raw").glob("yyyymm=*/facility=*/*")}
    assert archived == loaded and len(loaded) == 6


def test_generate_cli_corrupts_and_validate_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    args = [
        "generate",
        "--lake",
        str(lake),
        "--seed",
        "7",
        "--facilities",
        "1",
        "--months",
        "1",
        "--admissions-per-month",
        "20",
        "--corrupt",
        "truncated",
    ]
    assert dpc_main(args) == 0
    out = capsys.readouterr().out
    assert re.search(
        rf"corrupted .*facility={A}: truncated at EFn_{A}_2404\.txt:\d+ .* → expect rejected "
        r"size_mismatch checksum_mismatch row_count_mismatch",
        out,
    ), out
    assert dpc_main(["validate", "--lake", str(lake)]) == 2
    captured = capsys.readouterr()
    assert f"{A} 202404: REJECTED" in captured.out
    assert f"raw/yyyymm=202404/facility={A}/EFn_{A}_2404.txt:: size mismatch" in captured.err


# ---------------------------------------------------------------------------------------------
# the kill test: SIGKILL `dpc run` during dbt build; the mart stays as it was; the rerun resumes


def test_killed_run_leaves_mart_untouched_and_rerun_equals_a_clean_run(
    demo_build: Path, row_batch: Batch, tmp_path: Path
) -> None:
    root = _copy_demo(demo_build, tmp_path / "kill")
    apply_row_batch(root / "lake")  # the same inputs as the row batch (a clean run of them)
    env = {**os.environ, **demo_env(root)}
    log = root / "logs" / "dbt.log"
    with open(root / "run.out", "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dpc.cli",
                "run",
                "--lake",
                str(root / "lake"),
                "--db",
                str(root / "dpc.duckdb"),
                "--no-docs",
                "--no-report",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # wait until dbt has written into mart_build (a half-built audit schema), then kill without warning
            pattern = re.compile(r"OK created sql \w+ model mart_build\.")
            while proc.poll() is None and not (log.exists() and pattern.search(log.read_text(errors="replace"))):
                time.sleep(0.05)
            assert proc.poll() is None, (root / "run.out").read_text(errors="replace")[-2000:]
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with duckdb.connect(str(root / "dpc.duckdb"), read_only=True) as con:
        con.execute(f"attach '{demo_build / 'dpc.duckdb'}' as before (read_only)")
        # the killed run loaded the re-deliveries (committed before dbt started) but published nothing
        assert _same_mart(con, "before") == {}
        assert (
            con.execute("select count(*) from dq.publish_log").fetchone()[0]
            == con.execute("select count(*) from before.dq.publish_log").fetchone()[0]
        )
        assert (
            con.execute(
                "select count(distinct load_id) from dq.load_history where manifest_sha256 not in "
                "(select manifest_sha256 from before.dq.load_history)"
            ).fetchone()[0]
            == 3
        )
    with environment(**demo_env(root)):
        summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", docs=False, report=False)
    assert summary.ok, (summary.error, summary.dbt.get("failed"))
    assert {d.status for d in summary.deliveries} == {"unchanged"}  # ingest finished before the kill
    # nothing was loaded by the rerun, yet it publishes what the killed run left pending
    assert summary.publication["touched"]["facility_months"] == [[A, 202405], [A, 202406], [B, 202405]]
    with duckdb.connect(str(root / "dpc.duckdb"), read_only=True) as con:
        con.execute(f"attach '{row_batch.db}' as clean (read_only)")
        assert _same_mart(con, "clean") == {}
        assert _same_mart(con, "", other_schema="mart_build") == {}


# ---------------------------------------------------------------------------------------------
# property: arbitrary bytes in a delivered file never crash normalise + load


def _normalise_and_load(kind: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = Path(tmp)
        folder = _delivery(lake, F.FACILITY, F.YYYYMM)
        folder.mkdir(parents=True)
        (folder / F.file_name(kind)).write_bytes(data)
        write_manifest(folder)
        storage = LocalStorage(lake)
        assert validate_delivery(storage, F.FACILITY, F.YYYYMM).ok
        key = f"raw/yyyymm={F.YYYYMM}/facility={F.FACILITY}/{F.file_name(kind)}"
        try:
            result = normalise_delivery(storage, storage, F.FACILITY, F.YYYYMM, key=b"k", load_id="load-1")
        except FileRejected as exc:
            assert str(exc).startswith(key + ":") and exc.reason
            assert not (lake / "stage").exists()  # a rejected file writes nothing
            return
        [f] = result.files
        assert f.delivered == count_data_rows(data) == f.accepted + f.quarantined
        files = [load.LoadedFile(kind, f.source_file, "", len(data), f.delivered, f.accepted, f.quarantined, 0)]
        with duckdb.connect() as con:
            plan = load.plan_load(
                F.FACILITY,
                F.YYYYMM,
                load_id="load-1",
                manifest_sha256="m",
                files=files,
                archived_to=None,
                loaded_by="test",
            )
            DuckDBExecutor(con, lake).load([plan])
            slug = KIND_SLUG[kind]
            assert con.execute(f"select count(*) from raw.{slug}").fetchone()[0] == f.accepted
            reasons = con.execute(
                f"select reason_code, reason, disposition from dq.quarantine_{slug} order by disposition"
            ).fetchall()
        # rows taken out, and kept rows whose forbidden field was nulled (docs/decisions/0025)
        assert [r for r in reasons if r[2] == "quarantined"] == [r for r in reasons if r[0] in REASONS]
        assert len([r for r in reasons if r[2] == "quarantined"]) == f.quarantined
        assert all(
            (code in REASONS if disposition == "quarantined" else code in FIELD_FINDINGS) and text
            for code, text, disposition in reasons
        )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(list(LAYOUTS)),
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    b"\t",
                    b"\r\n",
                    b"\n",
                    b"0",
                    b"2024",
                    b"\x82\xa0",
                    b"\xe3\x81\x82",
                    b"\xff",
                    F.FACILITY.encode(),
                    b"20240415",
                    b"\x85\x40",
                ]
            ),
            max_size=150,
        ).map(b"".join),
    ),
)
def test_arbitrary_bytes_never_crash_normalise_or_load(kind: str, data: bytes) -> None:
    _normalise_and_load(kind, data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_files_are_loaded_or_quarantined_row_for_row(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(list(LAYOUTS)))
    raw = bytearray(F.render(kind, F.rows(kind), title=data.draw(st.sampled_from([None, "current"]))))
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    _normalise_and_load(kind, bytes(raw))
