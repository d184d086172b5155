"""The benchmark (``make bench``; issue 3): the pipeline against a hand-written DuckDB floor, on one machine.

1. Generates — deterministically, cached under bench/data/ by parameters and generator source — a lake of
   ``--facilities`` × ``--months`` deliveries of ``--beds``-bed hospitals (default 3 × 13 × 450: several
   million EF lines), and reports the generator's throughput.
2. Measures, each part in its own subprocess (wall time, CPU time and peak RSS from ``os.wait4``):
   floor on months 1…N-1 · full pipeline (validate, normalise, load, dbt build, DQ, publish, export) on months
   1…N-1 · adding month N incrementally · re-delivering one corrected facility-month · the floor again on the
   final lake; plus a cp932 decoding diagnostic.
3. Asserts that the floor's admissions and KPIs equal the mart's row for row (after month N-1 and at the end).
4. Prints a table and writes bench/results.json with the ratios and PASS/MISS per target.

``--quick`` runs a small smoke (2 facilities × 3 months × 30 beds). See bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:
    sys.path.insert(0, str(PROJECT_DIR))

BENCH_DIR = PROJECT_DIR / "bench"
BENCH_KEY = "bench-only-pseudonymisation-key-not-a-secret"
GIB = 1024**3
TARGETS = {"full_over_floor": 2.0, "incremental_over_full": 0.15, "peak_rss_bytes": 4 * GIB}
QUICK = {"facilities": 2, "months": 3, "beds": 30}


# ---------------------------------------------------------------------------------------------
# subprocess steps (run as `python bench/run.py --step NAME --spec JSON`)


def _step_generate(spec: dict) -> dict:
    from dpc.generate import generate

    lake = Path(spec["lake"])
    start = time.monotonic()
    deliveries = generate(
        lake,
        seed=spec["seed"],
        facilities=spec["facilities"],
        months=spec["months"],
        start_yyyymm=spec["start_yyyymm"],
        beds=spec["beds"],
    )
    seconds = time.monotonic() - start
    rows: dict[str, int] = {}
    size = 0
    for d in deliveries:
        for f in d.manifest["files"]:
            rows[f["kind"]] = rows.get(f["kind"], 0) + int(f["rows"])
            size += int(f["bytes"])
    return {"seconds": round(seconds, 2), "deliveries": len(deliveries), "rows": rows, "bytes": size}


def _step_floor(spec: dict) -> dict:
    from bench.floor import run_floor
    from dpc.duck import CP932

    return run_floor(Path(spec["lake"]), Path(spec["db"]), encoding=spec.get("encoding", CP932))


def _step_transcode(spec: dict) -> dict:
    """A UTF-8 copy of the files the floor reads (FF1, D, EFn): the floor without the encodings extension."""
    source, target = Path(spec["lake"]), Path(spec["target"])
    size = 0
    for path in sorted((source / "raw").glob("yyyymm=*/facility=*/*.txt")):
        if not path.name.upper().startswith(("FF1_", "DN_", "EFN_")):
            continue
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        size += len(data)
        out.write_bytes(data.decode("cp932").encode("utf-8"))
    return {"bytes": size}


def _step_pipeline(spec: dict) -> dict:
    from dpc.pipeline import run_local

    summary = run_local(lake=Path(spec["lake"]), db_path=Path(spec["db"]), docs=False, report=False)
    loaded = [f"{d.facility_code}-{d.yyyymm}" for d in summary.deliveries if d.status == "loaded"]
    return {
        "slowest_nodes": _slowest_nodes(),
        "ok": summary.ok,
        "error": summary.error,
        "seconds": summary.seconds,
        "loaded": len(loaded),
        "unchanged": sum(d.status == "unchanged" for d in summary.deliveries),
        "rejected": [f"{d.facility_code}-{d.yyyymm}" for d in summary.rejected],
        "dbt_counts": summary.dbt.get("counts"),
        "dbt_failed": summary.dbt.get("failed"),
    }


def _slowest_nodes(n: int = 12) -> list[list[object]]:
    """The dbt nodes that took longest in the last invocation (from run_results.json): where the time goes."""
    from dpc.steps.transform import target_path

    path = target_path() / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text()).get("results", [])
    ranked = sorted(results, key=lambda r: r.get("execution_time") or 0, reverse=True)[:n]
    return [[r["unique_id"], round(r.get("execution_time") or 0, 2)] for r in ranked]


def _step_compare(spec: dict) -> dict:
    from bench.floor import compare

    return {"tables": [c.as_dict() for c in compare(Path(spec["db"]), Path(spec["floor_db"]), BENCH_KEY.encode())]}


def _step_decode(spec: dict) -> dict:
    """One EF file: cp932 decoding by DuckDB's encodings extension vs Python's codec (CPU seconds), and the
    project's reader (dpc.readers.read_delivered_file) on it, in lines per second."""
    from dpc.duck import CP932, connect, load_encodings

    path = Path(spec["file"])
    data = path.read_bytes()
    c0 = time.process_time()
    data.decode("cp932")
    python_cpu = time.process_time() - c0
    with connect() as con:
        con.execute("set enable_progress_bar = false")
        load_encodings(con)
        for encoding in (CP932, None):
            source = path
            if encoding is None:  # the same text as UTF-8, to isolate the decoder's share
                source = path.with_suffix(".utf8.tmp")
                source.write_bytes(data.decode("cp932").encode("utf-8"))
            c0 = time.process_time()
            opts = f", encoding = '{encoding}'" if encoding else ""
            con.execute(
                f"select count(*) from read_csv('{source}', delim = '\t', quote = '', escape = '', header = true, "
                f"all_varchar = true{opts})"
            ).fetchone()
            cpu = time.process_time() - c0
            if encoding is None:
                source.unlink()
                utf8_cpu = cpu
            else:
                duck_cpu = cpu
    from dpc.readers import read_delivered_file

    w0, c0 = time.monotonic(), time.process_time()
    read = read_delivered_file(str(path), data, key=BENCH_KEY.encode())
    reader_wall, reader_cpu = time.monotonic() - w0, time.process_time() - c0
    mb = len(data) / 1e6
    return {
        "reader_lines": read.data_rows,
        "reader_lines_per_s": round(read.data_rows / max(reader_wall, 1e-9)),
        "reader_lines_per_cpu_s": round(read.data_rows / max(reader_cpu, 1e-9)),
        "file_mb": round(mb, 1),
        "duckdb_encodings_cpu_s": round(duck_cpu, 2),
        "duckdb_utf8_cpu_s": round(utf8_cpu, 2),
        "python_cp932_cpu_s": round(python_cpu, 2),
        "duckdb_encodings_mb_per_cpu_s": round(mb / max(duck_cpu, 1e-9), 1),
        "python_cp932_mb_per_cpu_s": round(mb / max(python_cpu, 1e-9), 1),
    }


STEPS = {
    "generate": _step_generate,
    "floor": _step_floor,
    "transcode": _step_transcode,
    "pipeline": _step_pipeline,
    "compare": _step_compare,
    "decode": _step_decode,
}


# ---------------------------------------------------------------------------------------------
# the parent: measure each step in a subprocess


@dataclass
class Measure:
    name: str
    wall_s: float
    cpu_s: float
    peak_rss_bytes: int
    load_before: float
    load_after: float
    result: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def measure(name: str, step: str, spec: dict, env: dict[str, str], log_dir: Path) -> Measure:
    """Run one step in a child process; wall clock here, CPU and peak RSS from the kernel (wait4)."""
    out = log_dir / f"{name}.json"
    out.unlink(missing_ok=True)
    log = log_dir / f"{name}.log"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--spec", json.dumps(spec), "--out", str(out)]
    load_before = os.getloadavg()[0]
    start = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT, cwd=PROJECT_DIR)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    if proc.returncode != 0 or not out.exists():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"bench step {name} failed (exit {proc.returncode}); log {log}:\n{tail}")
    return Measure(
        name=name,
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_bytes=usage.ru_maxrss * 1024,
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
        result=json.loads(out.read_text()),
    )


def generator_fingerprint(seed: int) -> str:
    """Hash of a tiny deterministic generation: changes exactly when the generator's output changes (code or
    reference data), and then the cached lake is regenerated."""
    import tempfile

    from dpc.generate import generate

    h = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        for d in generate(Path(tmp), seed=seed, facilities=1, months=2, admissions_per_month=15):
            h.update(json.dumps([f["sha256"] for f in d.manifest["files"]]).encode())
    return h.hexdigest()[:10]


def dataset(args: argparse.Namespace, env: dict[str, str], log_dir: Path) -> tuple[Path, dict]:
    """The cached generated lake (generated on a miss, in a subprocess for throughput and RSS)."""
    key = f"f{args.facilities}-m{args.months}-b{args.beds}-s{args.seed}-{args.start}-{generator_fingerprint(args.seed)}"
    root = args.data_dir / f"lake-{key}"
    meta = root / "generate.json"
    if meta.exists() and not args.regenerate:
        info = json.loads(meta.read_text())
        info["cached"] = True
        return root / "lake", info
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    spec = {
        "lake": str(root / "lake"),
        "seed": args.seed,
        "facilities": args.facilities,
        "months": args.months,
        "start_yyyymm": args.start,
        "beds": args.beds,
    }
    m = measure("generate", "generate", spec, env, log_dir)
    info = {**m.result, "wall_s": m.wall_s, "cpu_s": m.cpu_s, "peak_rss_bytes": m.peak_rss_bytes}
    total = sum(info["rows"].values())
    info["lines_per_s"] = round(total / m.wall_s)
    info["mb_per_s"] = round(info["bytes"] / 1e6 / m.wall_s, 2)
    info["generated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    meta.write_text(json.dumps(info, indent=2))
    info["cached"] = False
    return root / "lake", info


def deliveries_by_month(lake: Path) -> dict[int, list[Path]]:
    out: dict[int, list[Path]] = {}
    for d in sorted((lake / "raw").glob("yyyymm=*/facility=*")):
        out.setdefault(int(d.parent.name.split("=")[1]), []).append(d)
    return out


def link_delivery(src: Path, lake: Path) -> None:
    """Hard-link a cached delivery into the work lake (the cache is never written through: see correct_delivery)."""
    dst = lake / src.relative_to(src.parents[2])
    dst.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        os.link(f, dst / f.name)


def correct_delivery(delivery: Path) -> dict:
    """A corrected re-delivery: the first stay admitted and discharged within the month is withdrawn from every
    file of the delivery (cp932 bytes edited in place of text), and the manifest is rewritten."""
    from dpc.layouts import LAYOUTS, kind_for_filename
    from dpc.manifest import has_title_row, write_manifest

    yyyymm = delivery.parent.name.split("=")[1]
    ff1 = next(delivery.glob("FF1_*"))
    lines = ff1.read_bytes().split(b"\r\n")
    admitted: dict[tuple[bytes, bytes], bytes] = {}
    target = None
    for line in lines[1:]:
        f = line.split(b"\t")
        if len(f) < 9:
            continue
        if f[5] == b"A000020":
            admitted[(f[1], f[2])] = f[8]
        if f[5] == b"A000030" and f[8].startswith(yyyymm.encode()) and f[2].startswith(yyyymm.encode()):
            target = (f[1], f[2])
            break
    if target is None:
        raise RuntimeError(f"no stay admitted and discharged within {delivery}")
    removed: dict[str, int] = {}
    for path in sorted(delivery.iterdir()):
        kind = kind_for_filename(path.name)
        if kind is None or "admission_date" not in LAYOUTS[kind].names:
            continue  # 外来EF統合 rows belong to visits, not to the stay
        names, sep = LAYOUTS[kind].names, LAYOUTS[kind].delimiter.encode()
        pid, adm = names.index("data_id"), names.index("admission_date")
        data = path.read_bytes().split(b"\r\n")
        title = 1 if data and has_title_row(data[0]) else 0
        kept = data[:title] + [
            line
            for line in data[title:]
            if not ((f := line.split(sep)) and len(f) > adm and (f[pid], f[adm]) == target)
        ]
        removed[kind] = len(data) - len(kept)
        path.unlink()  # hard-linked from the cache: write a new file, never through the link
        path.write_bytes(b"\r\n".join(kept))
    (delivery / "manifest.json").unlink()
    write_manifest(delivery, created_by="bench correction")
    return {"delivery": str(delivery.relative_to(delivery.parents[2])), "rows_removed": removed}


def machine(env: dict[str, str]) -> dict:
    import dbt.version
    import duckdb

    from dpc.duck import settings

    with env_vars(env):
        duck = settings()
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "memory_total_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "duckdb_threads": duck["threads"],
        "duckdb_memory_limit": duck["memory_limit"],
        "dbt_threads": env.get("DBT_THREADS", os.environ.get("DBT_THREADS", "2")),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "platform": platform.platform(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


class env_vars:
    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.saved = values, {}

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--facilities", type=int, default=3)
    p.add_argument("--months", type=int, default=13, help="N: months 1…N-1 are the full load, month N the increment")
    p.add_argument("--beds", type=int, default=450)
    p.add_argument("--seed", type=int, default=20240401)
    p.add_argument("--start", type=int, default=202404, help="first month (yyyymm)")
    p.add_argument("--quick", action="store_true", help=f"a small smoke: {QUICK}")
    p.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data", help="cache and work area (gitignored)")
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        help="results file (default bench/results.json; --quick: bench/data/results-quick.json)",
    )
    p.add_argument("--regenerate", action="store_true", help="ignore the cached lake")
    p.add_argument("--step", help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.step:  # child process
        result = STEPS[args.step](json.loads(args.spec))
        Path(args.out).write_text(json.dumps(result, default=str))
        return 0

    if args.quick:
        for k, v in QUICK.items():
            setattr(args, k, v)
    if args.months < 2:
        p.error("--months must be at least 2 (months 1…N-1 full, month N incremental)")
    results_path = args.results or (args.data_dir / "results-quick.json" if args.quick else BENCH_DIR / "results.json")
    args.data_dir = args.data_dir.resolve()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    from dpc import duck

    work = args.data_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    env = {
        "DPC_DATA_DIR": str(work),
        "DPC_LAKE": str(work / "lake"),
        "DPC_DUCKDB_PATH": str(work / "dpc.duckdb"),
        "DPC_PSEUDONYMISATION_KEY": BENCH_KEY,
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "dbt-logs"),
        "DPC_DUCKDB_THREADS": os.environ.get("DPC_DUCKDB_THREADS", duck.DEFAULT_THREADS),
        "DPC_DUCKDB_MEMORY_LIMIT": os.environ.get("DPC_DUCKDB_MEMORY_LIMIT", duck.DEFAULT_MEMORY_LIMIT),
    }
    logs = work / "logs"
    facts = machine(env)
    print(
        f"machine: {facts['cpus_usable']} usable cores, DuckDB threads={facts['duckdb_threads']} "
        f"memory_limit={facts['duckdb_memory_limit']}, load average {facts['loadavg_at_start']}",
        flush=True,
    )

    cached_lake, gen = dataset(args, env, logs)
    total_lines = sum(gen["rows"].values())
    print(
        f"dataset: {args.facilities} facilities × {args.months} months × {args.beds} beds — "
        f"{gen['rows'].get('EFn', 0):,} EF lines, {total_lines:,} lines, {gen['bytes'] / 1e6:,.0f} MB "
        f"({'cached' if gen['cached'] else 'generated'}); generator {gen['lines_per_s']:,} lines/s, "
        f"{gen['mb_per_s']} MB/s",
        flush=True,
    )

    months = deliveries_by_month(cached_lake)
    ordered = sorted(months)
    history, new_month = ordered[:-1], ordered[-1]
    lake = work / "lake"
    for m in history:
        for d in months[m]:
            link_delivery(d, lake)
    steps: dict[str, Measure] = {}

    def run(name: str, step: str, spec: dict) -> Measure:
        print(f"… {name}", flush=True)
        steps[name] = m = measure(name, step, spec, env, logs)
        print(
            f"  {name}: {m.wall_s:.1f} s wall, {m.cpu_s:.1f} s CPU, peak {m.peak_rss_bytes / 2**20:,.0f} MiB",
            flush=True,
        )
        return m

    ef_file = next((cached_lake / "raw").glob("yyyymm=*/facility=*/EFn_*.txt"))
    run("decode_diagnostic", "decode", {"file": str(ef_file)})
    db, floor_db = work / "dpc.duckdb", work / "floor.duckdb"
    run("floor", "floor", {"lake": str(lake), "db": str(floor_db)})
    utf8_lake = work / "lake-utf8"
    run("transcode", "transcode", {"lake": str(lake), "target": str(utf8_lake)})
    run("floor_utf8", "floor", {"lake": str(utf8_lake), "db": str(work / "floor-utf8.duckdb"), "encoding": "utf-8"})
    shutil.rmtree(utf8_lake)
    full = run("full", "pipeline", {"lake": str(lake), "db": str(db)})
    if not full.result["ok"]:
        raise SystemExit(f"the full pipeline run failed: {full.result}")
    comparisons = {"after_full": run("compare_full", "compare", {"db": str(db), "floor_db": str(floor_db)}).result}
    comparisons["utf8_floor"] = run(
        "compare_utf8", "compare", {"db": str(db), "floor_db": str(work / "floor-utf8.duckdb")}
    ).result

    for d in months[new_month]:
        link_delivery(d, lake)
    run("incremental", "pipeline", {"lake": str(lake), "db": str(db)})

    middle = history[len(history) // 2]
    correction = correct_delivery(lake / "raw" / f"yyyymm={middle}" / months[middle][0].name)
    run("redelivery", "pipeline", {"lake": str(lake), "db": str(db)})
    run("floor_final", "floor", {"lake": str(lake), "db": str(floor_db.with_name("floor-final.duckdb"))})
    comparisons["final"] = run(
        "compare_final", "compare", {"db": str(db), "floor_db": str(floor_db.with_name("floor-final.duckdb"))}
    ).result

    # ------------------------------------------------------------------ figures
    s = steps
    ratio_full_floor = s["full"].wall_s / s["floor"].wall_s
    ratio_inc_full = s["incremental"].wall_s / s["full"].wall_s
    ratio_redeliver_full = s["redelivery"].wall_s / s["full"].wall_s
    measured = ("floor", "floor_utf8", "full", "incremental", "redelivery", "floor_final")
    peak = max(s[n].peak_rss_bytes for n in measured)
    equal = all(t["equal"] for c in comparisons.values() for t in c["tables"])
    ratios = {
        "full_over_floor": round(ratio_full_floor, 3),
        "incremental_over_full": round(ratio_inc_full, 3),
        "redelivery_over_full": round(ratio_redeliver_full, 3),
        "cpu_full_over_floor": round(s["full"].cpu_s / s["floor"].cpu_s, 3),
        "full_over_floor_utf8": round(s["full"].wall_s / s["floor_utf8"].wall_s, 3),
        "cpu_full_over_floor_utf8": round(s["full"].cpu_s / s["floor_utf8"].cpu_s, 3),
        "cpu_incremental_over_full": round(s["incremental"].cpu_s / s["full"].cpu_s, 3),
    }
    targets = {
        "full_le_2x_floor": {
            "target": "full pipeline ≤ 2× floor (wall)",
            "value": ratios["full_over_floor"],
            "verdict": verdict(ratio_full_floor <= TARGETS["full_over_floor"]),
        },
        "month_le_15pct_full": {
            "target": f"adding one month ≤ 15% of the {len(history)}-month full run (wall)",
            "value": ratios["incremental_over_full"],
            "verdict": verdict(ratio_inc_full <= TARGETS["incremental_over_full"]),
        },
        "redelivery_le_15pct_full": {
            "target": "re-delivering one facility-month ≤ 15% of the full run (wall)",
            "value": ratios["redelivery_over_full"],
            "verdict": verdict(ratio_redeliver_full <= TARGETS["incremental_over_full"]),
        },
        "peak_le_4gib": {
            "target": "peak RSS ≤ 4 GiB",
            "value": peak,
            "verdict": verdict(peak <= TARGETS["peak_rss_bytes"]),
        },
        "same_results": {
            "target": "floor admissions and KPIs = mart, row for row",
            "value": equal,
            "verdict": "PASS" if equal else "FAIL",
        },
    }
    facts["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results = {
        "parameters": {k: getattr(args, k) for k in ("facilities", "months", "beds", "seed", "start", "quick")},
        "dataset": {**gen, "history_months": history, "incremental_month": new_month},
        "machine": facts,
        "steps": {k: v.as_dict() for k, v in s.items()},
        "correction": correction,
        "ratios": ratios,
        "targets": targets,
        "comparisons": comparisons,
        "notes": [
            "Wall times on a shared machine are noisy: compare load averages and CPU seconds (user+sys of the "
            "step's process tree), which contention does not inflate as much.",
            "floor = bench/floor.sql on months 1…N-1; full = dpc run_local (validate, normalise, load, dbt build, "
            "DQ gate, publish, export; no docs/report) on the same months.",
            "floor_utf8 = the same script over a UTF-8 copy of the same files (transcoded by Python beforehand, "
            "not timed in it): the floor without DuckDB's cp932 decoding, for scale. The target uses floor.",
        ],
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    print_table(results)
    print(f"results: {results_path}")
    return 0 if equal else 1


def print_table(r: dict) -> None:
    print()
    print(f"{'part':<20}{'wall s':>10}{'CPU s':>10}{'peak MiB':>10}{'load':>12}  detail")
    for name, m in r["steps"].items():
        detail = ""
        res = m["result"]
        if "seconds" in res and isinstance(res["seconds"], dict):
            detail = " ".join(f"{k}={v}" for k, v in res["seconds"].items())
            detail += f" loaded={res['loaded']} unchanged={res['unchanged']}"
        elif name.startswith("floor"):
            detail = f"admissions={res['admissions']:,} kpi_rows={res['kpi_rows']:,}"
        elif name == "decode_diagnostic":
            detail = (
                f"cp932 MB/CPU-s: DuckDB encodings {res['duckdb_encodings_mb_per_cpu_s']}, "
                f"Python codec {res['python_cp932_mb_per_cpu_s']}; dpc reader {res['reader_lines_per_s']:,} EF "
                f"lines/s ({res['reader_lines_per_cpu_s']:,}/CPU-s)"
            )
        elif name == "transcode":
            detail = f"{res['bytes'] / 1e6:,.0f} MB cp932 → UTF-8 in Python"
        elif name.startswith("compare"):
            detail = ", ".join(f"{t['table']} {'equal' if t['equal'] else 'DIFFERENT'}" for t in res["tables"])
        load = f"{m['load_before']:.1f}→{m['load_after']:.1f}"
        print(
            f"{name:<20}{m['wall_s']:>10.1f}{m['cpu_s']:>10.1f}{m['peak_rss_bytes'] / 2**20:>10,.0f}{load:>12}  {detail}"
        )
    gen = r["dataset"]
    print(
        f"{'generator':<20}{gen['wall_s']:>10.1f}{gen['cpu_s']:>10.1f}{gen['peak_rss_bytes'] / 2**20:>10,.0f}"
        f"{'':>12}  {gen['lines_per_s']:,} lines/s, {gen['mb_per_s']} MB/s, "
        f"{round(sum(gen['rows'].values()) / gen['cpu_s']):,} lines/CPU-s"
        + (f" (cached from {gen.get('generated_at')})" if gen.get("cached") else "")
    )
    print()
    for t in r["targets"].values():
        value = t["value"]
        shown = f"{value / GIB:.2f} GiB" if isinstance(value, int) and not isinstance(value, bool) else value
        print(f"  {t['verdict']:<5} {t['target']}: {shown}")
    for c in r["comparisons"].values():
        for t in c["tables"]:
            if not t["equal"]:
                print(f"  DIFFERENT {t['table']}: {json.dumps(t, default=str)[:600]}")


if __name__ == "__main__":
    sys.exit(main())
