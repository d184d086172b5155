"""An exercise's verdict: what :func:`dpc.exercises.check.check` found (problems, notes, the rows that matched)
and how ``dpc exercise check`` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from dpc.exercises import Exercise


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
