"""Exercises that check themselves (issue 13): definitions as data, one YAML file per exercise in ``catalogue/``.

Each definition names the model the learner builds in their sandbox, the folder (layer) it goes into, the task in
Japanese and English, the result's columns and key, and what the check requires beyond the result (tests, docs,
materialisation, a dispatched macro, a test that catches bad rows, incremental behaviour). The reference result is
a hidden query in ``reference/`` run against the learner's sandbox copy of the published data; the check prints
what differs, never the query. Reference *solutions* (dbt files a learner would write) live outside the learner's
path, in ``tests/exercises/solutions/``, and the test suite proves each passes its check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "catalogue"
REFERENCE = HERE / "reference"
COLUMN_TYPES = ("text", "integer", "number", "boolean", "date", "timestamp")
STARS = "★★★★★"


class UnknownExercise(LookupError):
    """A number that names no exercise."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Exercise:
    id: int
    slug: str
    level: int
    layer: str  # the schema layer: stage, mart or dq (intermediate models live in stage)
    folder: str  # where the learner's file goes, relative to their working folder (decides the layer)
    model: str
    title: dict[str, str]
    task: dict[str, str]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    hints: tuple[str, ...] = ()
    require: dict[str, Any] = field(default_factory=dict)
    mutation: dict[str, Any] | None = None
    incremental: dict[str, Any] | None = None
    reference_vars: dict[str, str] = field(default_factory=dict)

    @property
    def stars(self) -> str:
        return STARS[: self.level]

    @property
    def reference_path(self) -> Path:
        return REFERENCE / f"{self.id:02d}_{self.slug}.sql"

    def reference_sql(self, variables: dict[str, Any] | None = None) -> str:
        """The hidden reference query, with ``{name}`` placeholders filled from the project's vars."""
        sql = self.reference_path.read_text(encoding="utf-8")
        values = {k: (variables or {})[v] for k, v in self.reference_vars.items()}
        return sql.format(**values) if values else sql

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _load(path: Path) -> Exercise:
    import yaml  # here, not at import: `dpc --help` imports this package

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    number, _, slug = path.stem.partition("_")
    if int(number) != raw["id"]:
        raise ValueError(f"{path.name}: id {raw['id']} does not match the file name")
    columns = tuple(Column(c["name"], c["type"], c.get("description", "")) for c in raw["columns"])
    unknown = [c.type for c in columns if c.type not in COLUMN_TYPES]
    if unknown:
        raise ValueError(f"{path.name}: unknown column types {unknown} (use {COLUMN_TYPES})")
    missing_key = [k for k in raw["key"] if k not in {c.name for c in columns}]
    if missing_key:
        raise ValueError(f"{path.name}: key columns {missing_key} are not among the columns")
    return Exercise(
        id=raw["id"],
        slug=slug,
        level=raw["level"],
        layer=raw["layer"],
        folder=raw["folder"],
        model=raw["model"],
        title=raw["title"],
        task=raw["task"],
        columns=columns,
        key=tuple(raw["key"]),
        hints=tuple(raw.get("hints", ())),
        require=raw.get("require", {}),
        mutation=raw.get("mutation"),
        incremental=raw.get("incremental"),
        reference_vars=raw.get("reference_vars", {}),
    )


@cache
def catalogue() -> tuple[Exercise, ...]:
    """Every exercise, by id."""
    return tuple(sorted((_load(p) for p in CATALOGUE.glob("*.yml")), key=lambda e: e.id))


def get(number: int) -> Exercise:
    for exercise in catalogue():
        if exercise.id == number:
            return exercise
    raise UnknownExercise(f"no exercise {number}: `dpc exercise list` shows 1–{len(catalogue())}")


def select(numbers: list[str]) -> list[Exercise]:
    """Exercises from command-line words: numbers, or ``all``."""
    if not numbers or numbers == ["all"]:
        return list(catalogue())
    out: list[Exercise] = []
    for word in numbers:
        if not word.isdigit():
            raise UnknownExercise(f"{word!r} is not an exercise number (1–{len(catalogue())} or all)")
        exercise = get(int(word))
        if exercise not in out:
            out.append(exercise)
    return out
