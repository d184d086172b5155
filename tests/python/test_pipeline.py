"""The whole local pipeline on the demo: numbers reconcile, nothing identifying reaches the engines, runs repeat."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from dpc.layouts import KIND_SLUG, LAYOUTS
from dpc.manifest import write_manifest
from dpc.pipeline import run_local
from dpc.readers import read_delivered_file
from tests.python.conftest import TEST_KEY, delivered_files

pytestmark = pytest.mark.slow


def _summary(root: Path) -> dict:
    return json.loads((root / "summary.json").read_text(encoding="utf-8"))


def _delivered_ids(lake: Path) -> set[str]:
    """Every データ識別番号 delivered, read with the same readers the normaliser uses."""
    ids: set[str] = set()
    for path in (lake / "raw").rglob("*.txt"):
        result = read_delivered_file(path.name, path.read_bytes())
        ids.update(v.strip() for v in result.accepted.column("data_id").to_pylist() if v)
    return ids


def test_demo_run_publishes_and_reports(demo_build: Path) -> None:
    s = _summary(demo_build)
    assert s["ok"] and s["published"], s["error"]
    assert {d["status"] for d in s["deliveries"]} == {"loaded"}
    assert len(s["deliveries"]) == 6
    assert s["dq"]["errors"] == [] and s["dq"]["reconciliation_mismatches"] == 0
    assert s["dbt"]["counts"]["model"] == {"success": s["dbt"]["counts"]["model"]["success"]}
    assert s["dbt"]["counts"]["test"].get("pass", 0) > 100
    assert s["dbt"]["counts"]["unit_test"].get("pass", 0) >= 3
    headline = s["headline"]
    # plausible hospital numbers (../shared/dpc/README.md "Plausible magnitudes")
    assert 8 <= headline["mean_los_days"] <= 16
    assert 2000 <= headline["points_per_day"] <= 9000
    assert 0 < headline["readmission_30d_pct"] < 20


def test_rows_reconcile_raw_stage_mart(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        for kind, slug in KIND_SLUG.items():
            raw = con.execute(f"select count(*) from raw.{slug}").fetchone()[0]
            schema = "internal" if kind == "K" else "stage"  # link keys: the pipeline's alone (docs/decisions/0008)
            stage = con.execute(f"select count(*) from {schema}.stg_dpc__{slug}").fetchone()[0]
            quarantined = con.execute(
                f"select count(*) from dq.quarantine_{slug} where disposition = 'quarantined'"
            ).fetchone()[0]
            delivered = con.execute(
                "select coalesce(sum(delivered_rows), 0) from dq.load_history where kind = ?", [kind]
            ).fetchone()[0]
            assert raw == stage, kind
            assert delivered == stage + quarantined, kind
        assert con.execute("select count(*) from dq.dq_reconciliation where difference <> 0").fetchone()[0] == 0
        # a stay is known from its 様式1 forms or its claim rows, whichever comes first (docs/decisions/0004)
        stays = con.execute(
            "select count(*) from (select stay_id from stage.stg_dpc__ff1 union select stay_id from stage.stg_dpc__d"
            " union select stay_id from stage.stg_dpc__efn)"
        ).fetchone()[0]
        assert con.execute("select count(*) from mart.fct_admissions").fetchone()[0] == stays
        ef_lines = con.execute("select count(*) from stage.stg_dpc__efn").fetchone()[0]
        assert con.execute("select count(*) from mart.fct_billing_lines").fetchone()[0] == ef_lines
        # D billed points add up from rows to stays to KPI cells: 93 rows per claim month × coefficient, rounded
        # once (p214), every other point row as it is (docs/decisions/0007)
        # (a stay is in the mart once its 様式1 has come: at discharge or at a ward-group transfer, spec p5)
        d_total = con.execute(
            "with d as (select * from stage.stg_dpc__d where stay_id in (select stay_id from mart.fct_admissions)) "
            "select sum(points) from ("
            " select round(cast(sum(row_points) as decimal(18, 4))"
            "  * cast(coalesce(hospital_coefficient, 1) as decimal(10, 4)), 0) as points"
            " from d where data_category = '93' group by stay_id, yyyymm, hospital_coefficient"
            " union all select sum(row_points) from d where data_category <> '93')"
        ).fetchone()[0]
        mart_total = con.execute("select sum(billed_points) from mart.fct_admissions").fetchone()[0]
        assert float(d_total) == pytest.approx(float(mart_total))
        kpi = con.execute("select sum(discharges) from internal.int_kpi__monthly_facility_mdc").fetchone()[0]
        assert kpi == con.execute("select count(*) from mart.fct_admissions where is_discharged").fetchone()[0]


def test_no_identifier_reaches_any_table_or_artifact(demo_build: Path) -> None:
    ids = _delivered_ids(demo_build / "lake")
    assert len(ids) > 100
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        leaked = []
        for schema, table, column in columns:
            values = {
                r[0] for r in con.execute(f'select distinct trim("{column}") from "{schema}"."{table}"').fetchall()
            }
            if values & ids:
                leaked.append(f"{schema}.{table}.{column}")
        # the mart holds no birth dates either: only ages
        mart_cols = {c for s, t, c in columns if s == "mart"}
    assert leaked == []
    assert not {"data_id", "birth_date", "payload_1"} & mart_cols
    for artifact in (demo_build / "target").rglob("*.json"):
        text = artifact.read_text(encoding="utf-8", errors="replace")
        assert TEST_KEY not in text, artifact
    for path in (demo_build / "lake" / "stage").rglob("*.parquet"):
        assert TEST_KEY.encode() not in path.read_bytes()


def test_no_k_identifier_in_any_artefact_of_a_run(demo_build: Path) -> None:
    """K生成用データ's カナ氏名, 被保険者記号・番号 and 保険者番号 (p154) are in no table and no file the run left —
    stage, quarantine, archives, exports, logs, dbt artefacts, docs, summaries — and the raw K files are gone. The
    保険者番号 is also an EF/D column by specification (p197 E-16): the hospitals' own uploads (raw/, and their
    archived copies) carry it; every derived table has only its class (insurer_class)."""
    lake = demo_build / "lake"
    names: set[str] = set()
    personal: set[str] = set()  # 被保険者記号・番号: a person's
    insurers: set[str] = set()
    for raw in sorted((lake / "raw").glob("yyyymm=*/facility=*")):
        for name, data in delivered_files(demo_build, raw).items():
            if not name.startswith("Kn_"):
                continue
            assert not (raw / name).exists(), f"{raw / name} was not deleted after normalisation"
            for line in data.decode("cp932").splitlines():
                f = line.split(",")
                names.add(f[5])
                if len(f[8].strip()) == 8:  # a 6-digit 国保 number is too short to tell from other numbers in a text
                    insurers.add(f[8].strip())
                # long enough not to be mistaken for a count or an amount in a report (the demo's are 7–8 digits)
                personal |= {v for v in f[9:11] if len(v) >= 7}
    assert len(names) > 100 and len(personal) > 100 and len(insurers) > 10
    secrets = names | personal | insurers
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            values = {
                r[0] for r in con.execute(f'select distinct trim("{column}") from "{schema}"."{table}"').fetchall()
            }
            assert not values & secrets, f"{schema}.{table}.{column}"
    # a whole number, not digits inside another one: not after a decimal point either (dbt's created_at timestamps
    # in manifests and the docs site carry 7 fractional digits that a 7-digit 記号・番号 can coincide with)
    # every secret number is all digits, so a whole number in a text is a maximal run of digits with those
    # boundaries: find them all in one pass and intersect (one alternation of hundreds of numbers took minutes)
    assert all(n.isascii() and n.isdigit() for n in personal | insurers)
    numbers = re.compile(r"(?<![0-9A-Za-z.])([0-9]+)(?![0-9A-Za-z])")
    checked = 0
    for path in sorted(p for p in demo_build.rglob("*") if p.is_file() and p.suffix not in (".duckdb", ".wal")):
        uploads = path.is_relative_to(lake / "raw") or path.is_relative_to(lake / "archive" / "raw")
        checked += 1
        if path.suffix == ".parquet":  # every text cell, as a value and inside longer texts (quarantine lines)
            import pyarrow as pa
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            table = pq.read_table(path)
            cells: set[str] = set()
            for column in table.columns:
                if pa.types.is_string(column.type):
                    cells |= {v for v in pc.unique(column).to_pylist() if v}
            assert not {c.strip() for c in cells} & secrets, path
            text = "\n".join(c for c in cells if len(c) > 12)
        else:
            text = path.read_bytes().decode("cp932" if uploads else "utf-8", errors="replace")
        assert not [n for n in names if n in text], path
        found = set(numbers.findall(text))
        assert not found & personal, path
        if not uploads:  # EF/D files carry the 保険者番号 by specification (p197 E-16, p199 D-16)
            assert not found & insurers, path
    assert checked > 50


def test_dq_history_and_exports(demo_build: Path) -> None:
    s = _summary(demo_build)
    with duckdb.connect(str(demo_build / "dpc.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select count(*), count(distinct check_name), count(*) filter (where status = 'pass') "
            "from dq.dq_results where run_id = ?",
            [s["dbt"]["invocation_id"]],
        ).fetchone()
        mart_tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'mart'"
            ).fetchall()
        }
        # every table exported with all its rows (fct_billing_lines as yyyymm=…/facility=… partitions)
        exported = {
            table: con.execute(
                f"select count(*) from read_parquet('{demo_build}/lake/processed/{table}/**/*.parquet', "
                "hive_partitioning = false)"
            ).fetchone()[0]
            for table in mart_tables
        }
        published = {table: con.execute(f"select count(*) from mart.{table}").fetchone()[0] for table in mart_tables}
    assert rows[0] == rows[2] and rows[0] > 100
    assert {"fct_admissions", "fct_billing_lines", "dim_facility", "dim_mdc", "kpi_monthly_facility_mdc"} <= mart_tables
    assert exported == published
    docs = Path(s["docs_path"]).read_text(encoding="utf-8")
    assert "fct_admissions" in docs and "kpi_monthly_facility_mdc" in docs


def test_rerun_with_nothing_to_do_says_so_and_does_not_rebuild(demo_copy: Path) -> None:
    """docs/decisions/0024: every delivery unchanged, nothing pending, the dbt project unchanged → NOTHING_TO_DO,
    exit 0, and no dbt, publication, docs or report; a rejected delivery or a misplaced file beside it → PARTIAL
    (exit 2), still without a rebuild."""
    from dpc.steps import recording
    from tests.python.test_run_statuses import dpc_run

    db = demo_copy / "dpc.duckdb"
    sql = {
        "mart": "select * from mart.fct_admissions order by stay_id",
        "dq": "select count(*), max(run_id) from dq.dq_results",
        "publish_log": "select count(*) from dq.publish_log",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        before = {k: con.execute(q).fetchall() for k, q in sql.items()}
    with recording() as steps:
        code, text, s = dpc_run(demo_copy)
    assert (code, s["status"], s["ok"], s["published"]) == (0, "NOTHING_TO_DO", True, False), text
    assert text.startswith(f"DPC pipeline run {s['run_id']}: NOTHING_TO_DO\n")
    assert "Published mart: unchanged — nothing to rebuild" in text and "dbt:            not run" in text
    assert {d["status"] for d in s["deliveries"]} == {"unchanged"}
    assert "transform" not in steps and "publish" not in steps and s["dbt"] == {} and s["docs_path"] is None
    assert not (demo_copy / "target").exists()  # dbt wrote no artefact: it was not invoked (DBT_TARGET_PATH)
    with duckdb.connect(str(db), read_only=True) as con:
        assert {k: con.execute(q).fetchall() for k, q in sql.items()} == before
    # a new month that is rejected, and a file in no delivery: reported, exit 2, still nothing rebuilt
    broken = demo_copy / "lake" / "raw" / "yyyymm=202407" / "facility=131000017"
    broken.mkdir(parents=True)
    (broken / "Dn_131000017_2407.txt").write_bytes(b"no manifest beside me\r\n")
    (demo_copy / "lake" / "raw" / "stray.txt").write_bytes(b"x")
    with recording() as steps:
        code, text, s = dpc_run(demo_copy)
    assert (code, s["status"], s["ok"]) == (2, "PARTIAL", True), text
    assert [d["status"] for d in s["deliveries"]].count("rejected") == 1 and s["misplaced"] == ["raw/stray.txt"]
    assert "transform" not in steps and not (demo_copy / "target").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert {k: con.execute(q).fetchall() for k, q in sql.items()} == before


def test_redelivery_replaces_exactly_its_facility_month(demo_copy: Path) -> None:
    from dpc.generate import generate

    lake, db = demo_copy / "lake", demo_copy / "dpc.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        before = dict(con.execute("select facility_code || '-' || yyyymm, count(*) from raw.efn group by 1").fetchall())
    # a corrected delivery of one facility-month: regenerate with another seed and swap that folder in
    other = demo_copy / "other"
    generate(other, seed=99, facilities=2, months=3, start_yyyymm=202404, admissions_per_month=60)
    facility = sorted(before)[0].split("-")[0]
    delivery = f"raw/yyyymm=202405/facility={facility}"
    for f in (lake / delivery).iterdir():
        f.unlink()
    for f in (other / delivery).iterdir():
        (lake / delivery / f.name).write_bytes(f.read_bytes())
    with duckdb.connect(str(db), read_only=True) as con:
        history_before = con.execute("select count(*) from dq.dq_results").fetchone()[0]
    summary = run_local(lake=lake, db_path=db, docs=False, report=False)
    assert summary.ok and summary.status == "SUCCEEDED", summary.error
    statuses = {(d.facility_code, d.yyyymm): d.status for d in summary.deliveries}
    assert statuses.pop((facility, 202405)) == "loaded"
    assert set(statuses.values()) == {"unchanged"}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from dq.dq_results").fetchone()[0] > history_before  # history kept
        after = dict(con.execute("select facility_code || '-' || yyyymm, count(*) from raw.efn group by 1").fetchall())
        expected = con.execute(
            "select accepted_rows from dq.load_history where kind = 'EFn' and facility_code = ? and yyyymm = 202405 "
            "order by loaded_at desc limit 1",
            [facility],
        ).fetchone()[0]
    changed = {k for k in before if before[k] != after[k]}
    assert changed <= {f"{facility}-202405"}
    assert after[f"{facility}-202405"] == expected


def test_rejected_delivery_loads_nothing(demo_copy: Path) -> None:
    lake, db = demo_copy / "lake", demo_copy / "dpc.duckdb"
    # a new month for one facility whose EF file was truncated after its manifest was written
    from dpc.generate import generate

    other = demo_copy / "other"
    generate(other, seed=7, facilities=1, months=4, start_yyyymm=202404, admissions_per_month=60)
    src = next((other / "raw" / "yyyymm=202407").iterdir())
    dst = lake / "raw" / "yyyymm=202407" / src.name
    dst.mkdir(parents=True)
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    ef = next(dst.glob("EFn_*"))
    ef.write_bytes(ef.read_bytes()[:-500])
    summary = run_local(lake=lake, db_path=db, docs=False, report=False)
    rejected = [d for d in summary.deliveries if d.status == "rejected"]
    assert [(d.facility_code, d.yyyymm) for d in rejected] == [(src.name.split("=")[1], 202407)]
    reasons = " ".join(str(f["reason"]) for f in rejected[0].findings)
    assert ef.name in " ".join(str(f["file"]) for f in rejected[0].findings)
    assert "sha256" in reasons or "bytes" in reasons
    with duckdb.connect(str(db), read_only=True) as con:
        for slug in KIND_SLUG.values():
            assert con.execute(f"select count(*) from raw.{slug} where yyyymm = 202407").fetchone()[0] == 0
    assert len(LAYOUTS) == 7  # every kind of the monthly submission was checked above


def test_a_hospitals_own_department_code_warns_and_is_published(demo_build: Path, demo_copy: Path) -> None:
    """診療科 codes may be extended by each hospital (spec p53): a code outside 別紙-1 is read with a warning naming
    it, loads, and the run publishes with the warn-level check warn_unknown_department_codes (docs/decisions/0025)."""
    lake = demo_copy / "lake"
    folder = lake / "raw" / "yyyymm=202406" / "facility=131000017"
    for name, data in delivered_files(demo_build, demo_build / "lake" / folder.relative_to(lake)).items():
        (folder / name).write_bytes(data)  # as re-uploaded, with the K file the demo's run deleted
    ef = next(folder.glob("EFn_*"))
    lines = ef.read_bytes().split(b"\r\n")
    column = LAYOUTS["EFn"].names.index("clinical_dept")
    fields = lines[1].split(b"\t")
    fields[column] = b"995"  # a department the hospital added
    lines[1] = b"\t".join(fields)
    ef.write_bytes(b"\r\n".join(lines))
    write_manifest(folder)
    summary = run_local(lake=lake, db_path=demo_copy / "dpc.duckdb", docs=False, report=False)
    assert summary.ok and summary.published, summary.error
    [delivery] = [d for d in summary.deliveries if (d.facility_code, d.yyyymm) == ("131000017", 202406)]
    assert delivery.status == "loaded"
    warned = [w for w in summary.dq["warnings"] if "warn_unknown_department_codes" in str(w)]
    assert warned, summary.dq["warnings"]
    with duckdb.connect(str(demo_copy / "dpc.duckdb"), read_only=True) as con:
        kept = con.execute("select count(*) from mart.fct_billing_lines where clinical_dept = '995'").fetchone()[0]
    assert kept == 1
