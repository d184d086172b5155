"""Row checks, vectorised over a chunk's string columns: each check is a boolean mask and a row's first failing
check is its reason (control characters and widths first, then required values, numbers, dates, data IDs, code
lists, 様式1/H payloads, the delivery's facility and month, dates in order). Warnings and nulled fields are
recorded on kept rows; a fault in a unit's key (様式1 form, EF act) is remembered so that the whole unit is
quarantined (docs/decisions/0025).

Widths and control characters (issue 25, item 5): a value longer than its column's width in cp932 bytes (the
specification's 桁数, ``dpc/layouts.py``; 可変長 fields only over ``VARIABLE_MAX_BYTES``), or holding a control
character (C0 — tab included: no format lets a field hold one, it is the TSV delimiter and K is comma-separated
(p154) —, DEL, C1), quarantines its row when the column is in the unit's key, required or データ識別番号, and
otherwise nulls the field with a finding (``field_too_wide``, ``field_control_character``), as
docs/decisions/0025 rules for payload faults. Either way the value never reaches stage, and no reason quotes it."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from dpc import checks as rules
from dpc.layouts import VARIABLE_MAX_BYTES, WARN_ONLY_LISTS, Column, Layout
from dpc.readers.context import ReadContext
from dpc.readers.findings import Finding

if TYPE_CHECKING:  # imported lazily at run time, for FF1 and H only
    from dpc.payload_checks import Describe, FieldCheck

_INT_RE = r"^-?\d{1,18}$"
_DECIMAL_RE = r"^-?\d{1,14}(\.\d{0,4}0*)?$"
_DIGITS_RE = r"^\d+$"
_CONTROL_RE = "[\x00-\x1f\x7f-\x9f]"
# characters cp932 writes in one byte: ASCII and half-width katakana (U+FF61–FF9F); every other character takes
# two (one cp932 cannot encode at all is counted as two, as wide as any it can)
_ONE_BYTE_RE = "[\x00-\x7f\uff61-\uff9f]"
_SHOWN = 40  # characters of a value a reason may quote (a 20 MB value is never repeated)


@dataclass
class _Check:
    code: str
    column: str | None
    mask: pa.Array
    describe: Describe


def validate(
    ctx: ReadContext,
    cols: dict[str, pa.Array],
    line_numbers: pa.Array,
    texts: pa.Array | None,
    raw_for: Callable[[int], str] | None = None,
) -> tuple[pa.Array | None, list[Finding]]:
    """Row checks: each a boolean mask; a row's first failing check is its reason. Warnings and field findings
    (a payload value nulled on a kept row) go to ``ctx``; faults in a unit's key are remembered for
    :func:`assemble`, which quarantines the rest of the unit."""
    layout = ctx.layout
    n = len(line_numbers)
    if n == 0:
        return None, []
    checks: list[_Check] = []
    warns: list[_Check] = []

    def val(name: str) -> Callable[[int], str]:
        c = layout.column(name) if name in layout.names else None
        if c is not None and (c.type in ("direct", "insurer") or c.partial_date):
            return lambda i: "(a direct identifier, not shown)"
        return lambda i: quoted(cols[name][i].as_py())

    fields = _width_and_control(layout, cols, checks, ctx.controls_possible)
    empties = {name: pc.equal(arr, "") for name, arr in cols.items()}
    is_sy = (
        pc.fill_null(pc.equal(cols["data_category"], "SY"), False)
        if layout.kind == "EFg"
        else pa.repeat(pa.scalar(False), n)
    )
    year = rules.survey_year(ctx.yyyymm) if ctx.yyyymm else None
    for c in layout.columns:
        arr, empty = cols[c.name], empties[c.name]
        if c.required:
            checks.append(_Check("missing_value", c.name, empty, lambda i, c=c: f"{c.ja} is empty"))
        if c.type == "pid":
            bad = pc.and_(pc.invert(empty), pc.invert(pc.match_substring_regex(arr, r"^\d{10}$")))
            checks.append(
                _Check(
                    "invalid_data_id",
                    c.name,
                    bad,
                    lambda i, c=c: f"{c.ja} has {len(cols[c.name][i].as_py())} characters: it is 10 digits (p20)",
                )
            )
        pattern = {"int": _INT_RE, "decimal": _DECIMAL_RE, "code": _DIGITS_RE}.get(c.type)
        if pattern:
            # fast path: ASCII digits only are valid when short enough (utf8_is_digit alone also accepts
            # full-width and other Unicode digits, which the typed cast then cannot parse)
            digits = pc.and_(pc.string_is_ascii(arr), pc.utf8_is_digit(arr))
            if c.type != "code":
                digits = pc.and_(digits, pc.less_equal(pc.binary_length(arr), 14))
            bad = pc.and_(pc.invert(empty), pc.invert(digits))
            if pc.any(bad).as_py():
                bad = pc.and_(bad, pc.invert(pc.match_substring_regex(arr, pattern)))
            kind = {"int": "an integer", "decimal": "a decimal (≤ 14 digits, ≤ 4 decimals)", "code": "digits"}[c.type]
            checks.append(
                _Check("not_numeric", c.name, bad, lambda i, c=c, k=kind: f"{c.ja} {val(c.name)(i)} is not {k}")
            )
        if c.type == "date":
            if c.partial_date:
                ok, allowed = rules.valid_partial_date(arr), "yyyymmdd, unknown parts as 0 (p42, p154)"
            elif layout.kind == "EFg" and c.name == "visit_date":
                ok = pc.or_(rules.valid_date(arr), pc.and_(is_sy, rules.month00(arr)))
                allowed = "yyyymmdd (yyyymm00 only on SY rows, p201 (3))"
            else:
                ok, allowed = rules.valid_date(arr), "yyyymmdd or 00000000"
            bad = pc.and_(pc.invert(empty), pc.invert(ok))
            checks.append(
                _Check(
                    "invalid_date",
                    c.name,
                    bad,
                    lambda i, c=c, a=allowed: f"{c.ja} {val(c.name)(i)} is not a date the specification allows: {a}",
                )
            )
        if c.codes:
            code_rule = rules.code_check(c.codes, year, c.codes in WARN_ONLY_LISTS)
            outside = pc.and_(pc.invert(empty), pc.invert(pc.is_in(arr, code_rule.allowed)))
            if not pc.any(outside).as_py():
                continue
            other = pc.and_(outside, pc.is_in(arr, code_rule.other_years))
            pages = ", ".join(f"p{p}" for p in code_rule.pages)
            warns.append(
                _Check(
                    "code_other_year",
                    c.name,
                    other,
                    lambda i, c=c, p=pages: f"{c.ja} {val(c.name)(i)} is defined for another survey year ({p})",
                )
            )
            unknown = pc.and_(outside, pc.invert(other))
            target = warns if code_rule.warn_only else checks
            target.append(
                _Check(
                    "unknown_code",
                    c.name,
                    unknown,
                    lambda i, c=c, p=pages, w=code_rule.warn_only: (
                        f"{c.ja} {val(c.name)(i)} is not in the code list {c.codes} ({p})"
                        + (": kept (hospitals may add codes, or the specification lets this one be free)" if w else "")
                    ),
                )
            )
    if layout.required_on_act or layout.required_on_items:
        is_act = pc.match_substring_regex(cols["detail_no"], r"^0+$")
        for names, on, what in (
            (layout.required_on_act, is_act, "on the act's E record (行為明細番号 000)"),
            (layout.required_on_items, pc.invert(is_act), "on an F record"),
        ):
            for name in names:
                c = layout.column(name)
                checks.append(
                    _Check(
                        "missing_value",
                        name,
                        pc.and_(on, empties[name]),
                        lambda i, c=c, w=what: f"{c.ja} is empty {w} (必須, p{c.page})",
                    )
                )
    if "detail_flags" in cols:
        arr = cols["detail_flags"]
        bad = pc.and_(pc.invert(empties["detail_flags"]), pc.not_equal(pc.binary_length(arr), 12))
        checks.append(
            _Check(
                "invalid_detail_flags",
                "detail_flags",
                bad,
                lambda i: f"行為明細区分情報 {val('detail_flags')(i)} is not 12 digits (p198 F-19, p206)",
            )
        )
    if layout.kind in ("FF1", "H"):
        from dpc.payload_checks import payload_checks

        record, payload_fields, warned = payload_checks(layout, cols, empties)
        checks.extend(_Check(*r) for r in record)
        warns.extend(_Check(*w) for w in warned)
        fields.extend(payload_fields)
    if ctx.facility:
        bad = pc.not_equal(cols["facility_code"], ctx.facility)
        checks.append(
            _Check(
                "facility_mismatch",
                "facility_code",
                bad,
                lambda i: f"施設コード {val('facility_code')(i)} is not the delivery's {ctx.facility}",
            )
        )
    if "discharge_date" in cols and "admission_date" in cols:
        dis, adm = cols["discharge_date"], cols["admission_date"]
        bad = pc.and_(
            pc.and_(pc.not_equal(dis, "00000000"), pc.not_equal(adm, "00000000")),
            pc.and_(pc.invert(empties["discharge_date"]), pc.less(dis, adm)),
        )
        checks.append(
            _Check(
                "discharge_before_admission",
                "discharge_date",
                bad,
                lambda i: f"退院年月日 {val('discharge_date')(i)} is before 入院年月日 {val('admission_date')(i)}",
            )
        )
    if "birth_date" in cols and "visit_date" in cols:
        bad = pc.and_(pc.invert(empties["birth_date"]), pc.greater(cols["birth_date"], cols["visit_date"]))
        checks.append(
            _Check(
                "invalid_date",
                "birth_date",
                bad,
                lambda i: f"生年月日 is after 外来受診年月日 {val('visit_date')(i)}",
            )
        )
    if layout.service_date_column and ctx.yyyymm:
        svc = cols[layout.service_date_column]
        # an outpatient SY row carries its 診療開始日, which may be earlier than the month (p202 (8))
        bad = pc.and_(
            pc.and_(pc.invert(empties[layout.service_date_column]), pc.invert(is_sy)),
            pc.not_equal(pc.utf8_slice_codeunits(svc, 0, 6), str(ctx.yyyymm)),
        )
        checks.append(
            _Check(
                "service_date_outside_month",
                layout.service_date_column,
                bad,
                lambda i: f"実施年月日 {val(layout.service_date_column)(i)} is outside the delivery month {ctx.yyyymm}",
            )
        )
    if "visit_date" in cols and ctx.yyyymm:
        bad = pc.and_(
            pc.invert(empties["visit_date"]),
            pc.not_equal(pc.utf8_slice_codeunits(cols["visit_date"], 0, 6), str(ctx.yyyymm)),
        )
        checks.append(
            _Check(
                "service_date_outside_month",
                "visit_date",
                bad,
                lambda i: f"外来受診年月日 {val('visit_date')(i)} is outside the delivery month {ctx.yyyymm}",
            )
        )
    if "service_month" in cols and ctx.yyyymm:
        bad = pc.and_(pc.invert(empties["service_month"]), pc.not_equal(cols["service_month"], str(ctx.yyyymm)))
        checks.append(
            _Check(
                "service_date_outside_month",
                "service_month",
                bad,
                lambda i: f"実施年月 {val('service_month')(i)} is not the delivery month {ctx.yyyymm} (p154)",
            )
        )

    reason = pa.nulls(n, pa.int16())
    any_bad = None
    for k, chk in enumerate(checks):
        mask = pc.fill_null(chk.mask, False)
        if not pc.any(mask).as_py():
            continue
        reason = pc.if_else(pc.and_(mask, pc.is_null(reason)), pa.scalar(k, pa.int16()), reason)
        any_bad = mask if any_bad is None else pc.or_(any_bad, mask)
    kept = pa.repeat(pa.scalar(True), n) if any_bad is None else pc.invert(any_bad)
    for w in warns:
        mask = pc.and_(pc.fill_null(w.mask, False), kept)
        for i in pc.indices_nonzero(mask).to_pylist():
            ctx.warnings.append(Finding(line_numbers[i].as_py(), w.column, w.code, w.describe(i), ""))
    for column, mask, code, describe in fields:
        mask = pc.and_(pc.fill_null(mask, False), kept)
        if not pc.any(mask).as_py():
            continue
        for i in pc.indices_nonzero(mask).to_pylist():
            ctx.field_findings.append(Finding(line_numbers[i].as_py(), column, code, describe(i), ""))
        cols[column] = pc.if_else(mask, "", cols[column])
    if any_bad is None:
        return None, []
    findings = []
    key_columns = {c.name for c in layout.columns if c.key}
    units = unit_keys(layout, cols) if layout.unit else None
    for i in pc.indices_nonzero(any_bad).to_pylist():
        chk = checks[reason[i].as_py()]
        ln = line_numbers[i].as_py()
        if raw_for:
            raw = raw_for(ln)
        else:
            assert texts is not None  # the callers pass the line texts or raw_for
            raw = ctx.raw(texts[i].as_py())
        findings.append(Finding(ln, chk.column, chk.code, chk.describe(i), raw))
        if units is not None and (chk.column in key_columns or chk.code == "invalid_data_id"):
            ctx.unit_faults.setdefault(units[i].as_py(), (ln, chk.describe(i)))
    return pc.invert(any_bad), findings


def quoted(value: str) -> str:
    """A value as a reason may quote it: repr (control characters escaped), at most ``_SHOWN`` characters."""
    if len(value) <= _SHOWN:
        return repr(value)
    return f"{value[:_SHOWN]!r}…({len(value)} characters)"


def cp932_length(arr: pa.Array) -> pa.Array:
    """Each value's length in cp932 bytes, vectorised: two per character, less one per one-byte character."""
    chars = pc.multiply(pc.utf8_length(arr), 2)
    return pc.subtract(chars, pc.count_substring_regex(arr, _ONE_BYTE_RE))


def too_wide(c: Column, arr: pa.Array) -> pa.Array | None:
    """Which values are longer than the column allows — cp932 bytes; 可変長 columns: UTF-8 bytes over
    VARIABLE_MAX_BYTES — or None when none is. Bounded work whatever the values: a value has at least as many
    cp932 bytes as characters and at most as many as UTF-8 bytes, so only a value of no more characters than the
    width but more UTF-8 bytes is counted exactly (and it is short)."""
    utf8 = pc.binary_length(arr)
    longest = pc.max(utf8).as_py()
    limit = VARIABLE_MAX_BYTES if c.variable else c.width
    if longest is None or longest <= limit:
        return None
    if c.variable:
        return pc.greater(utf8, limit)
    over = pc.greater(utf8, limit)
    sure = pc.greater(pc.utf8_length(arr), limit)
    maybe = pc.and_(over, pc.invert(sure))
    if pc.any(maybe).as_py():
        short = pc.if_else(maybe, arr, "")  # the others counted as empty: no regex over a 20 MB value
        sure = pc.or_(sure, pc.and_(maybe, pc.greater(cp932_length(short), limit)))
    return sure if pc.any(sure).as_py() else None


def cp932_bytes(value: str) -> int:
    """One value's length in cp932 bytes as Python's codec writes it (a character it cannot encode counts 2)."""
    return len(value.encode("cp932", errors="dpc_two_bytes"))


def _two_bytes(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeEncodeError)
    return "??" * (exc.end - exc.start), exc.end


codecs.register_error("dpc_two_bytes", _two_bytes)


def _width_and_control(
    layout: Layout, cols: dict[str, pa.Array], checks: list[_Check], controls_possible: bool = True
) -> list[FieldCheck]:
    """The first checks of every row (module docstring): a control character or an over-wide value quarantines the
    row in a key, required or データ識別番号 column; elsewhere the field is nulled here (so that no later check reads
    it) and a finding is returned, recorded if the row is kept."""
    fields: list[FieldCheck] = []
    hard = {c.name for c in layout.columns if c.key or c.required or c.type == "pid"}
    hard.update(layout.required_on_act, layout.required_on_items)  # required where their record carries them
    for c in layout.columns:
        arr = cols[c.name]
        control = pc.match_substring_regex(arr, _CONTROL_RE) if controls_possible else None
        control = control if control is not None and pc.any(control).as_py() else None
        wide = too_wide(c, arr)
        if control is None and wide is None:
            continue
        values = cols[c.name]  # as delivered: the describers read them for quarantined rows only

        def said_control(i: int, c: Column = c, values: pa.Array = values) -> str:
            v = values[i].as_py()
            m = re.search(_CONTROL_RE, v)
            at = f"U+{ord(m.group()):04X} at character {m.start() + 1}" if m else "one"
            return f"{c.ja} holds a control character ({at}): no field may (p{c.page})"

        def said_wide(i: int, c: Column = c, values: pa.Array = values) -> str:
            v = values[i].as_py()
            if c.variable:
                n = len(v.encode())
                return f"{c.ja} has {n} UTF-8 bytes, more than every engine stores ({VARIABLE_MAX_BYTES}; 可変長, p{c.page})"
            return f"{c.ja} has {cp932_bytes(v)} bytes in cp932, the specification allows {c.width} (p{c.page})"

        if wide is not None and control is not None:
            wide = pc.and_(wide, pc.invert(control))  # one finding per field: the control character
        if c.name in hard:
            if control is not None:
                checks.append(_Check("control_character", c.name, control, said_control))
            if wide is not None:
                checks.append(_Check("value_too_wide", c.name, wide, said_wide))
            continue
        if control is not None:
            fields.append((c.name, control, "field_control_character", said_control))
        if wide is not None:
            fields.append((c.name, wide, "field_too_wide", said_wide))
        gone = control if wide is None else wide if control is None else pc.or_(control, wide)
        cols[c.name] = pc.if_else(gone, "", arr)
    return fields


def unit_keys(layout: Layout, cols: dict[str, pa.Array]) -> pa.Array:
    """The unit (様式1 form, EF act) of each row, as delivered: its unit columns joined."""
    return pc.binary_join_element_wise(*(cols[c] for c in layout.unit), "\x1f")
