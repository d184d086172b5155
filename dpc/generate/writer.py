"""Serialise rows as a delivered file: tab-separated or fixed-width, CRLF, cp932 (or UTF-8).

Fixed width (the old EF and D files): each field is padded to its layout width counted in bytes of the
output encoding (cp932 by default): numbers, codes and dates right-aligned and zero-padded, text
left-aligned and space-padded; an empty field is all spaces. Fixed-width files never have a title row.
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
        return b"0" * (width - len(raw)) + raw
    return raw + b" " * (width - len(raw))


def encode_rows(layout: Layout, rows: list[list[str]], *, header: bool, encoding: str, fixed_width: bool) -> bytes:
    n = len(layout.columns)
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
        if header:
            out.append("\t".join(c.ja for c in layout.columns).encode(encoding))
        for row in rows:
            assert len(row) == n, (layout.kind, len(row), row)
            out.append("\t".join(row).encode(encoding))
    return b"".join(line + CRLF for line in out)


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
