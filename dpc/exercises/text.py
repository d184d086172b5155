"""What `dpc exercise list` and `dpc exercise show` print."""

from __future__ import annotations

from dpc.exercises import Exercise, catalogue, progress
from dpc.sandbox import Sandbox, pad


def format_list(sb: Sandbox | None) -> str:
    done = progress.load(sb)["exercises"] if sb is not None else {}
    lines = [f"{'#':>2}  {'level':<5}  {'layer':<5}  {'status':<4}  exercise (`dpc exercise show N`)"]
    for e in catalogue():
        entry = done.get(str(e.id))
        state = "—" if entry is None else ("PASS" if entry["passed"] else "FAIL")
        lines.append(f"{e.id:>2}  {pad(e.stars, 5)}  {e.layer:<5}  {state:<4}  {e.title['ja']} / {e.title['en']}")
    return "\n".join(lines)


def format_show(e: Exercise, sb: Sandbox | None, *, hints: bool = False) -> str:
    where = (sb.work_dir / e.folder) if sb is not None else f"exercises/<learner>/{e.folder}"
    schema = sb.schema(e.layer) if sb is not None else f"<learner>_{e.layer}"
    lines = [
        f"Exercise {e.id} {e.stars}  {e.title['ja']}",
        f"            {e.title['en']}",
        "",
        f"Build:  {e.model}   file {where}/{e.model}.sql  →  {schema}.{e.model}",
        "",
        "課題",
        *_indent(e.task["ja"]),
        "",
        "Task",
        *_indent(e.task["en"]),
        "",
        "Columns (one row per " + ", ".join(e.key) + ")",
    ]
    width = max(len(c.name) for c in e.columns)
    lines += [f"  {c.name:<{width}}  {c.type:<8}  {c.description}" for c in e.columns]
    lines += ["", "The check (`dpc exercise check " + str(e.id) + "`)"]
    lines += [f"  - {line}" for line in _check_lines(e)]
    if hints and e.hints:
        lines += ["", "Hints"] + [f"  - {h}" for h in e.hints]
    elif e.hints:
        lines += ["", f"Hints: `dpc exercise show {e.id} --hints`"]
    return "\n".join(lines)


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.strip().splitlines()]


def _check_lines(e: Exercise) -> list[str]:
    req = e.require
    out = [
        f"builds {e.model} in your sandbox (dbt build --select +{e.model}: with your own models it is built from) "
        "and runs the tests you attach to them",
        "compares its rows with a reference computed from the same published data (floats within 1e-6, no "
        "rounding needed)",
    ]
    for t in req.get("tests", []):
        out.append(f"expects a {t['test']} test" + (f" on {t['column']}" if t.get("column") else ""))
    if req.get("docs"):
        out.append("expects a description of the model and of every column")
    if req.get("uses_any"):
        out.append(f"expects the model to use {' or '.join(req['uses_any'])}")
    if req.get("materialized"):
        out.append(
            f"expects materialized='{req['materialized']}'" + (" with a unique_key" if req.get("unique_key") else "")
        )
    if req.get("dispatch"):
        d = req["dispatch"]
        out.append(
            f"expects macro {d['macro']} dispatching to "
            + ", ".join(f"{v}__" for v in d["variants"])
            + " and "
            + " or ".join(f"{v}__" for v in d["local"])
            + f" variants, called by {e.model}"
        )
    if e.mutation:
        out.append(
            f"inserts invalid {e.mutation['column']} values and expects your {e.mutation['test']} test to "
            "catch each of them"
        )
    if e.incremental:
        out.append(
            "alters a row of the latest and of the oldest month, runs your model incrementally, and expects "
            "the latest month recomputed and the oldest untouched"
        )
    return out
