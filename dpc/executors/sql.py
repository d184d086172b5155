"""SQL text shared by the executors that write SQL for a warehouse (Redshift, Athena): checked identifiers, literals,
and the key predicate a plan's keys become. STANDARD LIBRARY ONLY. Table and column names come from the catalog,
deliveries from validated paths; each is checked here anyway before it reaches a statement."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from dpc.steps import publish as publish_rule
from dpc.steps.publish import TablePublish

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_FACILITY = re.compile(r"^\d{9}$")


def identifier(name: str) -> str:
    """A lower-case SQL identifier, checked (table and column names come from the catalog, never from users)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def literal(value: object) -> str:
    """A SQL literal: NULL, numbers and booleans as is, text single-quoted with quotes doubled."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("NUL in a SQL literal")
    return "'" + text.replace("'", "''") + "'"


def check_delivery(facility_code: str, yyyymm: int) -> tuple[str, int]:
    if not _FACILITY.match(str(facility_code)):
        raise ValueError(f"facility code must be 9 digits, got {facility_code!r}")
    month = int(yyyymm)
    if not (190001 <= month <= 299912 and 1 <= month % 100 <= 12):
        raise ValueError(f"not a month yyyymm: {yyyymm!r}")
    return str(facility_code), month


def check_facility(code: str) -> str:
    if not _FACILITY.match(str(code)):
        raise ValueError(f"facility code must be 9 digits, got {code!r}")
    return str(code)


def key_predicate(key_columns: Sequence[str], keys: Iterable[Sequence[Any]]) -> str:
    """``(facility_code = '…' and yyyymm = …) or …`` — the rows whose key is one of ``keys``; ``false`` for none."""
    columns = [identifier(c) for c in key_columns]
    terms = []
    for key in sorted(tuple(k) for k in keys):
        if "facility_code" in columns:
            check_facility(key[columns.index("facility_code")])
        terms.append("(" + " and ".join(f"{c} = {literal(v)}" for c, v in zip(columns, key, strict=True)) + ")")
    return " or ".join(terms) if terms else "false"


def replace_statements(plan: TablePublish, published: str, source: str) -> list[str]:
    """DELETE then INSERT … SELECT of the rows a publication's table plan replaces — its keys, every facility but
    the held-back ones, or every row — in SQL that Redshift and Athena read alike. A table to re-create, or kept,
    is the caller's (their DDL differs)."""
    cols = ", ".join(identifier(c) for c in plan.columns)
    if plan.mode == publish_rule.WHOLE:
        return [f"delete from {published}", f"insert into {published} ({cols}) select {cols} from {source}"]
    where = key_predicate(plan.key_columns, plan.keys)
    if plan.mode == publish_rule.FACILITIES:
        where = f"not ({where})"
    return [
        f"delete from {published} where {where}",
        f"insert into {published} ({cols}) select {cols} from {source} where {where}",
    ]
