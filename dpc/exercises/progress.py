"""A learner's progress: every check's verdict and time, in ``<sandbox>/progress.json`` (kept across resets)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from dpc.exercises import catalogue
from dpc.sandbox import Sandbox, pad


def load(sb: Sandbox) -> dict[str, Any]:
    if not sb.progress_path.exists():
        return {"learner": sb.learner, "exercises": {}}
    return json.loads(sb.progress_path.read_text(encoding="utf-8"))


def record(sb: Sandbox, exercise_id: int, passed: bool, summary: str, checked_at: datetime | None = None) -> None:
    """Record one check: the latest verdict and time, attempts, and when it first passed."""
    data = load(sb)
    when = (checked_at or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = data["exercises"].setdefault(str(exercise_id), {"attempts": 0, "first_passed_at": None})
    entry["attempts"] += 1
    entry["passed"] = passed
    entry["checked_at"] = when
    entry["summary"] = summary
    if passed and not entry.get("first_passed_at"):
        entry["first_passed_at"] = when
    sb.root.mkdir(parents=True, exist_ok=True)
    tmp = sb.progress_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, sb.progress_path)


def _local(iso: str | None) -> str:
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def format_status(sb: Sandbox) -> str:
    """One line per exercise: pass/fail/not tried, when last checked, attempts."""
    data = load(sb)["exercises"]
    lines = [f"Progress of {sb.learner} 進捗", ""]
    lines.append(f"{'#':>2}  {'level':<5}  {'status':<9}  {'last check':<16}  {'tries':>5}  exercise")
    passed = 0
    for e in catalogue():
        entry = data.get(str(e.id))
        if entry is None:
            state = "—"
        elif entry["passed"]:
            state, passed = "PASS 合格", passed + 1
        else:
            state = "FAIL"
        lines.append(
            f"{e.id:>2}  {pad(e.stars, 5)}  {pad(state, 9)}  {_local(entry and entry.get('checked_at')):<16}  "
            f"{(entry or {}).get('attempts', 0):>5}  {e.title['ja']} / {e.title['en']}"
        )
    lines += ["", f"{passed} of {len(catalogue())} passed"]
    return "\n".join(lines)
