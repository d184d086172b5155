"""Run the floor (bench/floor.sql) and compare its results with the pipeline's mart, row for row.

:func:`run_floor` executes the hand-written script against a lake's raw files. :func:`compare` maps the
floor's clear データ識別番号 to the pipeline's ``patient_key`` (the same HMAC the normaliser uses, computed
here in Python: the key never enters SQL), derives ``stay_id`` the way the stage models do, and compares
every column of ``fct_admissions`` and of the unsuppressed ``int_kpi__monthly_facility_mdc`` with the
floor's, keyed by ``stay_id`` / ``kpi_id``. Doubles (sums of points, averages) are equal
when they agree to 1e-9 relative; everything else must be identical.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dpc.duck import CP932, connect, load_encodings
from dpc.pseudonymise import patient_key

FLOOR_SQL = Path(__file__).with_name("floor.sql")
# the raw files the floor reads: 様式1, D and 入院EF (not 外来EF, FF4, H or the K file)
FLOOR_INPUTS = ("FF1_", "DN_", "EFN_")
ADMISSIONS_TABLE = "fct_admissions"
KPI_TABLE = "int_kpi__monthly_facility_mdc"
DOUBLE_TOLERANCE = 1e-9


def _literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def csv_buffer_size(lake: Path) -> int:
    """A CSV buffer that holds the largest raw file the floor reads whole (a power of two, at least DuckDB's
    default 32 MiB): DuckDB 1.5.5's `encoding =` path corrupts a multi-byte character straddling a buffer boundary."""
    largest = max(
        (p.stat().st_size for p in (Path(lake) / "raw").glob("*/*/*.txt") if p.name.upper().startswith(FLOOR_INPUTS)),
        default=0,
    )
    size = 1 << 25
    while size <= largest:
        size <<= 1
    return size


def run_floor(lake: Path, database: Path | str = ":memory:", *, encoding: str = CP932) -> dict[str, object]:
    """Run bench/floor.sql on ``lake``'s raw files; tables floor_admissions and floor_kpi land in ``database``.

    ``encoding`` is the files' encoding as DuckDB names it: cp932 (as delivered) or ``utf-8`` (the benchmark's
    transcoded copy, which measures the floor without the encodings extension's decoding)."""
    start = time.monotonic()
    with connect(database) as con:
        con.execute("set enable_progress_bar = false")
        load_encodings(con)
        con.execute("set variable lake = ?", [str(Path(lake).resolve())])
        con.execute("set variable buffer_size = ?", [csv_buffer_size(Path(lake))])
        con.execute("set variable encoding = ?", [encoding])
        con.execute(FLOOR_SQL.read_text(encoding="utf-8"))
        admissions = con.execute("select count(*) from floor_admissions").fetchone()[0]
        kpis = con.execute("select count(*) from floor_kpi").fetchone()[0]
    return {"seconds": round(time.monotonic() - start, 2), "admissions": admissions, "kpi_rows": kpis}


@dataclass
class Comparison:
    table: str
    pipeline_rows: int
    floor_rows: int
    only_in_pipeline: int = 0
    only_in_floor: int = 0
    column_mismatches: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (
            self.pipeline_rows == self.floor_rows
            and not self.only_in_pipeline
            and not self.only_in_floor
            and not self.column_mismatches
        )

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "equal": self.equal}


def _schema_of(con: duckdb.DuckDBPyConnection, table: str, preferred: tuple[str, ...]) -> str:
    schemas = [
        r[0]
        for r in con.execute(
            "select table_schema from information_schema.tables where table_catalog = 'pipeline' and table_name = ?",
            [table],
        ).fetchall()
    ]
    for s in preferred:
        if s in schemas:
            return s
    if not schemas:
        raise LookupError(f"the pipeline database has no table {table}")
    return schemas[0]


def _compare_table(con: duckdb.DuckDBPyConnection, table: str, pipeline: str, floor: str, key: str) -> Comparison:
    p_cols = con.execute(f"select column_name, column_type from (describe {pipeline})").fetchall()
    f_cols = {r[0] for r in con.execute(f"select column_name from (describe {floor})").fetchall()}
    missing = [c for c, _ in p_cols if c not in f_cols]
    if missing:
        raise ValueError(f"the floor's {table} lacks columns {missing}")
    n_p = con.execute(f"select count(*) from {pipeline}").fetchone()[0]
    n_f = con.execute(f"select count(*) from {floor}").fetchone()[0]
    result = Comparison(table, n_p, n_f)
    result.only_in_pipeline = con.execute(
        f"select count(*) from {pipeline} p anti join {floor} f using ({key})"
    ).fetchone()[0]
    result.only_in_floor = con.execute(
        f"select count(*) from {floor} f anti join {pipeline} p using ({key})"
    ).fetchone()[0]
    dups = con.execute(f"select count(*) - count(distinct {key}) from {floor}").fetchone()[0]
    if dups:
        result.column_mismatches[f"duplicate {key} in floor"] = dups
    checks = []
    for col, dtype in p_cols:
        if col == key:
            continue
        if dtype in ("DOUBLE", "FLOAT"):
            same = (
                f"((p.{col} is null and f.{col} is null) or abs(p.{col} - f.{col}) "
                f"<= {DOUBLE_TOLERANCE} * greatest(1, abs(p.{col})))"
            )
        else:
            same = f"(p.{col} is not distinct from f.{col})"
        checks.append((col, same))
    if checks:
        sums = ", ".join(f"count(*) filter (where not coalesce({same}, false))" for _, same in checks)
        counts = con.execute(f"select {sums} from {pipeline} p join {floor} f using ({key})").fetchone()
        for (col, same), n in zip(checks, counts, strict=True):
            if n:
                result.column_mismatches[col] = n
                row = con.execute(
                    f"select p.{key}, p.{col}, f.{col} from {pipeline} p join {floor} f using ({key}) "
                    f"where not coalesce({same}, false) limit 1"
                ).fetchone()
                result.examples.append(f"{col}: {key}={row[0]} pipeline={row[1]!r} floor={row[2]!r}")
    return result


def compare(pipeline_db: Path, floor_db: Path, key: bytes) -> list[Comparison]:
    """Compare the pipeline's published admissions and unsuppressed KPIs with the floor's (module docstring)."""
    with connect() as con:
        con.execute(f"attach {_literal(pipeline_db)} as pipeline (read_only)")
        con.execute(f"attach {_literal(floor_db)} as floor (read_only)")
        pairs = con.execute("select distinct facility_code, data_id from floor.floor_admissions").fetchall()
        mapping = pa.table(  # noqa: F841 — read by DuckDB
            {
                "facility_code": [f for f, _ in pairs],
                "data_id": [i for _, i in pairs],
                "patient_key": [patient_key(f, i, key) for f, i in pairs],
            }
        )
        con.execute("create temp table pseudonyms as select * from mapping")
        con.execute(
            """
            create temp table floor_admissions as
            select
                md5(f.facility_code || '|' || p.patient_key || '|' || strftime(f.admission_date, '%Y%m%d')) as stay_id,
                md5(f.facility_code || '|' || p.patient_key || '|' || strftime(f.episode_admission_date, '%Y%m%d'))
                    as serial_episode_stay_id,
                f.* exclude (data_id, episode_admission_date),
                p.patient_key
            from floor.floor_admissions f
            join pseudonyms p using (facility_code, data_id)
            """
        )
        adm = _schema_of(con, ADMISSIONS_TABLE, ("mart", "mart_build"))
        kpi = _schema_of(con, KPI_TABLE, ("internal", "stage", "intermediate", "mart_build"))
        return [
            _compare_table(con, ADMISSIONS_TABLE, f"pipeline.{adm}.{ADMISSIONS_TABLE}", "floor_admissions", "stay_id"),
            _compare_table(con, KPI_TABLE, f"pipeline.{kpi}.{KPI_TABLE}", "floor.floor_kpi", "kpi_id"),
        ]
