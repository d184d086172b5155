"""What `dpc exercise check` can tell a learner before dbt runs (a build takes tens of seconds; these take
milliseconds): the exercise's model file is missing, a YAML file of theirs does not parse, or the model's SQL does not
parse — with the file, the line and the parser's own message, never a traceback.

The SQL check renders the model's Jinja with stand-ins for dbt's context (``ref`` and ``source`` give relation
names, ``config`` nothing, ``var`` the project's vars, ``is_incremental()`` false, and a macro call — the project's,
the learner's, ``adapter.dispatch(…)(…)`` — an identifier) and asks DuckDB's parser — the database the
check builds on — whether it is SQL. When the stand-ins cannot be sure (a macro's result looped over or tested, a
parse error on a line where a macro stood), the model is left to dbt: this check never reports what dbt would
accept.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dpc.exercises import Exercise


@dataclass
class Prechecked:
    project: list[str] = field(default_factory=list)  # problems that stop dbt from reading the learner's project
    exercise: dict[int, list[str]] = field(default_factory=dict)  # exercise id → its own problems

    def problems(self, e: Exercise) -> list[str]:
        return self.project + self.exercise.get(e.id, [])


def precheck(work_dir: Path, exercises: list[Exercise], variables: dict[str, Any]) -> Prechecked:
    """The problems of each exercise that need no build (``variables``: the project's vars, for ``var()``)."""
    found = Prechecked()
    for path in sorted(work_dir.rglob("*.y*ml")):
        problem = _yaml_problem(path, work_dir)
        if problem:
            found.project.append(problem)
    for e in exercises:
        files = sorted(work_dir.rglob(f"{e.model}.sql"))
        if not files:
            where = work_dir / e.folder / f"{e.model}.sql"
            found.exercise[e.id] = [
                f"no model {e.model} in your folder: create {where} (the task: `dpc exercise show {e.id}`)"
            ]
            continue
        problem = sql_problem(files[0], work_dir, variables)
        if problem:
            found.exercise[e.id] = [problem]
    return found


def _yaml_problem(path: Path, work_dir: Path) -> str | None:
    try:
        yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return f"{path.relative_to(work_dir)}: not UTF-8 text — save it as UTF-8"
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        what = " ".join(str(x) for x in (getattr(exc, "context", None), getattr(exc, "problem", None)) if x) or exc
        return (
            f"{path.relative_to(work_dir)}{line}: YAML error: {what} — dbt cannot read your project until it is fixed"
        )
    return None


def sql_problem(path: Path, work_dir: Path, variables: dict[str, Any]) -> str | None:
    """The parse error of a model's SQL as ``file:line: message`` (and the line), or None (parses, or left to dbt)."""
    import duckdb
    import jinja2

    source = path.read_text(encoding="utf-8", errors="replace")
    name = path.relative_to(work_dir)
    unsure: list[str] = []
    env = jinja2.Environment(undefined=_stand_in(unsure), keep_trailing_newline=True, extensions=["jinja2.ext.do"])
    try:
        template = env.from_string(source)
    except jinja2.TemplateSyntaxError as exc:
        return f"{name}:{exc.lineno}: Jinja error: {exc.message}\n      {_line(source, exc.lineno)}"
    try:
        sql = template.render(**_dbt_stand_ins(variables))
    except Exception:  # noqa: BLE001 - a context this check does not stand in for: dbt will judge
        return None
    if unsure:
        return None
    try:
        _parser().extract_statements(sql)
    except duckdb.ParserException as exc:
        message = str(exc).split("\n\nLINE ", 1)[0].strip()
        found = re.search(r"\nLINE (\d+):", str(exc))
        at = sql.splitlines()[int(found.group(1)) - 1] if found and int(found.group(1)) <= sql.count("\n") + 1 else ""
        if STAND_IN in at or STAND_IN in message:
            return None  # the error is where a macro stood: what the macro gives is dbt's to judge
        line = _source_line(str(exc), sql, source)
        where = f"{name}:{line}" if line else str(name)
        return f"{where}: {message}" + (f"\n      {_line(source, line)}" if line else "")
    return None


@functools.cache
def _parser() -> Any:
    """An in-memory DuckDB connection, only ever asked to parse (opened once: opening costs more than parsing)."""
    import duckdb

    return duckdb.connect()


STAND_IN = "dpc_macro_stand_in"  # an identifier: parses where a macro's expression, type or relation stands


def _stand_in(unsure: list[str]) -> type:
    """Jinja's Undefined for anything the stand-ins do not name: called or printed it is an identifier;
    looped over, tested or compared, the check cannot know what dbt renders and gives up (``unsure``)."""
    import jinja2

    class StandIn(jinja2.Undefined):
        def __call__(self, *args: Any, **kwargs: Any) -> StandIn:  # type: ignore[override]
            return StandIn(name=self._undefined_name)

        def __getattr__(self, name: str) -> StandIn:
            if name.startswith("__"):
                raise AttributeError(name)
            return StandIn(name=name)

        def __str__(self) -> str:
            return STAND_IN

        def __iter__(self) -> Any:
            unsure.append(f"{self._undefined_name} looped over")
            return iter(())

        def __bool__(self) -> bool:
            unsure.append(f"{self._undefined_name} tested")
            return False

        def __eq__(self, other: object) -> bool:
            unsure.append(f"{self._undefined_name} compared")
            return False

        __hash__ = jinja2.Undefined.__hash__

    return StandIn


def _dbt_stand_ins(variables: dict[str, Any]) -> dict[str, Any]:
    def ref(*names: str, **_: Any) -> str:
        return f'"{names[-1]}"'

    def source(source_name: str, table: str) -> str:
        return f'"{source_name}"."{table}"'

    def var(name: str, *default: Any) -> Any:
        if name in variables:
            return variables[name]
        if default:
            return default[0]
        raise KeyError(name)

    return {
        "ref": ref,
        "source": source,
        "config": lambda *a, **k: "",
        "var": var,
        "is_incremental": lambda: False,
        "this": '"this"',
        "env_var": lambda name, default="": default,
    }


def _source_line(error: str, rendered: str, source: str) -> int | None:
    """The learner's line of DuckDB's ``LINE n:`` (a line of the rendered SQL): the same text in their file, or the
    same number when rendering kept every line."""
    found = re.search(r"\nLINE (\d+):", error)
    if not found:
        return None
    number = int(found.group(1))
    rendered_lines, source_lines = rendered.splitlines(), source.splitlines()
    if not 1 <= number <= len(rendered_lines):
        return None
    text = rendered_lines[number - 1].strip()
    same = [i + 1 for i, line in enumerate(source_lines) if line.strip() == text and text]
    if len(same) == 1:
        return same[0]
    return number if len(rendered_lines) == len(source_lines) else None


def _line(source: str, number: int | None) -> str:
    lines = source.splitlines()
    return lines[number - 1].strip() if number and 1 <= number <= len(lines) else ""


def source_line_of(message: str, source: str) -> int | None:
    """The line of the learner's file that a database error's ``LINE n: …`` shows (n counts lines of the SQL dbt
    ran, not of the file): the one line of the file that holds that text, or None when no single line does."""
    found = re.search(r"LINE \d+: ?(.*)", message)
    text = found.group(1).strip().removeprefix("...").removesuffix("...").strip() if found else ""
    if not text:
        return None
    same = [i + 1 for i, line in enumerate(source.splitlines()) if text in line]
    return same[0] if len(same) == 1 else None
