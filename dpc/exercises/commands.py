"""The learners' subcommands: `dpc sandbox …` and `dpc exercise …` (wired into dpc/cli.py by add_parsers).

Building the parser imports nothing heavy: DuckDB and dbt load only when a learner's command runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _sandbox(a: argparse.Namespace) -> int:
    from dpc import sandbox

    sb = sandbox.sandbox_for(a.learner)
    if a.action == "reset":
        result = sandbox.reset(sb, Path(a.from_db) if a.from_db else None)
        copied = ", ".join(f"{s} ({result.tables[s]} tables, {result.rows[s]:,} rows)" for s in result.tables)
        print(f"Sandbox of {sb.learner} rebuilt in {result.seconds:.1f} s: {sb.db_path}")
        print(f"  copied from the published warehouse: {copied}")
        print(f"  your schemas: {', '.join(sb.own_schemas)}")
        print(f"  your working folder: {sb.work_dir}")
        return 0
    if a.action == "status":
        print(sandbox.format_status(sandbox.status(sb)))
        return 0
    if a.action == "sql":
        import duckdb

        try:
            columns, rows = sandbox.query(sb, a.query)
        except duckdb.Error as exc:  # the database's own message, never a traceback
            print(f"SQL error: {sandbox.printable(exc)}", file=sys.stderr)
            return 1
        if a.bare:  # values only, tab-separated: for shell variables, e.g. STAY=$(dpc sandbox sql --bare "…")
            print(
                "\n".join("\t".join("" if v is None else sandbox.printable(v) for v in row) for row in rows[: a.limit])
            )
        else:
            print(sandbox.format_table(columns, rows, limit=a.limit))
        return 0
    if a.action == "dbt":
        args = a.args[1:] if a.args[:1] == ["--"] else a.args
        if not args:
            print("give dbt a command, e.g. `dpc sandbox dbt build --select my_model`", file=sys.stderr)
            return 2
        outcome = sandbox.run_dbt(sb, args, target=a.target, quiet=False)
        return 0 if outcome.success else 1
    raise AssertionError(a.action)


def _exercise(a: argparse.Namespace) -> int:
    from dpc import exercises, sandbox
    from dpc.exercises import progress, text

    if a.action == "list":
        print(text.format_list(_optional_sandbox(a.learner)))
        return 0
    if a.action == "show":
        print(text.format_show(exercises.get(a.number), _optional_sandbox(a.learner), hints=a.hints))
        return 0
    sb = sandbox.sandbox_for(a.learner)
    if a.action == "status":
        print(progress.format_status(sb))
        return 0
    if a.action == "check":
        from dpc.exercises.check import check, format_result

        chosen = exercises.select(a.numbers)
        results = check(sb, chosen)
        print("\n\n".join(format_result(r) for r in results))
        if len(results) > 1:
            print(f"\n{sum(r.passed for r in results)} of {len(results)} passed (`dpc exercise status`)")
        return 0 if all(r.passed for r in results) else 1
    raise AssertionError(a.action)


def _optional_sandbox(learner: str | None) -> Any:
    from dpc import sandbox

    try:
        return sandbox.sandbox_for(learner)
    except sandbox.SandboxError:
        return None


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(a: argparse.Namespace) -> int:
        from dpc.exercises import UnknownExercise
        from dpc.sandbox import SandboxError

        try:
            return func(a)
        except (SandboxError, UnknownExercise) as exc:
            print(f"dpc {a.command}: {exc.args[0] if exc.args else exc}", file=sys.stderr)
            return 2

    return run


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`dpc sandbox` and `dpc exercise` (learners, issue 13)."""
    learner_help = "learner name (default: $DPC_LEARNER)"

    s = sub.add_parser("sandbox", help="a learner's personal sandbox: reset, status, dbt, sql (docs/tutorial/)")
    s.add_argument("--learner", default=None, help=learner_help)
    ss = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    reset = ss.add_parser("reset", help="rebuild your sandbox from the published stage, mart, ref and dq")
    reset.add_argument("--from-db", default=None, help="shared DuckDB warehouse (default: $DPC_DUCKDB_PATH)")
    ss.add_parser("status", help="where your sandbox came from, what you have built in it")
    dbt = ss.add_parser("dbt", help="run dbt in your sandbox project, e.g. `dpc sandbox dbt build --select my_model`")
    dbt.add_argument("--target", default="local", help="local (your DuckDB sandbox), redshift or athena")
    dbt.add_argument("args", nargs=argparse.REMAINDER, help="dbt command and options")
    sql = ss.add_parser("sql", help="run one read-only query in your sandbox and print the rows")
    sql.add_argument("query", help='SQL, e.g. "select * from mart.fct_admissions limit 5"')
    sql.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")
    sql.add_argument("--bare", action="store_true", help="values only, tab-separated, no header (for shell scripts)")
    s.set_defaults(func=_guard(_sandbox))

    e = sub.add_parser("exercise", help="exercises that check themselves: list, show N, check N, status")
    e.add_argument("--learner", default=None, help=learner_help)
    es = e.add_subparsers(dest="action", required=True, metavar="ACTION")
    es.add_parser("list", help="every exercise, its level and layer, and whether you passed it")
    show = es.add_parser("show", help="the task of exercise N (Japanese and English) and what its check verifies")
    show.add_argument("number", type=int)
    show.add_argument("--hints", action="store_true", help="also print the hints")
    check = es.add_parser("check", help="build your model(s) for exercise N … (or all) and compare with the reference")
    check.add_argument("numbers", nargs="+", metavar="N", help="exercise numbers, or all")
    es.add_parser("status", help="which exercises pass, with the time of the last check")
    e.set_defaults(func=_guard(_exercise))
