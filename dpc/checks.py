"""Value rules of the specification, vectorised over Arrow columns (used by :mod:`dpc.readers`).

Each function answers one question about a column of text values and cites the page that asks it. Dates are
checked once per distinct value (dates repeat a great deal in a month's file).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from dpc import code_lists

_DATE_RE = r"^\d{8}$"


def _dictionary_apply(col: pa.Array | pa.ChunkedArray, fn: object) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    encoded = pc.dictionary_encode(col)
    return pc.take(fn(encoded.dictionary), encoded.indices)  # type: ignore[operator]


def _mod(a: pa.Array, n: int) -> pa.Array:
    return pc.subtract(a, pc.multiply(pc.divide(a, n), n))


def _parts(col: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    fmt = pc.match_substring_regex(col, _DATE_RE)
    safe = pc.if_else(fmt, col, "20000101")
    y = pc.utf8_slice_codeunits(safe, 0, 4).cast(pa.int32())
    m = pc.utf8_slice_codeunits(safe, 4, 6).cast(pa.int32())
    d = pc.utf8_slice_codeunits(safe, 6, 8).cast(pa.int32())
    return fmt, y, m, d


def _real_values(col: pa.Array) -> pa.Array:
    fmt, y, m, d = _parts(col)
    leap = pc.or_(pc.and_(pc.equal(_mod(y, 4), 0), pc.not_equal(_mod(y, 100), 0)), pc.equal(_mod(y, 400), 0))
    month_days = pa.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int32())
    m_ok = pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12))
    dim = pc.take(month_days, pc.if_else(m_ok, m, 0))
    dim = pc.if_else(pc.and_(pc.equal(m, 2), leap), 29, dim)
    real = pc.and_(m_ok, pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, dim)))
    return pc.and_(fmt, pc.and_(real, pc.greater_equal(y, 1800)))


def _date_values(col: pa.Array) -> pa.Array:
    return pc.or_(_real_values(col), pc.equal(col, "00000000"))


def _partial_date_values(col: pa.Array) -> pa.Array:
    """Birth dates: unknown parts written as 0 — ``19710000``, ``19710500`` — and ``00000000`` when the year is
    unknown even if month and day are known (p42, p154, p201 (2))."""
    fmt, y, m, d = _parts(col)
    year_only = pc.and_(pc.equal(m, 0), pc.equal(d, 0))
    year_month = pc.and_(pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12)), pc.equal(d, 0))
    partial = pc.and_(fmt, pc.and_(pc.greater_equal(y, 1800), pc.or_(year_only, year_month)))
    return pc.or_(_date_values(col), partial)


def _month00_values(col: pa.Array) -> pa.Array:
    """``yyyymm00``: the visit month of an outpatient SY (傷病名) row (p201 (3), p204 E-4)."""
    fmt, y, m, d = _parts(col)
    return pc.and_(fmt, pc.and_(pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12)), pc.equal(d, 0)))


def valid_date(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A real yyyymmdd date, or ``00000000`` (not yet known: an undischarged stay, p197 E-4)."""
    return _dictionary_apply(col, _date_values)


def valid_partial_date(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    return _dictionary_apply(col, _partial_date_values)


def month00(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    return _dictionary_apply(col, _month00_values)


def survey_year(yyyymm: int) -> int:
    """The survey (fiscal) year of a month: April–March (令和7年度 = April 2025 – March 2026)."""
    return yyyymm // 100 if yyyymm % 100 >= 4 else yyyymm // 100 - 1


@dataclass(frozen=True)
class CodeCheck:
    """The codes of one list valid in a survey year, and those the list defines for other years only."""

    list_id: str
    allowed: pa.Array
    other_years: pa.Array
    warn_only: bool
    pages: tuple[int, ...]


@cache
def code_check(list_id: str, year: int | None, warn_only: bool) -> CodeCheck:
    lst = code_lists.load(list_id)
    allowed: list[str] = []
    other: list[str] = []
    for code, entry in lst.codes.items():
        first = getattr(entry, "first_survey_year", None)
        last = getattr(entry, "last_survey_year", None)
        if year is not None and ((first is not None and year < first) or (last is not None and year > last)):
            other.append(code)
        else:
            allowed.append(code)
    return CodeCheck(
        list_id,
        pa.array(sorted(allowed), pa.string()),
        pa.array(sorted(other), pa.string()),
        warn_only or bool(lst.extendable),
        tuple(lst.pages),
    )
