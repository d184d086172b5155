"""Comparing the learner's result with the hidden reference: the reference query's rows and the learner's relation
are fetched, normalised per column type and compared key by key, column by column (floats within 1e-6). The
report says what differs — counts, a few keys, the learner's own values and whether the expected value is higher
or lower — never the reference query or its result."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dpc.exercises import Exercise

EXAMPLES = 3


REL_TOL = 1e-6

ABS_TOL = 1e-6

_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "INT",
    "INT4",
    "INT8",
}

_ACCEPTS = {
    "text": {"text"},
    "integer": {"integer", "number"},
    "number": {"integer", "number"},
    "boolean": {"boolean"},
    "date": {"date"},
    "timestamp": {"timestamp"},
}


def fetch_reference(con: Any, e: Exercise, variables: dict[str, Any]) -> list[tuple[Any, ...]]:
    cur = con.execute(f"select {', '.join(e.column_names())} from ({e.reference_sql(variables)}) as reference")
    return [tuple(_norm(v, c.type) for v, c in zip(row, e.columns, strict=True)) for row in cur.fetchall()]


def compare_relation(
    con: Any, relation: tuple[str, str], e: Exercise, expected: list[tuple[Any, ...]]
) -> tuple[list[str], int | None]:
    schema, name = relation
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    )
    if not types:
        return [f"{schema}.{name} does not exist in your sandbox (was it built as ephemeral?)"], None
    problems: list[str] = []
    missing = [c.name for c in e.columns if c.name not in types]
    if missing:
        problems.append(f"columns missing from {name}: {', '.join(missing)} (`dpc exercise show {e.id}` lists them)")
    for c in e.columns:
        if c.name in types and _family(types[c.name]) not in _ACCEPTS[c.type]:
            problems.append(f"column {c.name} is {types[c.name]}; expected {c.type}")
    if problems:
        return problems, None
    rows = fetch_actual(con, relation, e)
    return compare(e, expected, rows), len(rows)


def fetch_actual(con: Any, relation: tuple[str, str], e: Exercise) -> list[tuple[Any, ...]]:
    schema, name = relation
    columns = ", ".join(f'"{c}"' for c in e.column_names())
    rows = con.execute(f'select {columns} from "{schema}"."{name}"').fetchall()
    return [tuple(_norm(v, c.type) for v, c in zip(row, e.columns, strict=True)) for row in rows]


def compare(e: Exercise, expected: list[tuple[Any, ...]], actual: list[tuple[Any, ...]]) -> list[str]:
    """What differs between the learner's rows and the reference rows — without printing the reference."""
    names = e.column_names()
    key_idx = [names.index(k) for k in e.key]
    keyed_expected = {tuple(r[i] for i in key_idx): r for r in expected}
    counts = Counter(tuple(r[i] for i in key_idx) for r in actual)
    keyed_actual: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for r in actual:
        keyed_actual.setdefault(tuple(r[i] for i in key_idx), r)
    problems: list[str] = []
    duplicates = [k for k, n in counts.items() if n > 1]
    if duplicates:
        problems.append(
            f"{len(duplicates)} key(s) occur more than once (one row per {', '.join(e.key)} expected), "
            f"e.g. {_examples(e, duplicates)}"
        )
    missing = [k for k in keyed_expected if k not in keyed_actual]
    extra = [k for k in keyed_actual if k not in keyed_expected]
    if missing or extra or duplicates:
        problems.insert(0, f"expected {len(expected)} rows, yours has {len(actual)}")
    if missing:
        problems.append(f"{len(missing)} row(s) missing, e.g. {_examples(e, missing)}")
    if extra:
        problems.append(f"{len(extra)} row(s) that should not be there, e.g. {_examples(e, extra)}")
    common = [k for k in keyed_expected if k in keyed_actual]
    for i, column in enumerate(e.columns):
        if i in key_idx:
            continue
        wrong = [k for k in common if not _equal(keyed_actual[k][i], keyed_expected[k][i])]
        if wrong:
            shown = "; ".join(
                f"at {_key_text(e, k)}: yours {value_text(keyed_actual[k][i])} — "
                f"{_direction(keyed_actual[k][i], keyed_expected[k][i])}"
                for k in wrong[:2]
            )
            problems.append(f"column {column.name}: {len(wrong)} of {len(common)} rows differ ({shown})")
    return problems


def _norm(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("integer", "number") and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return float(value)
    if kind == "date" and isinstance(value, datetime):
        return value.date()
    return value


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _direction(actual: Any, expected: Any) -> str:
    if expected is None:
        return "expected NULL here"
    if actual is None:
        return "expected a value"
    if isinstance(actual, float) and isinstance(expected, float):
        return "expected is higher" if expected > actual else "expected is lower"
    return "expected differs"


def _family(data_type: str) -> str:
    t = data_type.upper()
    if t in _INTEGER_TYPES:
        return "integer"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "integer" if t.replace(" ", "").endswith(",0)") else "number"
    if t in ("DOUBLE", "FLOAT", "REAL", "FLOAT4", "FLOAT8"):
        return "number"
    if t.startswith(("VARCHAR", "TEXT", "STRING", "CHAR")):
        return "text"
    if t in ("BOOLEAN", "BOOL"):
        return "boolean"
    if t == "DATE":
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return t.lower()


def value_text(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.6g}"
    if isinstance(v, date):
        return v.isoformat()
    return repr(v) if isinstance(v, str) else str(v)


def _key_text(e: Exercise, key: tuple[Any, ...]) -> str:
    return "(" + ", ".join(f"{k}={value_text(v)}" for k, v in zip(e.key, key, strict=True)) + ")"


def _examples(e: Exercise, keys: list[tuple[Any, ...]]) -> str:
    ordered = sorted(keys, key=lambda k: tuple((v is None, str(v)) for v in k))
    more = f" and {len(keys) - EXAMPLES} more" if len(keys) > EXAMPLES else ""
    return ", ".join(_key_text(e, k) for k in ordered[:EXAMPLES]) + more
