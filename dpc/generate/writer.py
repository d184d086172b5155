"""Serialise rows as a delivered file: delimited (tab, or comma for K生成用データ) or fixed-width, CRLF, cp932.

Delimited files have the title row only where the caller asks for it (様式1 and H must have one, p17; 様式4 and
K生成用データ have none, p140, p154). K生成用データ values are never quoted and may not contain a comma (p154 注2,
注3).

Fixed width (the old EF and D records): each field is padded to its layout width counted in bytes of the output
encoding: numbers, codes and dates right-aligned and zero-padded (a negative number keeps its sign first:
``-0000066``), text left-aligned and space-padded; an empty field is all spaces. Fixed-width files never have a
title row.
"""

from __future__ import annotations

from pathlib import Path

from dpc.layouts import Layout

NUMERIC_TYPES = frozenset({"int", "decimal", "code", "date"})
CRLF = b"\r\n"


def fixed_width_field(value: str, width: int, type_: str, encoding: str) -> bytes:
    raw = value.encode(encoding)
    if len(raw) > width:
        raise ValueError(f"value {value!r} is {len(raw)} bytes, wider than its field ({width})")
    if not value:
        return b" " * width
    if type_ in NUMERIC_TYPES:
        if raw.startswith(b"-"):
            return b"-" + b"0" * (width - len(raw)) + raw[1:]
        return b"0" * (width - len(raw)) + raw
    return raw + b" " * (width - len(raw))


def encode_rows(layout: Layout, rows: list[list[str]], *, header: bool, encoding: str, fixed_width: bool) -> bytes:
    n = len(layout.columns)
    shortest = n - layout.omissible_trailing
    out: list[bytes] = []
    if fixed_width:
        for row in rows:
            assert len(row) == n, (layout.kind, len(row), row)
            out.append(
                b"".join(
                    fixed_width_field(v, c.width, c.type, encoding) for v, c in zip(row, layout.columns, strict=True)
                )
            )
    else:
        sep = layout.delimiter
        lines: list[str] = []
        if header:
            lines.append(sep.join(c.ja for c in layout.columns))
        for row in rows:
            line = sep.join(row)
            # the row's field count, and no delimiter or line end inside a value (K: no commas, p154 注2)
            assert shortest <= len(row) <= n and line.count(sep) == len(row) - 1, (layout.kind, row)
            lines.append(line)
        text = "\r\n".join(lines)
        assert "\n" not in text.replace("\r\n", ""), layout.kind
        return (text + "\r\n").encode(encoding) if lines else b""
    return b"".join(line + CRLF for line in out)


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
