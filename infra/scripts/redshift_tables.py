"""Write the tables of infra/sql/redshift_bootstrap.sql that the pipeline loads into, from the normaliser's schemas.

LoadRaw ``COPY``s the normalised Parquet (``stage/<slug>/…`` and ``stage/quarantine_<slug>/…``) into
``raw.<slug>`` and ``dq.quarantine_<slug>`` with ``FORMAT AS PARQUET``, which maps columns by position: the tables
must have exactly the columns of :func:`dpc.steps.normalise.normalised_schema` and
:func:`dpc.steps.normalise.quarantine_schema`, in that order, with compatible types. ``dq.load_history`` takes its
columns from :data:`dpc.steps.load.LOAD_HISTORY_DDL` (the table the DuckDB pipeline writes). Generated, so the
layouts stay the one source (LAYOUT.md: layouts are data).

``python infra/scripts/redshift_tables.py`` rewrites the block between the BEGIN/END markers of the bootstrap SQL;
``--check`` fails when it is stale (tests/python/test_terraform.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dpc.executors.duckdb import LOAD_HISTORY_DDL  # noqa: E402
from dpc.generated import write_or_check  # noqa: E402
from dpc.layouts import KIND_SLUG, LAYOUTS  # noqa: E402
from dpc.steps.normalise import normalised_schema, quarantine_schema  # noqa: E402

OUT = ROOT / "infra" / "sql" / "redshift_bootstrap.sql"
BEGIN = "-- BEGIN generated tables (python infra/scripts/redshift_tables.py; do not edit by hand)"
END = "-- END generated tables"
# Text is bounded by the layout widths in cp932 bytes (longer values are quarantined or nulled: readers'
# value_too_wide, field_too_wide) and 可変長 fields by 65535 UTF-8 bytes (dpc.layouts.VARIABLE_MAX_BYTES); Japanese
# text takes up to 3 UTF-8 bytes per cp932 byte. VARCHAR(MAX) = 65535 bytes.
TEXT = "varchar(65535)"
# Bare varchar in LOAD_HISTORY_DDL is DuckDB's unbounded text; Redshift's default would be 256 bytes.
HISTORY_TEXT = "varchar(1024)"


def redshift_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return TEXT
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_int32(t):
        return "integer"
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    raise ValueError(f"no Redshift type for Arrow type {t}")


def _create(table: str, columns: list[tuple[str, str, bool]]) -> str:
    body = ",\n".join(f"  {name} {typ}{' not null' if not_null else ''}" for name, typ, not_null in columns)
    # COPY deletes and appends by facility-month: sort by it; distribution left to Redshift (AUTO).
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{body}\n)\nDISTSTYLE AUTO\nSORTKEY (yyyymm, facility_code);"


def _from_arrow(table: str, schema: pa.Schema) -> str:
    return _create(table, [(f.name, redshift_type(f.type), not f.nullable) for f in schema])


def load_history_columns() -> list[tuple[str, str, bool]]:
    """(name, Redshift type, not null) of dq.load_history, parsed from LOAD_HISTORY_DDL."""
    body = LOAD_HISTORY_DDL[LOAD_HISTORY_DDL.index("(") + 1 : LOAD_HISTORY_DDL.rindex(")")]
    out = []
    for line in body.strip().splitlines():
        m = re.fullmatch(r"\s*(\w+)\s+(.+?)(\s+not null)?,?\s*", line)
        if not m:
            raise ValueError(f"cannot parse LOAD_HISTORY_DDL line: {line!r}")
        typ = m.group(2).strip()
        typ = {"varchar": HISTORY_TEXT, "timestamp with time zone": "timestamptz"}.get(typ, typ)
        out.append((m.group(1), typ, bool(m.group(3))))
    return out


def render_block() -> str:
    parts = [
        "\n".join(
            [
                BEGIN,
                "-- raw.<slug>: the normalised rows (normalised_schema); dq.quarantine_<slug>: the quarantined lines",
                "-- (quarantine_schema); dq.load_history: one row per delivered file. Column order is COPY's order.",
            ]
        )
    ]
    for kind, slug in KIND_SLUG.items():
        if kind not in LAYOUTS:
            raise KeyError(kind)
        parts.append(_from_arrow(f"raw.{slug}", normalised_schema(kind)))
    for slug in KIND_SLUG.values():
        parts.append(_from_arrow(f"dq.quarantine_{slug}", quarantine_schema()))
    parts.append(_create("dq.load_history", load_history_columns()))
    parts.append(END)
    return "\n\n".join(parts)


def render(current: str) -> str:
    if BEGIN not in current or END not in current:
        raise ValueError(f"{OUT} lacks the generated-block markers")
    head, rest = current.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    return head + render_block() + tail


def main(argv: list[str]) -> int:
    return write_or_check(
        {OUT: render(OUT.read_text(encoding="utf-8"))}, argv, "python infra/scripts/redshift_tables.py"
    )


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
