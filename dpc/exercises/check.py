"""`dpc exercise check`: build the learner's exercise models in their sandbox and compare with the hidden reference.

First what needs no build (precheck.py): the model's file is there, the learner's YAML and the model's SQL parse —
a problem there is reported at once, with its file and line, and that exercise is not built. Then one
``dbt build --full-refresh --select +<model>,path:exercises/<learner>`` builds every selected exercise's model,
with the learner's own models it is built from, and runs the tests the learner attached to them (build.py). Then,
per exercise: the model exists in the learner's folder and layer, built, its tests pass, the requirements of the
definition hold (requirements.py: tests present, docs, materialisation, a dispatched macro …) and its rows equal
the reference query's rows (compare.py). Exercises with a behaviour to prove get a second pass, all in one more
dbt invocation (behaviour.py). The verdict and its printing are in result.py.
"""

from __future__ import annotations

from pathlib import Path

from dpc import duck
from dpc.exercises import Exercise, progress
from dpc.exercises.behaviour import second_pass
from dpc.exercises.build import BuildContext, ProjectUnreadable, build, short
from dpc.exercises.compare import compare, compare_relation, fetch_reference
from dpc.exercises.precheck import precheck, source_line_of
from dpc.exercises.requirements import requirements
from dpc.exercises.result import CheckResult, format_result
from dpc.sandbox import Sandbox, SandboxError, init_work_dir, project_config

__all__ = ["CheckResult", "check", "compare", "format_result"]


def check(sb: Sandbox, exercises: list[Exercise], *, record: bool = True) -> list[CheckResult]:
    """Check the exercises in the learner's sandbox; record each verdict in their progress."""
    if not sb.exists():
        raise SandboxError(f"no sandbox for {sb.learner} yet: run `dpc sandbox reset` first")
    results = {e.id: CheckResult(e) for e in exercises}
    # what needs no build first: a missing file or a file that does not parse is said in milliseconds, not after dbt
    init_work_dir(sb)
    found = precheck(sb.work_dir, exercises, project_config(sb)["vars"])
    for e in exercises:
        results[e.id].problems.extend(found.problems(e))
    to_build = [e for e in exercises if results[e.id].passed]
    if to_build:
        _build_and_compare(sb, to_build, results)
    if record:
        for r in results.values():
            progress.record(sb, r.exercise.id, r.passed, r.summary(), r.checked_at)
    return [results[e.id] for e in exercises]


def _build_and_compare(sb: Sandbox, exercises: list[Exercise], results: dict[int, CheckResult]) -> None:
    try:
        ctx = build(sb, exercises)
    except ProjectUnreadable as exc:
        for e in exercises:
            results[e.id].problems.append(f"dbt could not read your sandbox project — fix this first:\n{exc}")
        return
    for e in exercises:
        _first_pass(ctx, e, results[e.id])
    second = [e for e in exercises if results[e.id].passed and (e.mutation or e.incremental)]
    if second:
        second_pass(ctx, second, results)


def _first_pass(ctx: BuildContext, e: Exercise, result: CheckResult) -> None:
    where = ctx.sb.work_dir / e.folder
    node = ctx.model(e.model)
    if node is None:
        result.problems.append(
            f"no model {e.model} in your folder: create {where / (e.model + '.sql')} "
            f"(the task: `dpc exercise show {e.id}`)"
        )
        return
    expected_schema = ctx.sb.schema(e.layer)
    if node["schema"] != expected_schema:
        result.problems.append(
            f"{e.model} is built into {node['schema']}, but this exercise belongs to the {e.layer} "
            f"layer ({expected_schema}): move {node['original_file_path']} into {where}/"
        )
    built = ctx.results.get(node["unique_id"])
    if built is None:
        result.problems.append(f"{e.model} was not built (is it disabled?)")
        return
    if built.status == "skipped":
        upstream = set(node.get("depends_on", {}).get("nodes", []))
        failed = [
            r.unique_id.split(".")[-1]
            for r in ctx.results.values()
            if r.unique_id in upstream and r.status not in ("success", "pass")
        ]
        result.problems.append(f"{e.model} was skipped: {', '.join(failed) or 'something it depends on'} failed")
        return
    if built.status != "success":  # the database's message; its LINE is the SQL dbt ran: say the file's line too
        path = ctx.sb.work_dir / Path(node["original_file_path"]).relative_to(ctx.sb.work_link)
        line = source_line_of(str(built.message), path.read_text(encoding="utf-8")) if path.is_file() else None
        at = f" ({path.relative_to(ctx.sb.work_dir)}:{line})" if line else ""
        result.problems.append(f"dbt could not build {e.model}{at}:\n{short(built.message, 12)}")
        return
    tests = ctx.tests_of(node)
    for test in tests:
        r = ctx.results.get(test["unique_id"])
        if r is None:
            continue
        if r.status == "fail":
            result.problems.append(f"your test {test['name']} fails: {r.failures} failing row(s)")
        elif r.status in ("error", "runtime error"):
            result.problems.append(f"your test {test['name']} could not run:\n{short(r.message, 8)}")
        elif r.status == "warn":
            result.notes.append(f"your test {test['name']} warns: {r.failures} row(s)")
    ran = sum(1 for t in tests if t["unique_id"] in ctx.results)
    if ran:
        result.notes.append(f"{ran} test(s) of yours ran")
    result.problems.extend(requirements(ctx, e, node, tests))
    relation = (node["schema"], node["alias"] or node["name"])
    with duck.connect(ctx.sb.db_path, read_only=True) as con:
        expected = fetch_reference(con, e, ctx.variables)
        problems, actual_rows = compare_relation(con, relation, e, expected)
    result.problems.extend(problems)
    result.rows = actual_rows
