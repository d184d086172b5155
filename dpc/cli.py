"""`dpc` — one command line for the platform. `dpc --help` lists the subcommands; each has its own --help."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dpc import paths

if TYPE_CHECKING:
    from dpc.generate import Delivery


def _cmd_generate(a: argparse.Namespace) -> int:
    from dpc import progress
    from dpc.generate import generate

    with progress.task("Generating deliveries", a.facilities * a.months) as bar:
        deliveries = generate(
            Path(a.lake),
            seed=a.seed,
            facilities=a.facilities,
            months=a.months,
            start_yyyymm=a.start,
            admissions_per_month=a.admissions_per_month,
            beds=a.beds,
            header=not a.no_header,
            encoding=a.encoding,
            fixed_width=a.fixed_width,
            outpatient=a.outpatient,
            on_delivery=bar.advance,
        )
    for d in deliveries:
        files = d.manifest["files"]
        print(f"{d.path}  {len(files)} files, {sum(f['rows'] for f in files):,} rows")
    return _corrupt(a, deliveries) if getattr(a, "corrupt", None) else 0


def _corrupt(a: argparse.Namespace, deliveries: list[Delivery]) -> int:
    from dpc.generate.corrupt import corrupt_delivery

    target = deliveries[-1].path  # default: the last delivery generated
    if a.corrupt_delivery:
        facility, _, yyyymm = a.corrupt_delivery.partition(":")
        found = [d.path for d in deliveries if (d.facility_code, str(d.yyyymm)) == (facility, yyyymm)]
        if not found:
            print(f"--corrupt-delivery {a.corrupt_delivery}: no such delivery was generated", file=sys.stderr)
            return 2
        target = found[0]
    for c in corrupt_delivery(target, a.corrupt.split(","), file_kind=a.corrupt_file, rows=a.corrupt_rows):
        where = ":".join(str(x) for x in (c.file, c.line) if x) or "the whole delivery"
        print(
            f"corrupted {target}: {c.fault} at {where} ({c.detail}) → expect {c.outcome} "
            f"{' '.join(c.reason_codes)}".rstrip()
        )
    return 0


def _cmd_manifest(a: argparse.Namespace) -> int:
    from dpc.manifest import write_manifest

    for directory in a.dirs:
        manifest = write_manifest(Path(directory))
        print(json.dumps(manifest, ensure_ascii=False, indent=2))
    return 0


def _cmd_import(a: argparse.Namespace) -> int:
    from dpc.facility_profiles import ProfileError, load_profiles
    from dpc.importer import apply_import, describe, plan_import
    from dpc.terminal import printable

    missing = [p for p in a.dirs if not Path(p).exists()]
    if missing:
        print(f"dpc import: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        profiles = load_profiles(Path(a.profiles) if a.profiles else None)
    except ProfileError as exc:
        print(f"dpc import: {exc}", file=sys.stderr)
        return 2
    plan = plan_import([Path(p) for p in a.dirs], Path(a.lake), profiles, replace=a.replace)
    if not a.dry_run:
        apply_import(plan, Path(a.lake))
    for line in describe(plan, a.dry_run).splitlines():
        print(printable(line))  # file names come from the hospital: no escape sequence reaches the terminal
    return 0 if plan.ok else 1


def _cmd_inspect(a: argparse.Namespace) -> int:
    from dpc.inspect import main_inspect

    return main_inspect(a.paths, a.json)


def _cmd_validate(a: argparse.Namespace) -> int:
    from dpc.facility_profiles import load_profiles
    from dpc.steps.validate import find_deliveries, misplaced, profile_warnings, validate_delivery
    from dpc.storage import LocalStorage
    from dpc.terminal import printable

    storage = LocalStorage(Path(a.lake))
    worst = 0
    for key in misplaced(storage):
        print(
            f"{printable(key)}: belongs to no delivery (raw/yyyymm=YYYYMM/facility=NNNNNNNNN/<file>)", file=sys.stderr
        )
        worst = 2
    profiles = load_profiles()
    for facility, yyyymm in find_deliveries(storage):
        report = validate_delivery(storage, facility, yyyymm)
        print(f"{facility} {yyyymm}: {'ok' if report.ok else 'REJECTED'}")
        for f in report.findings:
            print(printable(f"  {f['file']}:{f.get('line') or ''}: {f['reason']}"), file=sys.stderr)
        for warning in profile_warnings(report, profiles.of(facility)):
            print(printable(f"  warning: {warning}"), file=sys.stderr)
        worst = worst if report.ok else 2
    return worst


def _cmd_run(a: argparse.Namespace) -> int:
    from dpc.errors import RunLocked
    from dpc.facility_profiles import ProfileError
    from dpc.pipeline import run_local
    from dpc.steps.notify import exit_code, format_summary
    from dpc.terminal import printable

    if a.target != "local":
        print(
            "dpc run executes locally on DuckDB; on AWS use `dpc start-execution` (the state machine).", file=sys.stderr
        )
        return 2
    try:
        summary = run_local(
            lake=Path(a.lake),
            db_path=Path(a.db),
            select=a.select,
            docs=not a.no_docs,
            report=not a.no_report,
            force=a.force,
            quiet=not a.verbose,
            unit_tests=a.unit_tests,
            full_refresh=getattr(a, "full_refresh", False),
        )
    except (RunLocked, ProfileError) as exc:
        print(f"dpc run: {printable(exc)}", file=sys.stderr)
        return 1
    for line in format_summary(summary.as_dict()).splitlines():
        print(printable(line))  # file names, reasons and findings come from the hospitals' files
    return exit_code(summary.status)


def _cmd_rebuild(a: argparse.Namespace) -> int:
    from dpc.errors import NoSavedHistory, RunLocked
    from dpc.pipeline import rebuild
    from dpc.steps.notify import exit_code, format_summary

    try:
        summary, moved = rebuild(
            lake=Path(a.lake), db_path=Path(a.db), docs=not a.no_docs, report=not a.no_report, quiet=not a.verbose
        )
    except (RunLocked, NoSavedHistory) as exc:
        print(f"dpc rebuild: {exc}", file=sys.stderr)
        return 1
    if moved is not None:
        print(f"moved the old warehouse to {moved} (delete it once the rebuilt one is checked)")
    print(format_summary(summary.as_dict()))
    return exit_code(summary.status)


def _cmd_demo(a: argparse.Namespace) -> int:
    """generate (if the lake is empty) → run."""
    lake = Path(a.lake)
    if not any((lake / "raw").glob("yyyymm=*")):
        a_gen = argparse.Namespace(
            lake=a.lake,
            seed=a.seed,
            facilities=a.facilities,
            months=a.months,
            start=a.start,
            admissions_per_month=a.admissions_per_month,
            beds=None,
            no_header=False,
            encoding="cp932",
            fixed_width=False,
            outpatient=True,
        )
        print(f"Generating demo DPC deliveries into {lake}/raw …")
        _cmd_generate(a_gen)
    a.target, a.select, a.no_docs, a.no_report, a.force = "local", None, False, False, False
    a.unit_tests = True  # the demo shows the models' unit tests passing too
    return _cmd_run(a)


def _cmd_docs(a: argparse.Namespace) -> int:
    from dpc.pipeline import build_docs

    path = build_docs(Path(a.db), quiet=True)
    if path is None:
        print("dbt docs generate failed (run `dpc run` first so the warehouse exists)", file=sys.stderr)
        return 1
    print(path)
    if a.serve:
        import functools
        import http.server

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(Path(path).parent))
        with http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler) as httpd:
            print(f"Serving the docs site on http://127.0.0.1:{a.port}/ (Ctrl-C to stop)")
            httpd.serve_forever()
    return 0


def _cmd_report(a: argparse.Namespace) -> int:
    from dpc.pipeline import build_report

    path = build_report(Path(a.db))
    if path is None:
        print("the report module is not available", file=sys.stderr)
        return 1
    print(path)
    return 0


def _cmd_disclose(a: argparse.Namespace) -> int:
    from dpc.disclosure import page_dir, write_disclosure
    from dpc.errors import StepInputError

    out = Path(a.out) if a.out else page_dir(paths.data_dir() / "disclosure", a.facility, a.fiscal_year)
    try:
        path = write_disclosure(Path(a.db), out, a.facility, a.fiscal_year)
    except StepInputError as e:
        print(f"dpc disclose: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _cmd_start_execution(a: argparse.Namespace) -> int:
    """Start the AWS pipeline for pending deliveries — the Dispatch Lambda's code, run from here (same lock)."""
    import os

    import boto3

    from dpc.steps.dispatch import Dispatcher, Registry, aws_cli_command
    from dpc.storage import S3Storage

    if (a.facility is None) != (a.month is None):
        print("give --facility and --month together (or neither: every pending delivery)", file=sys.stderr)
        return 2
    bucket = a.bucket or os.environ.get("DATA_BUCKET")
    if not bucket:
        print("the data bucket is needed: --bucket or DATA_BUCKET (terraform output data_bucket_name)", file=sys.stderr)
        return 2
    session = boto3.session.Session(region_name=a.region) if a.region else boto3.session.Session()
    arn = a.state_machine_arn or os.environ.get("STATE_MACHINE_ARN")
    if not arn:
        account = session.client("sts").get_caller_identity()["Account"]
        arn = f"arn:aws:states:{session.region_name}:{account}:stateMachine:dpc-learning-{a.env}-pipeline"
    dispatcher = Dispatcher(
        storage=S3Storage(bucket=bucket, client=session.client("s3")),
        registry=Registry(session.client("dynamodb"), a.table or f"dpc-learning-{a.env}-deliveries"),
        sfn=session.client("stepfunctions"),
        state_machine_arn=arn,
        bucket=bucket,
    )
    only = [(a.facility, a.month)] if a.facility else None
    results = dispatcher.run(only, force=a.force, dry_run=a.dry_run)
    for r in results:
        print(f"{r['delivery_id']}: {r['action']} — {r.get('reason', '')}")
        if r.get("execution_name"):
            print(f"  execution {r['execution_name']}  {r.get('execution_arn', '')}")
            print(f"  {aws_cli_command(arn, r['execution_name'], r['input'])}")
    return 1 if any(r["action"] == "error" for r in results) else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dpc", description="DPC 学習基盤: generate, check, load and transform DPC deliveries."
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    lake_default, db_default = str(paths.lake_dir()), str(paths.duckdb_path())

    def gen_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--lake", default=lake_default, help="local lake root (default: %(default)s)")
        sp.add_argument("--seed", type=int, default=42, help="random seed; same seed → same bytes")
        sp.add_argument("--facilities", type=int, default=2, help="number of facilities")
        sp.add_argument("--months", type=int, default=3, help="number of months")
        sp.add_argument("--start", type=int, default=202404, help="first survey month yyyymm")
        sp.add_argument("--admissions-per-month", type=int, default=None, help="admissions per facility and month")

    g = sub.add_parser(
        "generate",
        help="write synthetic deliveries of every file kind (FF1, FF4, Hn, EFn, EFg, Dn, Kn + manifest) into the lake",
    )
    gen_options(g)
    g.add_argument("--beds", type=int, default=None, help="size facilities by beds (≈2.2 admissions per bed a month)")
    g.add_argument("--no-header", action="store_true", help="older variant without the title row")
    g.add_argument("--encoding", default="cp932", choices=["cp932", "utf-8"], help="file encoding")
    g.add_argument("--fixed-width", action="store_true", help="write EF and D as old fixed-width records")
    g.add_argument(
        "--no-outpatient",
        dest="outpatient",
        action="store_false",
        help="leave out 外来EF統合 (EFg), which only DPC hospitals must deliver (p7)",
    )
    g.add_argument(
        "--corrupt",
        metavar="FAULT[,FAULT…]",
        default=None,
        help="then break one delivery like real deliveries break (dpc/generate/corrupt.py: undecodable, "
        "extra-column-row, not-numeric, invalid-date, discharge-before-admission, "
        "service-date-outside-month, unknown-code, duplicate-rows, mixed-encoding, extra-column-file, "
        "missing-file, extra-file, checksum-mismatch, row-count-mismatch, truncated, same-month-twice, "
        "corrected-month, utf8)",
    )
    g.add_argument(
        "--corrupt-delivery",
        metavar="FACILITY:YYYYMM",
        default=None,
        help="the delivery to corrupt (default: the last one generated)",
    )
    g.add_argument("--corrupt-file", metavar="KIND", default=None, help="file kind to corrupt (FF1, EFn, D, H)")
    g.add_argument("--corrupt-rows", type=int, default=1, help="rows repeated by duplicate-rows (default 1)")
    g.set_defaults(func=_cmd_generate)

    m = sub.add_parser("manifest", help="write manifest.json for a delivery folder of real hospital files")
    m.add_argument("dirs", nargs="+", help="delivery folder(s)")
    m.set_defaults(func=_cmd_manifest)

    im = sub.add_parser(
        "import",
        help="sort a hospital's files (any names the specification uses, any folders, zips) into deliveries in the lake",
        description="Groups files by 施設コード and month from their names (FF1_123456789_2504.txt, spec p17), checks "
        "each name against the file's first row, writes raw/yyyymm=…/facility=…/ and each delivery's manifest, and "
        "reports files it cannot place and files a facility's profile (config/facilities.toml) requires but lacks.",
    )
    im.add_argument("dirs", nargs="+", help="files, folders or zip archives of a hospital's DPC files")
    im.add_argument("--lake", default=lake_default, help="local lake root (default: %(default)s)")
    im.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    im.add_argument(
        "--replace",
        action="store_true",
        help="the imported files are the whole delivery (default: a file replaces only the delivery's file of its kind)",
    )
    im.add_argument(
        "--profiles", help="facility profiles (TOML; default config/facilities.toml or $DPC_FACILITY_PROFILES)"
    )
    im.set_defaults(func=_cmd_import)

    i = sub.add_parser("inspect", help="say what a delivered file is and what the loader would do with it")
    i.add_argument("paths", nargs="+", help="delivered file(s)")
    i.add_argument("--json", action="store_true", help="one JSON document, one object per file")
    i.set_defaults(func=_cmd_inspect)

    v = sub.add_parser("validate", help="check every delivery's manifest (files, sizes, sha256, row counts)")
    v.add_argument("--lake", default=lake_default)
    v.set_defaults(func=_cmd_validate)

    def run_options(sp: argparse.ArgumentParser, with_lake: bool = True) -> None:
        if with_lake:
            sp.add_argument("--lake", default=lake_default, help="local lake root (default: %(default)s)")
        sp.add_argument("--db", default=db_default, help="DuckDB file (default: %(default)s)")
        sp.add_argument("--verbose", action="store_true", help="show dbt's own log lines")

    r = sub.add_parser("run", help="validate → normalise → load → dbt build → DQ → publish → export → docs → report")
    run_options(r)
    r.add_argument("--target", default="local", help="local (DuckDB); AWS runs go through the state machine")
    r.add_argument("--select", default=None, help="dbt selection for the build")
    r.add_argument("--force", action="store_true", help="reload deliveries even if their manifest is unchanged")
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="re-normalise every delivery, rebuild every model from scratch and publish it whole (after a change of "
        "the pseudonymisation key or construction: docs/pseudonymisation.md); the DQ history is kept",
    )
    r.add_argument(
        "--unit-tests", action="store_true", help="also run dbt's unit tests (model logic; `make test` runs them)"
    )
    r.add_argument("--no-docs", action="store_true", help="skip the docs site")
    r.add_argument("--no-report", action="store_true", help="skip the KPI report")
    r.set_defaults(func=_cmd_run)

    rb = sub.add_parser(
        "rebuild",
        help="a corrupt warehouse: move it aside and rebuild it from the lake, keeping the load and publish history",
    )
    run_options(rb)
    rb.add_argument("--no-docs", action="store_true", help="skip the docs site")
    rb.add_argument("--no-report", action="store_true", help="skip the KPI report")
    rb.set_defaults(func=_cmd_rebuild)

    d = sub.add_parser("demo", help="generate demo data (if the lake is empty) and run the whole pipeline")
    gen_options(d)
    run_options(d, with_lake=False)
    d.set_defaults(func=_cmd_demo)

    docs = sub.add_parser("docs", help="build the static dbt docs site (and --serve it on localhost)")
    docs.add_argument("--db", default=db_default)
    docs.add_argument("--serve", action="store_true")
    docs.add_argument("--port", type=int, default=8080)
    docs.set_defaults(func=_cmd_docs)

    se = sub.add_parser(
        "start-execution",
        help="start the AWS state machine for pending deliveries (lock + named execution, as the Dispatch Lambda)",
    )
    se.add_argument("--env", default="dev", help="environment: names the registry table and state machine (dev)")
    se.add_argument("--facility", default=None, help="施設コード of one delivery (with --month)")
    se.add_argument("--month", type=int, default=None, help="yyyymm of one delivery (with --facility)")
    se.add_argument("--bucket", default=None, help="data bucket (default: $DATA_BUCKET)")
    se.add_argument("--state-machine-arn", default=None, help="default: $STATE_MACHINE_ARN, else built from --env")
    se.add_argument("--table", default=None, help="registry table (default: dpc-learning-<env>-deliveries)")
    se.add_argument("--region", default=None, help="AWS region (default: the profile's)")
    se.add_argument("--force", action="store_true", help="start a new attempt even if rejected or failed too often")
    se.add_argument(
        "--dry-run", action="store_true", help="say what would start, and the aws CLI command; start nothing"
    )
    se.set_defaults(func=_cmd_start_execution)

    rep = sub.add_parser("report", help="write the static KPI report from the published mart")
    rep.add_argument("--db", default=db_default)
    rep.set_defaults(func=_cmd_report)

    dis = sub.add_parser(
        "disclose",
        help="write the 病院情報の公表 page (the seven 病院指標 and the 医療の質指標) of a facility and fiscal year",
        description="Writes index.html and one CSV per table from the published mart (docs/hospital-indicators.md); "
        "figures from fewer than 10 cases are '-', as the ministry's rule says. Exit 2 when the mart has no "
        "discharges of that facility and year.",
    )
    dis.add_argument("--facility", required=True, help="施設コード (9 digits)")
    dis.add_argument("--fiscal-year", required=True, type=int, help="fiscal year (April–March by discharge), e.g. 2024")
    dis.add_argument("--db", default=db_default)
    dis.add_argument("--out", help="folder to write (default: <data dir>/disclosure/<facility>/FY<year>/)")
    dis.set_defaults(func=_cmd_disclose)

    from dpc.exercises.commands import add_parsers as add_learner_parsers  # dpc sandbox …, dpc exercise … (issue 13)

    add_learner_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    # what dpc writes (the lake, the warehouse, summaries, logs) holds health data: readable by its owner only
    paths.owner_only()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Exception as exc:  # a corrupt DuckDB file: say which and how to recover, never a traceback
        from dpc.recovery import explain

        message = explain(exc, Path(getattr(args, "db", None) or paths.duckdb_path()), args.command)
        if message is None:
            raise
        print(f"dpc {args.command}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
