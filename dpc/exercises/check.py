"""`dpc exercise check`: build the learner's exercise models in their sandbox and compare with the hidden reference.

One ``dbt build --full-refresh --select +<model>,path:exercises/<learner>`` builds every selected exercise's model,
with the learner's own models it is built from, and runs the tests the learner attached to them. Then, per exercise:
the model exists in the learner's folder and layer, built, its tests pass, the requirements of the definition hold
(tests present, docs, materialisation, a dispatched macro …) and its rows equal the reference query's rows (key by
key, column by column, floats within 1e-6). Exercises with a behaviour to prove get a second pass, all in one more
dbt invocation: a generic test must catch invalid rows inserted into the learner's table; an incremental model must
recompute a re-delivered latest month without recomputing old months or duplicating keys. The report says what
differs — counts, a few keys, the learner's own values and whether the expected value is higher or lower — never the
reference query or its result.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from dpc import duck
from dpc.exercises import Exercise, progress
from dpc.sandbox import Sandbox, SandboxError, manifest, project_config, run_dbt

EXAMPLES = 3
SILENT = ("--log-level", "none")  # the report says what failed; dbt's own log is in <sandbox>/logs/dbt.log
REL_TOL = 1e-6
ABS_TOL = 1e-6
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "INT",
    "INT4",
    "INT8",
}
_ACCEPTS = {
    "text": {"text"},
    "integer": {"integer", "number"},
    "number": {"integer", "number"},
    "boolean": {"boolean"},
    "date": {"date"},
    "timestamp": {"timestamp"},
}
_ENGINES = ("duckdb", "redshift", "athena")


@dataclass
class CheckResult:
    exercise: Exercise
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int | None = None
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.passed:
            return f"{self.rows} rows match" if self.rows is not None else "passed"
        return self.problems[0]


@dataclass
class _Context:
    sb: Sandbox
    manifest: dict[str, Any]
    results: dict[str, Any]  # unique_id → NodeResult of the first build
    variables: dict[str, Any]

    def learner_nodes(self) -> list[dict[str, Any]]:
        root = self.sb.work_link + "/"
        return [n for n in self.manifest.get("nodes", {}).values() if n["original_file_path"].startswith(root)]

    def model(self, name: str) -> dict[str, Any] | None:
        for node in self.learner_nodes():
            if node["resource_type"] == "model" and node["name"] == name:
                return node
        return None

    def tests_of(self, model: dict[str, Any]) -> list[dict[str, Any]]:
        uid = model["unique_id"]
        return [
            n
            for n in self.manifest.get("nodes", {}).values()
            if n["resource_type"] == "test"
            and (n.get("attached_node") == uid or uid in n.get("depends_on", {}).get("nodes", []))
        ]

    def learner_macros(self) -> dict[str, dict[str, Any]]:
        root = self.sb.work_link + "/"
        return {
            m["name"]: m for m in self.manifest.get("macros", {}).values() if m["original_file_path"].startswith(root)
        }


# --------------------------------------------------------------------------------------------------- entry


def check(sb: Sandbox, exercises: list[Exercise], *, record: bool = True) -> list[CheckResult]:
    """Check the exercises in the learner's sandbox; record each verdict in their progress."""
    if not sb.exists():
        raise SandboxError(f"no sandbox for {sb.learner} yet: run `dpc sandbox reset` first")
    results = {e.id: CheckResult(e) for e in exercises}
    # each exercise's model with the learner's own models it is built from (never the shared ones: those are the
    # published copies in the sandbox)
    selection = [f"+{e.model},path:{sb.work_link}" for e in exercises]
    outcome = run_dbt(sb, ["build", *SILENT, "--full-refresh", "--select", *selection])
    if not outcome.success and not outcome.nodes:
        message = _short(outcome.error or "dbt failed before building anything", 20)
        for r in results.values():
            r.problems.append(f"dbt could not read your sandbox project — fix this first:\n{message}")
    else:
        ctx = _Context(sb, manifest(sb), {n.unique_id: n for n in outcome.nodes}, project_config(sb)["vars"])
        for e in exercises:
            _first_pass(ctx, e, results[e.id])
        second = [e for e in exercises if results[e.id].passed and (e.mutation or e.incremental)]
        if second:
            _second_pass(ctx, second, results)
    if record:
        for r in results.values():
            progress.record(sb, r.exercise.id, r.passed, r.summary(), r.checked_at)
    return [results[e.id] for e in exercises]


# ----------------------------------------------------------------------------------------------- first pass


def _first_pass(ctx: _Context, e: Exercise, result: CheckResult) -> None:
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
    if built.status != "success":
        result.problems.append(f"dbt could not build {e.model}:\n{_short(built.message, 12)}")
        return
    tests = ctx.tests_of(node)
    for test in tests:
        r = ctx.results.get(test["unique_id"])
        if r is None:
            continue
        if r.status == "fail":
            result.problems.append(f"your test {test['name']} fails: {r.failures} failing row(s)")
        elif r.status in ("error", "runtime error"):
            result.problems.append(f"your test {test['name']} could not run:\n{_short(r.message, 8)}")
        elif r.status == "warn":
            result.notes.append(f"your test {test['name']} warns: {r.failures} row(s)")
    ran = sum(1 for t in tests if t["unique_id"] in ctx.results)
    if ran:
        result.notes.append(f"{ran} test(s) of yours ran")
    _requirements(ctx, e, node, tests, result)
    relation = (node["schema"], node["alias"] or node["name"])
    with duck.connect(ctx.sb.db_path, read_only=True) as con:
        expected = _fetch_reference(con, e, ctx.variables)
        problems, actual_rows = _compare_relation(con, relation, e, expected)
    result.problems.extend(problems)
    result.rows = actual_rows


def _requirements(
    ctx: _Context, e: Exercise, node: dict[str, Any], tests: list[dict[str, Any]], result: CheckResult
) -> None:
    req = e.require
    for wanted in req.get("tests", []):
        if not any(_is_test(t, wanted["test"], wanted.get("column")) for t in tests):
            on = f" on column {wanted['column']}" if wanted.get("column") else ""
            result.problems.append(f"add a {wanted['test']} test{on} to {e.model} in a YAML file beside it")
    if req.get("docs"):
        if not (node.get("description") or "").strip():
            result.problems.append(f"describe {e.model} in its YAML (description:)")
        undocumented = [
            c for c in e.column_names() if not ((node.get("columns", {}).get(c) or {}).get("description") or "").strip()
        ]
        if undocumented:
            result.problems.append(f"describe every column in the YAML; missing: {', '.join(undocumented)}")
    if req.get("uses_any") and not any(word in node.get("raw_code", "") for word in req["uses_any"]):
        result.problems.append(f"{e.model} must use {' or '.join(req['uses_any'])} instead of a literal value")
    materialized = req.get("materialized")
    if materialized and node["config"].get("materialized") != materialized:
        result.problems.append(
            f"{e.model} is materialized as {node['config'].get('materialized')}; this exercise needs {materialized}"
        )
    if req.get("unique_key") and not node["config"].get("unique_key"):
        result.problems.append(f"set unique_key in the config of {e.model}")
    if req.get("dispatch"):
        _dispatch_requirement(ctx, e, node, req["dispatch"], result)


def _is_test(test: dict[str, Any], name: str, column: str | None) -> bool:
    meta = test.get("test_metadata") or {}
    if meta.get("name") != name:
        return False
    if column is None:
        return True
    return (test.get("column_name") or (meta.get("kwargs") or {}).get("column_name")) == column


def _dispatch_requirement(
    ctx: _Context, e: Exercise, node: dict[str, Any], spec: dict[str, Any], result: CheckResult
) -> None:
    macros = ctx.learner_macros()
    name = spec["macro"]
    main = macros.get(name)
    if main is None:
        result.problems.append(f"write the macro {name} in {ctx.sb.work_dir / 'macros'}/")
        return
    if "adapter.dispatch" not in main["macro_sql"]:
        result.problems.append(f"macro {name} must call adapter.dispatch('{name}', 'dpc_learning')(…)")
    for engine in spec["variants"]:
        if f"{engine}__{name}" not in macros:
            result.problems.append(f"macro {name} has no {engine}__{name} variant")
    if not any(f"{engine}__{name}" in macros for engine in spec["local"]):
        result.problems.append(
            f"macro {name} needs a {' or '.join(f'{x}__{name}' for x in spec['local'])} variant for DuckDB"
        )
    if f"macro.dpc_learning.{name}" not in node.get("depends_on", {}).get("macros", []):
        result.problems.append(f"{e.model} must call {name}(…)")
    named = [engine for engine in _ENGINES if engine in node.get("raw_code", "").lower()]
    if named:
        result.problems.append(f"{e.model} names an engine ({', '.join(named)}): engine differences belong in macros")


# ---------------------------------------------------------------------------------------------- comparison


def _fetch_reference(con: Any, e: Exercise, variables: dict[str, Any]) -> list[tuple[Any, ...]]:
    cur = con.execute(f"select {', '.join(e.column_names())} from ({e.reference_sql(variables)}) as reference")
    return [tuple(_norm(v, c.type) for v, c in zip(row, e.columns, strict=True)) for row in cur.fetchall()]


def _compare_relation(
    con: Any, relation: tuple[str, str], e: Exercise, expected: list[tuple[Any, ...]]
) -> tuple[list[str], int | None]:
    schema, name = relation
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    )
    if not types:
        return [f"{schema}.{name} does not exist in your sandbox (was it built as ephemeral?)"], None
    problems: list[str] = []
    missing = [c.name for c in e.columns if c.name not in types]
    if missing:
        problems.append(f"columns missing from {name}: {', '.join(missing)} (`dpc exercise show {e.id}` lists them)")
    for c in e.columns:
        if c.name in types and _family(types[c.name]) not in _ACCEPTS[c.type]:
            problems.append(f"column {c.name} is {types[c.name]}; expected {c.type}")
    if problems:
        return problems, None
    rows = _fetch_actual(con, relation, e)
    return compare(e, expected, rows), len(rows)


def _fetch_actual(con: Any, relation: tuple[str, str], e: Exercise) -> list[tuple[Any, ...]]:
    schema, name = relation
    columns = ", ".join(f'"{c}"' for c in e.column_names())
    rows = con.execute(f'select {columns} from "{schema}"."{name}"').fetchall()
    return [tuple(_norm(v, c.type) for v, c in zip(row, e.columns, strict=True)) for row in rows]


def compare(e: Exercise, expected: list[tuple[Any, ...]], actual: list[tuple[Any, ...]]) -> list[str]:
    """What differs between the learner's rows and the reference rows — without printing the reference."""
    names = e.column_names()
    key_idx = [names.index(k) for k in e.key]
    keyed_expected = {tuple(r[i] for i in key_idx): r for r in expected}
    counts = Counter(tuple(r[i] for i in key_idx) for r in actual)
    keyed_actual: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in actual:
        keyed_actual.setdefault(tuple(r[i] for i in key_idx), r)
    problems: list[str] = []
    duplicates = [k for k, n in counts.items() if n > 1]
    if duplicates:
        problems.append(
            f"{len(duplicates)} key(s) occur more than once (one row per {', '.join(e.key)} expected), "
            f"e.g. {_examples(e, duplicates)}"
        )
    missing = [k for k in keyed_expected if k not in keyed_actual]
    extra = [k for k in keyed_actual if k not in keyed_expected]
    if missing or extra or duplicates:
        problems.insert(0, f"expected {len(expected)} rows, yours has {len(actual)}")
    if missing:
        problems.append(f"{len(missing)} row(s) missing, e.g. {_examples(e, missing)}")
    if extra:
        problems.append(f"{len(extra)} row(s) that should not be there, e.g. {_examples(e, extra)}")
    common = [k for k in keyed_expected if k in keyed_actual]
    for i, column in enumerate(e.columns):
        if i in key_idx:
            continue
        wrong = [k for k in common if not _equal(keyed_actual[k][i], keyed_expected[k][i])]
        if wrong:
            shown = "; ".join(
                f"at {_key_text(e, k)}: yours {_value_text(keyed_actual[k][i])} — "
                f"{_direction(keyed_actual[k][i], keyed_expected[k][i])}"
                for k in wrong[:2]
            )
            problems.append(f"column {column.name}: {len(wrong)} of {len(common)} rows differ ({shown})")
    return problems


def _norm(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("integer", "number") and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    return value


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _direction(actual: Any, expected: Any) -> str:
    if expected is None:
        return "expected NULL here"
    if actual is None:
        return "expected a value"
    if isinstance(actual, float) and isinstance(expected, float):
        return "expected is higher" if expected > actual else "expected is lower"
    return "expected differs"


def _family(data_type: str) -> str:
    t = data_type.upper()
    if t in _INTEGER_TYPES:
        return "integer"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "integer" if t.replace(" ", "").endswith(",0)") else "number"
    if t in ("DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8"):
        return "number"
    if t.startswith(("VARCHAR", "TEXT", "STRING", "CHAR")):
        return "text"
    if t in ("BOOLEAN", "BOOL"):
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return t.lower()


def _value_text(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.6g}"
    if isinstance(v, date):
        return v.isoformat()
    return repr(v) if isinstance(v, str) else str(v)


def _key_text(e: Exercise, key: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{k}={_value_text(v)}" for k, v in zip(e.key, key, strict=True)) + ")"


def _examples(e: Exercise, keys: list[tuple[Any, ...]]) -> str:
    ordered = sorted(keys, key=lambda k: tuple((v is None, str(v)) for v in k))
    more = f" and {len(keys) - EXAMPLES} more" if len(keys) > EXAMPLES else ""
    return ", ".join(_key_text(e, k) for k in ordered[:EXAMPLES]) + more


def _short(text: str, lines: int) -> str:
    kept = [line for line in str(text).strip().splitlines() if line.strip()]
    cut = kept[:lines] + ([f"… ({len(kept) - lines} more lines)"] if len(kept) > lines else [])
    return "\n".join("    " + line for line in cut)


# ---------------------------------------------------------------------------------------------- second pass


@dataclass
class _Plan:
    exercise: Exercise
    node: dict[str, Any]
    select: list[str]
    state: dict[str, Any] = field(default_factory=dict)


def _second_pass(ctx: _Context, exercises: list[Exercise], results: dict[int, CheckResult]) -> None:
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


def _prepare_mutation(ctx: _Context, con: Any, plan: _Plan) -> None:
    spec = plan.exercise.mutation or {}
    tests = [t for t in ctx.tests_of(plan.node) if _is_test(t, spec["test"], spec["column"])]
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


def _prepare_incremental(ctx: _Context, con: Any, plan: _Plan) -> None:
    """Alter one row of the latest delivery month (as a corrected re-delivery would) and one of the oldest month."""
    e = plan.exercise
    spec = e.incremental or {}
    names = e.column_names()
    month_i, tamper = names.index(spec["month_column"]), spec["tamper_column"]
    expected = _fetch_reference(con, e, ctx.variables)
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


def _judge_incremental(ctx: _Context, con: Any, plan: _Plan, by_id: dict[str, Any], result: CheckResult) -> None:
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
            result.problems.append(f"the incremental run of {e.model} failed:\n{_short(run.message if run else '', 8)}")
            return
        actual = _fetch_actual(con, (plan.node["schema"], plan.node["alias"] or plan.node["name"]), e)
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
                f"I altered a row of the latest delivery month ({_value_text(latest_month)}), as a corrected "
                "re-delivery would; your incremental run did not recompute it — process the latest month already "
                "in the table again (>=, not >)"
            )
        if now.get(altered["oldest"]) != -1.0:
            result.problems.append(
                f"your incremental run recomputed a row of {_value_text(oldest_month)}, an old month: on incremental "
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


# ------------------------------------------------------------------------------------------------- report


def format_result(r: CheckResult) -> str:
    e = r.exercise
    lines = [f"Exercise {e.id} {e.stars} {e.title['ja']} / {e.title['en']} — {e.model}"]
    if r.passed:
        lines.append(f"  PASS 合格 — {r.summary()}")
    else:
        lines.append("  FAIL 不合格")
        lines += [f"  - {p}" for p in r.problems]
    lines += [f"  · {n}" for n in r.notes]
    if not r.passed and e.hints:
        lines.append(f"  Stuck? `dpc exercise show {e.id} --hints`")
    return "\n".join(lines)
