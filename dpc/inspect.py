"""``dpc inspect PATH… [--json]``: what a delivered file is, without loading anything (issue 7 item 2).

Uses the same reader as the normaliser (:func:`dpc.readers.read_delivered_file`), so the accepted,
quarantined and warning counts are exactly what loading the file would give. Raw lines are never printed; what is
printed (paths, reasons) goes through the terminal sanitiser (:mod:`dpc.terminal`).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from dpc.readers import FileRejected, ReadResult, read_delivered_file, reject_if_nothing_accepted
from dpc.terminal import printable, printable_json

FIRST_LINES = 5


def _date_column(kind: str) -> str:
    return "admission_date" if kind in ("FF1", "FF4", "K") else "service_date"


def summarise(path: str, result: ReadResult) -> dict[str, object]:
    acc = result.accepted
    kind = result.kind
    patients = stays = 0
    date_from = date_to = None
    if acc.num_rows:
        pid = acc["data_id"]
        patients = pc.count_distinct(pid).as_py()
        second = "visit_date" if kind == "EFg" else "admission_date"
        stays = acc.group_by(["data_id", second], use_threads=False).aggregate([]).num_rows
        dates = acc[_date_column(kind)]
        real = dates.filter(pc.and_(pc.not_equal(dates, ""), pc.not_equal(dates, "00000000")))
        if len(real):
            mm = pc.min_max(real)
            date_from, date_to = mm["min"].as_py(), mm["max"].as_py()
    first_lines: dict[str, list[int]] = {}
    for f in result.quarantined:
        lines = first_lines.setdefault(f.reason_code, [])
        if len(lines) < FIRST_LINES:
            lines.append(f.line)
    warning_lines: dict[str, list[int]] = {}
    for f in result.warnings:
        lines = warning_lines.setdefault(f.reason_code, [])
        if len(lines) < FIRST_LINES:
            lines.append(f.line)
    return {
        "path": path,
        "kind": kind,
        "layout": result.layout_variant,
        "encoding": result.encoding,
        "header": result.header,
        "line_ending": result.line_ending,
        "rows": result.data_rows,
        "patients": patients,
        "stays": stays,
        "date_from": date_from,
        "date_to": date_to,
        "accepted": acc.num_rows,
        "quarantined": len(result.quarantined),
        "warnings": len(result.warnings),
        "reasons": result.reasons,
        "first_lines": first_lines,
        "warning_reasons": result.warning_reasons,
        "warning_first_lines": warning_lines,
        "fields_nulled": len(result.field_findings),
        "field_reasons": dict(sorted(Counter(f.reason_code for f in result.field_findings).items())),
    }


def inspect_file(path: str | Path) -> dict[str, object]:
    """Facts about one delivered file (raises :class:`FileRejected` for a file-level fault)."""
    p = Path(path)
    result = read_delivered_file(p.name, p.read_bytes())
    reject_if_nothing_accepted(result)  # as the normaliser would: such a file rejects its delivery
    return summarise(str(path), result)


def _table(rows: list[dict[str, Any]]) -> str:
    cols = (
        "path",
        "kind",
        "layout",
        "encoding",
        "header",
        "line_ending",
        "rows",
        "patients",
        "stays",
        "date_from",
        "date_to",
        "accepted",
        "quarantined",
        "fields_nulled",
        "warnings",
    )
    cells = [[printable(r.get(c, "")) if r.get(c) is not None else "" for c in cols] for r in rows]
    widths = [max([len(c)] + [len(x[i]) for x in cells]) for i, c in enumerate(cols)]
    out = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    out += ["  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)) for x in cells]
    for r in rows:
        for title, counts, lines in (
            ("quarantined", "reasons", "first_lines"),
            ("warnings", "warning_reasons", "warning_first_lines"),
        ):
            for reason, n in r[counts].items():
                first = ", ".join(map(str, r[lines][reason]))
                out.append(f"{printable(r['path'])}: {title} {reason}: {n} (first lines {first})")
    return "\n".join(out)


def main_inspect(paths: list[str], as_json: bool) -> int:
    """Print facts for each file (a table, or one JSON document); 2 if any file is rejected (reason on stderr)."""
    results: list[dict[str, object]] = []
    code = 0
    for path in paths:
        try:
            results.append(inspect_file(path))
        except FileRejected as exc:
            code = 2
            print(f"rejected: {printable(exc)}", file=sys.stderr)
            results.append({"path": path, "rejected": str(exc)})
        except OSError as exc:
            code = 2
            print(f"cannot read {printable(path)}: {printable(exc)}", file=sys.stderr)
            results.append({"path": path, "rejected": str(exc)})
    if as_json:
        print(printable_json(json.dumps(results, ensure_ascii=False, indent=2)))
    else:
        ok = [r for r in results if "rejected" not in r]
        if ok:
            print(_table(ok))
    return code


__all__ = ["inspect_file", "main_inspect", "summarise"]
