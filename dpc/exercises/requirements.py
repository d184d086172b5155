"""What an exercise's definition requires beyond its result (``require:``): tests of a kind on a column, docs for
the model and every column, a var or macro instead of a literal, the materialisation, a unique_key, a macro
dispatched per engine and called by the model. Each unmet requirement is one problem, worded as what to do."""

from __future__ import annotations

from typing import Any

from dpc.exercises import Exercise
from dpc.exercises.build import BuildContext

_ENGINES = ("duckdb", "redshift", "athena")


def requirements(ctx: BuildContext, e: Exercise, node: dict[str, Any], tests: list[dict[str, Any]]) -> list[str]:
    """The requirements of the definition that the learner's model does not meet, each worded as what to do."""
    req = e.require
    problems: list[str] = []
    for wanted in req.get("tests", []):
        if not any(is_test(t, wanted["test"], wanted.get("column")) for t in tests):
            on = f" on column {wanted['column']}" if wanted.get("column") else ""
            problems.append(f"add a {wanted['test']} test{on} to {e.model} in a YAML file beside it")
    if req.get("docs"):
        if not (node.get("description") or "").strip():
            problems.append(f"describe {e.model} in its YAML (description:)")
        undocumented = [
            c for c in e.column_names() if not ((node.get("columns", {}).get(c) or {}).get("description") or "").strip()
        ]
        if undocumented:
            problems.append(f"describe every column in the YAML; missing: {', '.join(undocumented)}")
    if req.get("uses_any") and not any(word in node.get("raw_code", "") for word in req["uses_any"]):
        problems.append(f"{e.model} must use {' or '.join(req['uses_any'])} instead of a literal value")
    materialized = req.get("materialized")
    if materialized and node["config"].get("materialized") != materialized:
        problems.append(
            f"{e.model} is materialized as {node['config'].get('materialized')}; this exercise needs {materialized}"
        )
    if req.get("unique_key") and not node["config"].get("unique_key"):
        problems.append(f"set unique_key in the config of {e.model}")
    if req.get("dispatch"):
        problems.extend(_dispatch_requirement(ctx, e, node, req["dispatch"]))
    return problems


def is_test(test: dict[str, Any], name: str, column: str | None) -> bool:
    meta = test.get("test_metadata") or {}
    if meta.get("name") != name:
        return False
    if column is None:
        return True
    return (test.get("column_name") or (meta.get("kwargs") or {}).get("column_name")) == column


def _dispatch_requirement(ctx: BuildContext, e: Exercise, node: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    macros = ctx.learner_macros()
    problems: list[str] = []
    name = spec["macro"]
    main = macros.get(name)
    if main is None:
        problems.append(f"write the macro {name} in {ctx.sb.work_dir / 'macros'}/")
        return problems
    if "adapter.dispatch" not in main["macro_sql"]:
        problems.append(f"macro {name} must call adapter.dispatch('{name}', 'dpc_learning')(…)")
    for engine in spec["variants"]:
        if f"{engine}__{name}" not in macros:
            problems.append(f"macro {name} has no {engine}__{name} variant")
    if not any(f"{engine}__{name}" in macros for engine in spec["local"]):
        problems.append(f"macro {name} needs a {' or '.join(f'{x}__{name}' for x in spec['local'])} variant for DuckDB")
    if f"macro.dpc_learning.{name}" not in node.get("depends_on", {}).get("macros", []):
        problems.append(f"{e.model} must call {name}(…)")
    named = [engine for engine in _ENGINES if engine in node.get("raw_code", "").lower()]
    if named:
        problems.append(f"{e.model} names an engine ({', '.join(named)}): engine differences belong in macros")
    return problems
