"""The second pass: behaviours an exercise must prove, all in one more dbt invocation. A generic test must catch
invalid rows inserted into the learner's table (and flag no valid one); an incremental model must recompute a
re-delivered latest month without recomputing old months or duplicating keys. Every change made to the learner's
table for a check is undone afterwards."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dpc import duck
from dpc.exercises import Exercise
from dpc.exercises.build import SILENT, BuildContext, short
from dpc.exercises.compare import compare, fetch_actual, fetch_reference, value_text
from dpc.exercises.requirements import is_test
from dpc.exercises.result import CheckResult
from dpc.sandbox import Sandbox, run_dbt


@dataclass
class _Plan:
    exercise: Exercise
    node: dict[str, Any]
    select: list[str]
    state: dict[str, Any] = field(default_factory=dict)


def second_pass(ctx: BuildContext, exercises: list[Exercise], results: dict[int, CheckResult]) -> None:
    """Prepare every behaviour check, run them in one dbt invocation, then judge and clean up."""
    plans: list[_Plan] = []
    with duck.connect(ctx.sb.db_path) as con:
        for e in exercises:
            node = ctx.model(e.model)
            assert node is not None  # passed the first pass
            plan = _Plan(e, node, [])
            if e.mutation:
                _prepare_mutation(ctx, con, plan)
            if e.incremental:
                _prepare_incremental(ctx, con, plan)
            if plan.select:
                plans.append(plan)
    if not plans:
        return
    outcome = run_dbt(ctx.sb, ["build", *SILENT, "--select", *sorted({s for p in plans for s in p.select})])
    by_id = {n.unique_id: n for n in outcome.nodes}
    compiled = _compiled_code(ctx.sb)
    with duck.connect(ctx.sb.db_path) as con:
        for plan in plans:
            result = results[plan.exercise.id]
            if plan.exercise.mutation:
                _judge_mutation(con, plan, by_id, compiled, result)
            if plan.exercise.incremental:
                _judge_incremental(ctx, con, plan, by_id, result)


def _relation(node: dict[str, Any]) -> str:
    return f'"{node["schema"]}"."{node["alias"] or node["name"]}"'


def _prepare_mutation(ctx: BuildContext, con: Any, plan: _Plan) -> None:
    spec = plan.exercise.mutation or {}
    tests = [t for t in ctx.tests_of(plan.node) if is_test(t, spec["test"], spec["column"])]
    if not tests:
        return
    values = list(spec["invalid"]) + list(spec["valid"])
    placeholders = ", ".join("(?)" for _ in values)
    con.execute(f'insert into {_relation(plan.node)} ("{spec["column"]}") values {placeholders}', values)
    plan.state["test"] = tests[0]
    plan.select.append(tests[0]["name"])


def _judge_mutation(
    con: Any, plan: _Plan, by_id: dict[str, Any], compiled: dict[str, str], result: CheckResult
) -> None:
    spec = plan.exercise.mutation or {}
    test = plan.state["test"]
    column = spec["column"]
    try:
        run = by_id.get(test["unique_id"])
        invalid, valid = list(spec["invalid"]), list(spec["valid"])
        flagged: set[str] | None = None
        sql = compiled.get(test["unique_id"])
        if sql:
            try:
                cur = con.execute(sql)
                names = [d[0] for d in cur.description or []]
                if column in names:
                    flagged = {row[names.index(column)] for row in cur.fetchall()}
            except Exception:  # the learner's SQL: judged by dbt's own result below
                flagged = None
        if run is None or run.status in ("error", "runtime error"):
            result.problems.append(f"your test {test['name']} could not run on rows with invalid codes")
            return
        if flagged is not None:
            missed = [v for v in invalid if v not in flagged]
            wrongly = [v for v in valid if v in flagged]
            if missed:
                result.problems.append(
                    f"I inserted {len(invalid)} invalid {column} values into {plan.exercise.model}; your test "
                    f"{spec['test']} missed {len(missed)}: {', '.join(repr(v) for v in missed)}"
                )
            if wrongly:
                result.problems.append(f"your test {spec['test']} flags valid values: {', '.join(map(repr, wrongly))}")
            if not missed and not wrongly:
                result.notes.append(f"your test {spec['test']} caught all {len(invalid)} invalid values I inserted")
        elif run.failures != len(invalid):
            result.problems.append(
                f"I inserted {len(invalid)} invalid and {len(valid)} valid {column} values; your test {spec['test']} "
                f"reported {run.failures} failing row(s) — it should return one row per invalid row"
            )
        else:
            result.notes.append(f"your test {spec['test']} caught the {len(invalid)} invalid values I inserted")
    finally:
        values = list(spec["invalid"]) + list(spec["valid"])
        con.execute(
            f'delete from {_relation(plan.node)} where "{column}" in ({", ".join("?" for _ in values)})', values
        )


def _prepare_incremental(ctx: BuildContext, con: Any, plan: _Plan) -> None:
    """Alter one row of the latest delivery month (as a corrected re-delivery would) and one of the oldest month."""
    e = plan.exercise
    spec = e.incremental or {}
    names = e.column_names()
    month_i, tamper = names.index(spec["month_column"]), spec["tamper_column"]
    expected = fetch_reference(con, e, ctx.variables)
    months = sorted({r[month_i] for r in expected})
    if len(months) < 2:
        return
    where = " and ".join(f'"{k}" = ?' for k in e.key)
    altered: dict[str, tuple[Any, ...]] = {}
    for label, month in (("latest", months[-1]), ("oldest", months[0])):
        row = min((r for r in expected if r[month_i] == month), key=lambda r: tuple(map(str, r)))
        altered[label] = tuple(row[names.index(k)] for k in e.key)
        con.execute(f'update {_relation(plan.node)} set "{tamper}" = -1 where {where}', list(altered[label]))
    plan.state.update(expected=expected, altered=altered, months=(months[0], months[-1]))
    plan.select.append(plan.node["name"])


def _judge_incremental(ctx: BuildContext, con: Any, plan: _Plan, by_id: dict[str, Any], result: CheckResult) -> None:
    e = plan.exercise
    spec = e.incremental or {}
    names = e.column_names()
    key_idx = [names.index(k) for k in e.key]
    tamper_i = names.index(spec["tamper_column"])
    oldest_month, latest_month = plan.state["months"]
    altered: dict[str, tuple[Any, ...]] = plan.state["altered"]
    expected: list[tuple[Any, ...]] = plan.state["expected"]
    truth = {tuple(r[i] for i in key_idx): r[tamper_i] for r in expected}
    run = by_id.get(plan.node["unique_id"])
    try:
        if run is None or run.status != "success":
            result.problems.append(f"the incremental run of {e.model} failed:\n{short(run.message if run else '', 8)}")
            return
        actual = fetch_actual(con, (plan.node["schema"], plan.node["alias"] or plan.node["name"]), e)
        now: dict[tuple[Any, ...], Any] = {}
        for r in actual:
            now.setdefault(tuple(r[i] for i in key_idx), r[tamper_i])
        counts = Counter(tuple(r[i] for i in key_idx) for r in actual)
        twice = sum(1 for n in counts.values() if n > 1)
        if twice:
            result.problems.append(
                f"after an incremental run {twice} key(s) occur more than once: with unique_key "
                "dbt replaces a month's rows instead of appending them again"
            )
        if now.get(altered["latest"]) == -1.0:
            result.problems.append(
                f"I altered a row of the latest delivery month ({value_text(latest_month)}), as a corrected "
                "re-delivery would; your incremental run did not recompute it — process the latest month already "
                "in the table again (>=, not >)"
            )
        if now.get(altered["oldest"]) != -1.0:
            result.problems.append(
                f"your incremental run recomputed a row of {value_text(oldest_month)}, an old month: on incremental "
                "runs process only the latest delivery month(s) ({% if is_incremental() %} … {% endif %})"
            )
        if result.passed:
            want = [
                r[:tamper_i] + (-1.0,) + r[tamper_i + 1 :] if tuple(r[i] for i in key_idx) == altered["oldest"] else r
                for r in expected
            ]
            result.problems.extend(compare(e, want, actual))
        if result.passed:
            result.notes.append("incremental run: the latest month recomputed, old months untouched, no duplicates")
    finally:  # leave the learner's table right
        where = " and ".join(f'"{k}" = ?' for k in e.key)
        for key in altered.values():
            con.execute(
                f'update {_relation(plan.node)} set "{spec["tamper_column"]}" = ? where {where} '
                f'and "{spec["tamper_column"]}" = -1',
                [truth.get(key), *key],
            )


def _compiled_code(sb: Sandbox) -> dict[str, str]:
    path = sb.target_dir / "run_results.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {r["unique_id"]: r.get("compiled_code") or "" for r in data.get("results", [])}
