"""Read DPC survey files exactly as hospitals deliver them (issue 7; docs/decisions/0002–0004).

One function, :func:`read_delivered_file`, used by the normaliser (``dpc/steps/normalise.py``)
and by ``dpc inspect``, so both always agree on every count.

What it accepts (detected, never configured by hand):

- the kind from the file-name prefix (``EFn_…``; case-insensitive; prefixes from
  :func:`dpc.config.file_prefixes`, i.e. ``DPC_FILE_PREFIXES``), confirmed by the column count;
- cp932 (Python's ``cp932`` codec is the reference), UTF-8 with or without BOM; CRLF or LF;
- with or without the title row (NFKC comparison, so the half-width katakana 様式1 header
  matches; the ≤ 2015 column names are accepted too);
- tab-separated or, for EF and D, the old fixed-width records (no tabs; fields sliced by the
  published widths in cp932 bytes before decoding).

What it returns: a :class:`ReadResult` whose ``accepted`` table holds the good rows as
trimmed strings (``str`` columns right-trimmed only, so space-padded insurer numbers keep
their leading spaces) plus ``line_number`` (1-based physical line; the title row is line 1),
and ``quarantined``: one :class:`Finding` per rejected row (reason codes in :data:`REASONS`).
``data_rows == len(accepted) + len(quarantined)`` always holds, and ``data_rows`` equals
:func:`dpc.manifest.count_data_rows`.

File-level faults raise :class:`FileRejected` (``FILE:LINE: column COL: reason``): unknown
kind, undecodable or mismatched title row, and files where more than half of the rows are
structurally broken (wrong column count, undecodable, truncated) — i.e. the wrong kind or a
layout change, not a few bad rows.

Privacy: ``Finding.raw_line`` is the verbatim line, except that when a ``key`` is given the
データ識別番号 field is replaced by its pseudonym (and, on a line too broken to locate that
field, every 10-digit number is masked). The normaliser always passes the key, because the
quarantine tables live in the ``dq`` schema, which holds pseudonymised data only. Without a
key (``dpc inspect`` on a local file), raw lines stay verbatim and must never be persisted.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dpc import checks as rules
from dpc.config import file_prefixes
from dpc.layouts import (
    LAYOUTS,
    WARN_ONLY_LISTS,
    Layout,
    fixed_width_variants,
    header_names,
    kind_for_filename,
    normalise_header_field,
    pid_index,
    record_length,
)
from dpc.manifest import has_title_row

if TYPE_CHECKING:  # imported lazily at run time, for FF1 and H only
    from dpc.payload_checks import Describe

# reason_code → what it means (docs and dq accepted-values tests read this)
REASONS: dict[str, str] = {
    "wrong_column_count": "the row does not have the layout's number of columns (or fixed-width record length)",
    "undecodable": "bytes that are not valid in the file's encoding (or a line in another encoding)",
    "truncated_line": "the last line is incomplete (no line end and too few columns): a truncated upload",
    "missing_value": "a required column is empty",
    "not_numeric": "a number or numeric code column holds something else",
    "invalid_date": "a date column is not a yyyymmdd date the specification allows (00000000 = not yet known; birth "
    "dates may have unknown parts written as 0, p42, p154; 外来 SY rows have a yyyymm00 visit month, p201)",
    "invalid_data_id": "データ識別番号 is not 10 digits (p20, p197)",
    "facility_mismatch": "施設コード differs from the delivery's facility",
    "discharge_before_admission": "退院年月日 is before 入院年月日",
    "service_date_outside_month": "実施年月日 is outside the delivery month",
    "unknown_code": "a coded column holds a value outside its code list (dpc/specdata/code_lists)",
    "unknown_version": "a 様式1/H record's バージョン is not one of its item's versions (p20, p147)",
    "empty_payload_record": "every payload of a 様式1/H record is empty: the record must not be written (p20)",
    "invalid_detail_flags": "行為明細区分情報 is not 12 digits (p198 F-19, p206)",
    "duplicate_row": "the row repeats an earlier row of the file exactly",
    "form_key_fault": "another record of the same 様式1 form has a fault in the form's key (the form is one unit)",
    "act_key_fault": "another record of the same EF act has a fault in the act's key (the act is one unit)",
}
# findings on a kept row: the field is nulled and the finding recorded against the row (docs/decisions/0025)
FIELD_FINDINGS: dict[str, str] = {
    "payload_unknown_code": "a payload value outside its item's code list: the field is nulled",
    "payload_invalid_date": "a payload date the specification does not allow: the field is nulled",
    "payload_bad_format": "a payload value without the shape the specification gives: the field is nulled",
    "payload_not_blank": "a value in a payload the item leaves empty (空欄) or does not define: the field is nulled",
}
WARNINGS: dict[str, str] = {
    "value_too_wide": "a value is longer than the layout's width (kept)",
    "no_final_newline": "the last line has no line end but is complete (kept)",
    "title_wording": "a title-row column reads differently from the specification's wording (kept: titles are "
    "recognised by structure)",
    "title_row_missing": "the specification requires a title row for this kind (p17); the file has none (read anyway)",
    "unknown_code": "a code outside a list hospitals may extend (診療科 p53) or one the specification lets be free",
    "code_other_year": "a code the specification defines for another survey year",
    "unknown_item": "a 様式1/H item code the transcribed item table does not list",
}
STRUCTURAL = frozenset({"wrong_column_count", "undecodable", "truncated_line"})
REJECT_SHARE = 0.5  # more than this share of structurally broken rows rejects the whole file
CHUNK_LINES = 400_000

_BOM = b"\xef\xbb\xbf"
# UTF-8 lead pairs of CJK punctuation, hiragana and katakana: a cp932 file containing none of them has no
# UTF-8 Japanese line, so the exact (slower) per-line check runs only when one occurs
_UTF8_KANA = re.compile(rb"\xe3[\x80-\x83][\x80-\xbf]")
_NAME = re.compile(r"_(?P<facility>\d{9})_(?P<yymm>\d{4})(?:\.|_|$)")
_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")
_INT_RE = r"^-?\d{1,18}$"
_DECIMAL_RE = r"^-?\d{1,14}(\.\d{0,4}0*)?$"
_DIGITS_RE = r"^\d+$"
_DATE_RE = r"^\d{8}$"


@dataclass(frozen=True)
class Finding:
    line: int
    column: str | None
    reason_code: str
    reason: str
    raw_line: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FileRejected(Exception):
    """A file-level fault: the whole file (and so its delivery) is rejected."""

    def __init__(self, file: str, line: int, column: str | None, reason: str):
        self.file, self.line, self.column, self.reason = file, line, column, reason
        super().__init__(str(self))

    def __str__(self) -> str:
        col = f" column {self.column}:" if self.column else ""
        return f"{self.file}:{self.line}:{col} {self.reason}"


@dataclass
class ReadResult:
    name: str
    kind: str
    layout_variant: str
    encoding: str
    header: bool
    line_ending: str
    data_rows: int
    accepted: pa.Table
    quarantined: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    facility_code: str | None = None
    yyyymm: int | None = None
    # kept rows with a field the specification forbids: the field is nulled, the finding recorded (FIELD_FINDINGS)
    field_findings: list[Finding] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(f.reason_code for f in self.quarantined).items()))

    @property
    def warning_reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(f.reason_code for f in self.warnings).items()))


def delivery_from_filename(name: str) -> tuple[str | None, int | None]:
    """(施設コード, yyyymm) from ``<prefix>_<facility>_<yymm>.txt``, or (None, None)."""
    m = _NAME.search(name.rsplit("/", 1)[-1])
    return (m["facility"], 200000 + int(m["yymm"])) if m else (None, None)


# ---------------------------------------------------------------------------------------------
# decoding and line splitting


def _detect_encoding(body: bytes, bom: bool) -> tuple[str, str | None]:
    """(encoding name, whole-file text or None when some line does not decode)."""
    if body.isascii():
        return ("utf-8-sig" if bom else "ascii"), body.decode("ascii")
    try:
        return ("utf-8-sig" if bom else "utf-8"), body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if not bom:
        try:
            return "cp932", body.decode("cp932")
        except UnicodeDecodeError:
            pass
    # some lines do not decode: the majority encoding wins, the other lines are quarantined
    utf8 = cp932 = 0
    for raw in body.split(b"\n"):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            try:
                raw.decode("cp932")
                cp932 += 1
            except UnicodeDecodeError:
                pass
    if bom:
        return "utf-8-sig", None
    return ("utf-8" if utf8 > cp932 else "cp932"), None


def _codec(encoding: str) -> str:
    return "utf-8" if encoding in ("utf-8-sig", "ascii") else encoding


def _decode_line(raw: bytes, encoding: str) -> tuple[str | None, str]:
    """A line's text, or None and why it does not decode."""
    codec = _codec(encoding)
    try:
        return raw.decode(codec), ""
    except UnicodeDecodeError as exc:
        other = "cp932" if codec == "utf-8" else "utf-8"
        try:
            raw.decode(other)
            return None, f"the line is {other}, the file is {codec} (mixed encodings)"
        except UnicodeDecodeError:
            return (
                None,
                f"bytes {raw[exc.start : exc.start + 4]!r} at byte {exc.start + 1} of the line are not valid {codec}",
            )


def _split_lines(data: bytes) -> tuple[list[bytes], bool]:
    """Physical lines as bytes (line ends removed) as dpc.manifest.count_data_rows counts them."""
    if not data:
        return [], True
    lines = data.split(b"\n")
    final_newline = True
    if lines[-1] in (b"", b"\r"):
        lines.pop()
    else:
        final_newline = False
    return lines, final_newline


# ---------------------------------------------------------------------------------------------
# the reader


def read_delivered_file(
    name: str,
    data: bytes,
    *,
    expected_yyyymm: int | None = None,
    expected_facility: str | None = None,
    prefixes: dict[str, tuple[str, ...]] | None = None,
    key: bytes | None = None,
) -> ReadResult:
    """Read one delivered file (see the module docstring). Raises :class:`FileRejected`."""
    short = name.rsplit("/", 1)[-1]
    table = prefixes or file_prefixes()
    kind = kind_for_filename(short, table)
    if kind is None:
        known = ", ".join(f"{p}_" for pfx in table.values() for p in pfx)
        raise FileRejected(
            name,
            0,
            None,
            f"unknown file kind: the name starts with none of the prefixes {known} (configure DPC_FILE_PREFIXES)",
        )
    layout = LAYOUTS[kind]
    name_facility, name_yyyymm = delivery_from_filename(short)
    facility = expected_facility or name_facility
    yyyymm = expected_yyyymm or name_yyyymm

    bom = data.startswith(_BOM)
    body = data[3:] if bom else data
    encoding, text = _detect_encoding(body, bom)
    raw_lines, final_newline = _split_lines(data)  # as dpc.manifest.count_data_rows counts: BOM in line 1
    if bom:
        raw_lines[0] = raw_lines[0][3:]
    ends = len(raw_lines) - (0 if final_newline else 1)  # = body.count(b"\n"), without another pass
    crlf = body.count(b"\r\n")
    line_ending = "none" if ends == 0 else "CRLF" if crlf == ends else "LF" if crlf == 0 else "mixed"

    header = bool(raw_lines) and has_title_row(raw_lines[0])
    variant = "tsv" if layout.delimiter == "\t" else "csv"
    start = 0
    title_warnings: list[Finding] = []
    if header:
        variant, title_warnings = _check_header(name, layout, raw_lines[0].rstrip(b"\r"), encoding)
        start = 1
    elif layout.title_row == "required" and raw_lines:
        title_warnings.append(
            Finding(
                1,
                None,
                "title_row_missing",
                f"the specification requires a title row in {layout.kind} files (p17); line 1 is data (read anyway)",
            )
        )
    n_data = len(raw_lines) - start
    ctx = _Context(name, layout, facility, yyyymm, key, n_data + start, final_newline)
    ctx.raw_lines, ctx.codec = raw_lines, _codec(encoding)

    if n_data == 0:
        accepted = _empty_accepted(layout)
        return ReadResult(
            name, kind, variant, encoding, header, line_ending, 0, accepted, [], title_warnings, facility, yyyymm
        )

    first = raw_lines[start].rstrip(b"\r")
    fixed = _fixed_width_variant(layout, first)
    if fixed is not None:
        variant = fixed[0] + variant[3:]
        ctx.widths = fixed[1]
        cols, line_numbers, findings, good_text = _read_fixed_width(ctx, raw_lines, start, encoding, fixed[1])
        chunks = [(cols, line_numbers, good_text)]
    else:
        chunks, findings = [], []
        fast = None
        if text is not None:
            undecodable: dict[int, str] = {}
            if encoding == "cp932" and _UTF8_KANA.search(body):
                undecodable = _utf8_lines_in_cp932(body, len(raw_lines))
            if not undecodable and line_ending in ("CRLF", "LF"):
                # UTF-8 and ASCII files are their own UTF-8 lines: no second split
                utf8_lines = None if encoding == "cp932" else raw_lines
                utf8 = text.encode("utf-8") if encoding == "cp932" else body
                fast = _read_tsv_fast(ctx, utf8, start, n_data, crlf, utf8_lines)
            if fast is None:
                text_lines = text.split("\n")
                if final_newline:
                    text_lines.pop()
        else:
            text_lines, undecodable = [], {}
            for i, raw in enumerate(raw_lines):
                line_text, why = _decode_line(raw, encoding)
                if line_text is None:
                    if i == 0 and header:
                        raise FileRejected(name, 1, None, f"title row does not decode: {why}")
                    undecodable[i] = why
                    line_text = ""
                text_lines.append(line_text)
        if fast is not None:
            chunks, findings = [fast[:3]], fast[3]
        else:
            for lo in range(start, len(text_lines), CHUNK_LINES):
                hi = min(lo + CHUNK_LINES, len(text_lines))
                part = _read_tsv_chunk(ctx, text_lines[lo:hi], lo, undecodable, raw_lines)
                chunks.append(part[:3])
                findings.extend(part[3])

    structural = [f for f in findings if f.reason_code in STRUCTURAL]
    if structural and len(structural) > REJECT_SHARE * n_data:
        raise FileRejected(name, structural[0].line, None, _structural_message(layout, structural, n_data, variant))

    accepted, more = _assemble(ctx, chunks)
    findings.extend(more)
    findings.sort(key=lambda f: f.line)
    warnings = title_warnings + _warnings(ctx, accepted, raw_lines) + ctx.warnings
    warnings.sort(key=lambda f: f.line)
    ctx.field_findings.sort(key=lambda f: f.line)
    return ReadResult(
        name,
        kind,
        variant,
        encoding,
        header,
        line_ending,
        n_data,
        accepted,
        findings,
        warnings,
        facility,
        yyyymm,
        ctx.field_findings,
    )


def reject_if_nothing_accepted(read: ReadResult) -> None:
    """A file with data rows and none accepted rejects its delivery (docs/decisions/0025): publishing its
    facility-month without that file would silently drop a whole kind. An empty file is not a failed file."""
    if read.data_rows == 0 or read.accepted.num_rows > 0:
        return
    reasons = ", ".join(f"{code} × {n}" for code, n in sorted(read.reasons.items(), key=lambda kv: -kv[1]))
    first = read.quarantined[0] if read.quarantined else None
    raise FileRejected(
        read.name,
        first.line if first else 0,
        first.column if first else None,
        f"none of its {read.data_rows} data rows was accepted ({reasons})"
        + (f"; line {first.line}: {first.reason}" if first else ""),
    )


def _fixed_width_variant(layout: Layout, first: bytes) -> tuple[str, list[int]] | None:
    """The fixed-width variant whose record length the first data line has (no tabs), or None."""
    if not layout.fixed_width_allowed or b"\t" in first:
        return None
    for variant, widths in fixed_width_variants(layout):
        if len(first) == record_length(layout, widths):
            return variant, widths
    return None


@dataclass
class _Context:
    name: str
    layout: Layout
    facility: str | None
    yyyymm: int | None
    key: bytes | None
    n_lines: int
    final_newline: bool
    warnings: list[Finding] = field(default_factory=list)
    field_findings: list[Finding] = field(default_factory=list)
    # faults in a unit's key (docs/decisions/0025): unit key as delivered → (line, reason) of the first fault
    unit_faults: dict[str, tuple[int, str]] = field(default_factory=dict)
    raw_lines: list[bytes] = field(default_factory=list)
    codec: str = "utf-8"
    widths: list[int] | None = None  # set when the file is fixed-width

    def raw_of(self, line: int) -> str:
        """The quarantine text of physical line ``line`` (1-based)."""
        rec = self.raw_lines[line - 1].rstrip(b"\r")
        if self.widths is not None:
            return _raw_fixed(self, rec, self.codec)
        return self.raw(rec.decode(self.codec, errors="replace"))

    def raw(self, line_text: str) -> str:
        """The line for quarantine: データ識別番号 pseudonymised when a key is given, direct identifiers (K生成用データ's
        names and insurance numbers, p154) always masked, other 10-digit numbers masked."""
        layout = self.layout
        fields = line_text.split(layout.delimiter)
        idx = pid_index(layout)
        if len(fields) <= idx:
            return _TEN_DIGITS.sub("##########", line_text) if self.key is not None else line_text
        # direct identifiers and birth dates (p154; docs/decisions/0003) are never shown, nor 様式1's A000010
        # 生年月日 and 郵便番号 (payloads 1 and 3, p21)
        direct = [i for i, c in enumerate(layout.columns) if c.type == "direct" or c.partial_date]
        if layout.kind == "FF1" and len(fields) > 8 and fields[5].strip() == "A000010":
            direct += [8, 10]
        for i in direct:
            if i < len(fields) and fields[i]:
                fields[i] = "*" * 3
        if direct and len(fields) > len(layout.columns):
            fields = fields[: len(layout.columns)] + ["***"]  # a shifted line: nothing after may be shown
        if self.key is None:
            return layout.delimiter.join(fields)
        fields[idx] = _pseudonym_for_quarantine(self, fields[idx])
        fields = [_TEN_DIGITS.sub("##########", f) if i != idx else f for i, f in enumerate(fields)]
        return layout.delimiter.join(fields)


def _check_header(name: str, layout: Layout, raw: bytes, encoding: str) -> tuple[str, list[Finding]]:
    """Recognise the title row by structure (first field a form of 施設コード, the kind's column count) and report
    each column whose wording differs from the specification's as a `title_wording` warning, never a rejection."""
    line, why = _decode_line(raw.removeprefix(_BOM), encoding)
    if line is None:
        raise FileRejected(name, 1, None, f"title row does not decode: {why}")
    fields = [normalise_header_field(f) for f in line.split(layout.delimiter)]
    expected = header_names(layout)
    n_min = len(expected) - layout.omissible_trailing
    if not n_min <= len(fields) <= len(expected):
        others = [k for k, lay in LAYOUTS.items() if k != layout.kind and _header_matches(lay, fields)]
        hint = (
            f": it is the {others[0]} title row (is the file named right?)"
            if others
            else " (a column added or removed by a newer survey year, or the wrong kind)"
        )
        raise FileRejected(
            name, 1, None, f"title row has {len(fields)} columns, the {layout.kind} layout has {len(expected)}{hint}"
        )
    warnings: list[Finding] = []
    other = False
    for i, (got, names) in enumerate(zip(fields, expected, strict=False)):
        c = layout.columns[i]
        canonical = normalise_header_field(c.ja)
        if got == canonical:
            continue
        other = True
        known = " (a wording in use: read as this column)" if got in names else ""
        warnings.append(
            Finding(
                1,
                c.name,
                "title_wording",
                f"title row column {i + 1} reads {got!r}, the specification's {layout.kind} layout names it "
                f"{c.ja!r}{f' (p{c.page})' if c.page else ''}{known}",
            )
        )
    return ("tsv-other-header" if other else "tsv-header"), warnings


def _header_matches(layout: Layout, fields: list[str]) -> bool:
    expected = header_names(layout)
    return len(fields) == len(expected) and all(f in n for f, n in zip(fields, expected, strict=True))


def _structural_message(layout: Layout, structural: list[Finding], n_data: int, variant: str) -> str:
    counts = Counter(f.reason_code for f in structural)
    top, _ = counts.most_common(1)[0]
    if top == "wrong_column_count":
        shapes = Counter(f.reason.split(":", 1)[0] for f in structural if f.reason_code == top)
        shape = shapes.most_common(1)[0][0]
        what = "fixed-width record length" if variant.startswith("fixed") else "columns"
        return (
            f"{len(structural)} of {n_data} data rows have the wrong {what} (most: {shape}); "
            f"the {layout.kind} layout has {len(layout.columns)} columns"
            + (f" or {record_length(layout)}-byte fixed-width records" if layout.fixed_width_allowed else "")
            + ": the wrong kind for this file name, or a layout change"
        )
    if top == "undecodable":
        return f"{len(structural)} of {n_data} data rows do not decode: {structural[0].reason}"
    return f"{len(structural)} of {n_data} data rows are broken: {structural[0].reason}"


def _utf8_lines_in_cp932(body: bytes, n_lines: int) -> dict[int, str]:
    """Lines of a cp932 file that are valid, non-ASCII UTF-8 (mixed encodings): vectorised."""
    replaced = body.decode("utf-8", errors="replace").split("\n")[:n_lines]
    arr = pa.array(replaced, pa.string())
    suspect = pc.and_(pc.invert(pc.string_is_ascii(arr)), pc.invert(pc.match_substring(arr, "\ufffd")))
    idx = pc.indices_nonzero(suspect).to_pylist()
    return {i: "the line is utf-8, the file is cp932 (mixed encodings)" for i in idx}


def _empty_accepted(layout: Layout) -> pa.Table:
    arrays = [pa.array([], pa.string()) for _ in layout.columns] + [pa.array([], pa.int64())]
    return pa.Table.from_arrays(arrays, names=[*layout.names, "line_number"])


def _trim(layout: Layout, cols: list[pa.Array]) -> list[pa.Array]:
    """Trim (text right-trimmed only: a 6-digit 保険者番号 keeps its two leading spaces, p154, p197) and read the
    literal ``NULL`` (any case: p228 prints ``NULL``, p215 ``Null``) as empty, as 空欄（Null） means (p20, p146)."""
    out = []
    for c, arr in zip(layout.columns, cols, strict=True):
        keep_left = c.type in ("str", "direct", "insurer")
        arr = pc.utf8_rtrim_whitespace(arr) if keep_left else pc.utf8_trim_whitespace(arr)
        four = pc.equal(pc.binary_length(arr), 4)
        if pc.any(four).as_py():
            null = pc.and_(four, pc.equal(pc.ascii_upper(arr), "NULL"))
            if pc.any(null).as_py():
                arr = pc.if_else(null, "", arr)
        out.append(arr)
    return out


def _read_tsv_fast(
    ctx: _Context, utf8: bytes, start: int, n_data: int, crlf: int, lines: list[bytes] | None = None
) -> tuple[dict[str, pa.Array], pa.Array, None, list[Finding]] | None:
    """The common case in C++: a well-formed TSV (uniform line ends, every row the layout's column count, no
    repeated line), parsed by Arrow's CSV reader. Returns None — and the caller takes the line-by-line path,
    which explains every structural fault — as soon as anything is irregular.

    Row checks (:func:`_validate`) still run; a rejected row's text comes from its physical line.
    """
    layout = ctx.layout
    if lines is None:
        lines = utf8.split(b"\n")
        if ctx.final_newline:
            lines.pop()
    if len(lines) != start + n_data or utf8.count(b"\r") != crlf:
        return None  # a carriage return inside a line: Arrow would end the row there
    distinct = set(lines[start:])
    if len(distinct) != n_data or b"" in distinct or b"\r" in distinct:
        return None  # repeated or empty lines (Arrow would make an empty line a row of empty values)
    irregular: list[object] = []

    def invalid(row: object) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(utf8),
            read_options=pacsv.ReadOptions(column_names=layout.names, skip_rows=start, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=layout.delimiter,
                quote_char=False,
                double_quote=False,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
                invalid_row_handler=invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in layout.names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if irregular or table.num_rows != n_data:
        return None
    cols = _trim(layout, [table[n] for n in layout.names])
    cols_d = dict(zip(layout.names, cols, strict=True))
    line_numbers = pa.array(range(start + 1, start + n_data + 1), pa.int64())

    def raw_for(ln: int) -> str:
        return ctx.raw(lines[ln - 1].removesuffix(b"\r").decode("utf-8"))

    keep, findings = _validate(ctx, cols_d, line_numbers, None, raw_for)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
    return cols_d, line_numbers, None, findings


def _read_tsv_chunk(
    ctx: _Context, lines: list[str], offset: int, undecodable: dict[int, str], raw_lines: list[bytes]
) -> tuple[dict[str, pa.Array], pa.Array, pa.Array, list[Finding]]:
    layout = ctx.layout
    ncol = len(layout.columns)
    arr = pa.array(lines, pa.string())
    arr = pc.if_else(pc.ends_with(arr, "\r"), pc.utf8_slice_codeunits(arr, 0, -1), arr)
    parts = pc.split_pattern(arr, layout.delimiter)
    counts = pc.list_value_length(parts)
    if layout.omissible_trailing:
        # K生成用データ may leave 枝番 out (p154): complete such records with empty trailing fields
        short = pc.and_(pc.less(counts, ncol), pc.greater_equal(counts, ncol - layout.omissible_trailing))
        if pc.any(short).as_py():
            pad = pc.if_else(short, pc.subtract(ncol, counts), 0)
            fill = pc.binary_repeat(layout.delimiter, pad)
            arr = pc.binary_join_element_wise(arr, fill, "")
            parts = pc.split_pattern(arr, layout.delimiter)
            counts = pc.list_value_length(parts)
    good = pc.equal(counts, ncol)
    findings: list[Finding] = []
    bad_decode = [i - offset for i in undecodable if offset <= i < offset + len(lines)]
    if bad_decode:
        mask = [False] * len(lines)
        for i in bad_decode:
            mask[i] = True
        good = pc.and_(good, pc.invert(pa.array(mask)))
        for i in bad_decode:
            ln = offset + i + 1
            raw = raw_lines[offset + i].rstrip(b"\r").decode(_codec_guess(raw_lines[offset + i]), errors="replace")
            findings.append(Finding(ln, None, "undecodable", f"{undecodable[offset + i]}", ctx.raw(raw)))
    bad_idx = pc.indices_nonzero(pc.invert(good)).to_pylist()
    bad_set = set(bad_decode)
    counts_py = None
    for i in bad_idx:
        if i in bad_set:
            continue
        if counts_py is None:
            counts_py = counts
        n = counts_py[i].as_py()
        ln = offset + i + 1
        text = arr[i].as_py()
        is_last = offset + i == ctx.n_lines - 1
        if is_last and not ctx.final_newline and n < ncol:
            findings.append(
                Finding(
                    ln,
                    None,
                    "truncated_line",
                    f"{n} columns, expected {ncol}: the last line has no line end (truncated upload?)",
                    ctx.raw(text),
                )
            )
        else:
            what = "an empty line" if text == "" else f"{n} columns"
            findings.append(Finding(ln, None, "wrong_column_count", f"{what}: expected {ncol}", ctx.raw(text)))
    good_parts = parts.filter(good)
    good_text = arr.filter(good)
    line_numbers = pc.add(pc.indices_nonzero(good), offset + 1).cast(pa.int64())
    flat = good_parts.flatten()
    base = pc.multiply(pa.array(range(len(good_parts)), pa.int64()), ncol)
    cols = _trim(layout, [pc.take(flat, pc.add(base, j)) for j in range(ncol)])
    cols_d = dict(zip(layout.names, cols, strict=True))
    keep, more = _validate(ctx, cols_d, line_numbers, good_text)
    findings.extend(more)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
        good_text = good_text.filter(keep)
    return cols_d, line_numbers, good_text, findings


def _codec_guess(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp932"


def _read_fixed_width(
    ctx: _Context, raw_lines: list[bytes], start: int, encoding: str, widths: list[int]
) -> tuple[dict[str, pa.Array], pa.Array, list[Finding], pa.Array]:
    layout = ctx.layout
    width = record_length(layout, widths)
    codec = _codec(encoding)
    findings: list[Finding] = []
    good_rows: list[bytes] = []
    good_ln: list[int] = []
    for i in range(start, len(raw_lines)):
        rec = raw_lines[i].rstrip(b"\r")
        ln = i + 1
        if len(rec) == width and b"\t" not in rec:
            good_rows.append(rec)
            good_ln.append(ln)
            continue
        text = rec.decode(codec, errors="replace")
        if i == len(raw_lines) - 1 and not ctx.final_newline and len(rec) < width:
            findings.append(
                Finding(
                    ln,
                    None,
                    "truncated_line",
                    f"{len(rec)} bytes, expected {width}: the last record has no line end (truncated upload?)",
                    _raw_fixed(ctx, rec, codec),
                )
            )
        else:
            findings.append(
                Finding(
                    ln,
                    None,
                    "wrong_column_count",
                    f"{len(rec)} bytes: fixed-width record is {width}",
                    _raw_fixed(ctx, rec, codec) if b"\t" not in rec else ctx.raw(text),
                )
            )
    # slice every column by its byte offsets, decode per column (vectorised), fall back per row on errors
    bounds = []
    pos = 0
    for w in widths:
        bounds.append((pos, pos + w))
        pos += w
    bad_rows: dict[int, str] = {}
    columns: list[list[str]] = []
    for (a, b), col in zip(bounds, layout.columns, strict=True):
        chunk = b"\n".join(r[a:b] for r in good_rows)
        try:
            values = chunk.decode(codec).split("\n") if good_rows else []
        except UnicodeDecodeError:
            values = []
            for j, r in enumerate(good_rows):
                try:
                    values.append(r[a:b].decode(codec))
                except UnicodeDecodeError as exc:
                    values.append("")
                    bad_rows.setdefault(
                        j, f"column {col.name}: bytes at byte {a + exc.start + 1} are not valid {codec}"
                    )
        columns.append(values)
    text_rows = [r.decode(codec, errors="replace") for r in good_rows]
    keep_mask = [True] * len(good_rows)
    for j, why in bad_rows.items():
        keep_mask[j] = False
        findings.append(Finding(good_ln[j], None, "undecodable", why, _raw_fixed(ctx, good_rows[j], codec)))
    mask = pa.array(keep_mask, pa.bool_())
    cols = _trim(layout, [pa.array(v, pa.string()).filter(mask) for v in columns])
    cols_d = dict(zip(layout.names, cols, strict=True))
    line_numbers = pa.array(good_ln, pa.int64()).filter(mask)
    good_text = pa.array(text_rows, pa.string()).filter(mask)
    keep, more = _validate(ctx, cols_d, line_numbers, good_text, ctx.raw_of)
    findings.extend(more)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
        good_text = good_text.filter(keep)
    return cols_d, line_numbers, findings, good_text


def _raw_fixed(ctx: _Context, rec: bytes, codec: str) -> str:
    """A fixed-width record for quarantine, sliced by the widths of the variant the file was read as (ctx.widths:
    the old 7-wide D-30 record puts データ識別番号 at the same place, but the pseudonym must replace its bytes only)."""
    if ctx.key is None:
        return rec.decode(codec, errors="replace")
    widths = ctx.widths if ctx.widths is not None else ctx.layout.widths
    idx = pid_index(ctx.layout)
    a = sum(widths[:idx])
    b = a + widths[idx]
    if len(rec) < b:
        return _TEN_DIGITS.sub("##########", rec.decode(codec, errors="replace"))
    before = _TEN_DIGITS.sub("##########", rec[:a].decode(codec, errors="replace"))
    after = _TEN_DIGITS.sub("##########", rec[b:].decode(codec, errors="replace"))
    pid = rec[a:b].decode(codec, errors="replace")
    return before + _pseudonym_for_quarantine(ctx, pid) + after


def _pseudonym_for_quarantine(ctx: _Context, value: str) -> str:
    """データ識別番号 in a quarantined line: its pseudonym at the delivery's facility (the same patient_key the
    accepted rows get); masked when the delivery's facility is not known (a file read outside a delivery)."""
    from dpc.pseudonymise import patient_key

    if not value.strip():
        return value
    if ctx.key is None or not ctx.facility or not re.fullmatch(r"\d{9}", ctx.facility):
        return "#" * len(value)
    return patient_key(ctx.facility, value, ctx.key)


# ---------------------------------------------------------------------------------------------
# row checks (vectorised): each check is a boolean mask; a row's first failing check is its reason


@dataclass
class _Check:
    code: str
    column: str | None
    mask: pa.Array
    describe: Describe


def _validate(
    ctx: _Context,
    cols: dict[str, pa.Array],
    line_numbers: pa.Array,
    texts: pa.Array | None,
    raw_for: Callable[[int], str] | None = None,
) -> tuple[pa.Array | None, list[Finding]]:
    """Row checks: each a boolean mask; a row's first failing check is its reason. Warnings and field findings
    (a payload value nulled on a kept row) go to ``ctx``; faults in a unit's key are remembered for
    :func:`_assemble`, which quarantines the rest of the unit."""
    layout = ctx.layout
    n = len(line_numbers)
    if n == 0:
        return None, []
    checks: list[_Check] = []
    warns: list[_Check] = []

    def val(name: str) -> Callable[[int], str]:
        if name in layout.names and (layout.column(name).type == "direct" or layout.column(name).partial_date):
            return lambda i: "(a direct identifier, not shown)"
        return lambda i: repr(cols[name][i].as_py())

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

        record, fields, warned = payload_checks(layout, cols, empties)
        checks.extend(_Check(*r) for r in record)
        warns.extend(_Check(*w) for w in warned)
    else:
        fields = []
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
    unit_keys = _unit_keys(layout, cols) if layout.unit else None
    for i in pc.indices_nonzero(any_bad).to_pylist():
        chk = checks[reason[i].as_py()]
        ln = line_numbers[i].as_py()
        if raw_for:
            raw = raw_for(ln)
        else:
            assert texts is not None  # the callers pass the line texts or raw_for
            raw = ctx.raw(texts[i].as_py())
        findings.append(Finding(ln, chk.column, chk.code, chk.describe(i), raw))
        if unit_keys is not None and (chk.column in key_columns or chk.code == "invalid_data_id"):
            ctx.unit_faults.setdefault(unit_keys[i].as_py(), (ln, chk.describe(i)))
    return pc.invert(any_bad), findings


def _unit_keys(layout: Layout, cols: dict[str, pa.Array]) -> pa.Array:
    """The unit (様式1 form, EF act) of each row, as delivered: its unit columns joined."""
    return pc.binary_join_element_wise(*(cols[c] for c in layout.unit), "\x1f")


def _assemble(
    ctx: _Context, chunks: list[tuple[dict[str, pa.Array], pa.Array, pa.Array | None]]
) -> tuple[pa.Table, list[Finding]]:
    accepted, findings = _drop_duplicates(ctx, chunks)
    if not ctx.unit_faults or accepted.num_rows == 0:
        return accepted, findings
    # a fault in a unit's key quarantines the whole unit (docs/decisions/0025): the form / act's other records
    layout = ctx.layout
    keys = _unit_keys(layout, {c: accepted[c].combine_chunks() for c in layout.unit})
    hit = pc.is_in(keys, pa.array(sorted(ctx.unit_faults), pa.string()))
    if not pc.any(hit).as_py():
        return accepted, findings
    code, what = ("form_key_fault", "様式1 form") if layout.kind == "FF1" else ("act_key_fault", "act")
    for i in pc.indices_nonzero(hit).to_pylist():
        ln_fault, why = ctx.unit_faults[keys[i].as_py()]
        ln = accepted["line_number"][i].as_py()
        findings.append(
            Finding(ln, None, code, f"line {ln_fault} of the same {what} is quarantined ({why})", ctx.raw_of(ln))
        )
    return accepted.filter(pc.invert(hit)), findings


def _drop_duplicates(
    ctx: _Context, chunks: list[tuple[dict[str, pa.Array], pa.Array, pa.Array | None]]
) -> tuple[pa.Table, list[Finding]]:
    layout = ctx.layout
    tables = []
    for cols, line_numbers, _text in chunks:
        tables.append(pa.Table.from_arrays([*cols.values(), line_numbers], names=[*layout.names, "line_number"]))
    accepted = pa.concat_tables(tables) if tables else _empty_accepted(layout)
    if accepted.num_rows < 2 or any(t is None for _c, _l, t in chunks):
        return accepted, []  # no text: the fast path has already seen that no line repeats
    texts = pa.chunked_array([t for _c, _l, t in chunks], pa.string())
    # exact duplicates: dictionary-encode the line texts (one hash pass); only when some repeat, find them
    encoded = pc.dictionary_encode(texts.combine_chunks())
    if len(encoded.dictionary) == accepted.num_rows:
        return accepted, []
    keyed = pa.table({"k": encoded.indices, "i": pa.array(range(accepted.num_rows), pa.int64())})
    groups = keyed.group_by("k", use_threads=False).aggregate([("i", "min"), ("i", "count")])
    dup_groups = groups.filter(pc.greater(groups["i_count"], 1))
    firsts = dup_groups["i_min"]
    joined = keyed.join(dup_groups.select(["k", "i_min"]), "k", join_type="inner")
    dups = joined.filter(pc.invert(pc.is_in(joined["i"], firsts))).sort_by("i")
    dups = dups.append_column("t", pc.take(texts, dups["i"]))
    line_no = accepted["line_number"]
    findings = []
    for i, first, text in zip(dups["i"].to_pylist(), dups["i_min"].to_pylist(), dups["t"].to_pylist(), strict=True):
        findings.append(
            Finding(
                line_no[i].as_py(),
                None,
                "duplicate_row",
                f"the row repeats line {line_no[first].as_py()} exactly",
                ctx.raw(text),
            )
        )
    keep = pc.invert(pc.is_in(pa.array(range(accepted.num_rows), pa.int64()), dups["i"]))
    return accepted.filter(keep), findings


def _warnings(ctx: _Context, accepted: pa.Table, raw_lines: list[bytes]) -> list[Finding]:
    out: list[Finding] = []
    if accepted.num_rows == 0:
        return out
    for c in ctx.layout.columns:
        longest = pc.max(pc.binary_length(accepted[c.name])).as_py()
        if longest is None or longest <= c.width:
            continue  # no value has more bytes, so none has more characters, than the width (cheap: offsets only)
        too_wide = pc.greater(pc.utf8_length(accepted[c.name]), c.width)
        if pc.any(too_wide).as_py():
            idx = pc.indices_nonzero(too_wide).to_pylist()
            for i in idx:
                v = accepted[c.name][i].as_py()
                out.append(
                    Finding(
                        accepted["line_number"][i].as_py(),
                        c.name,
                        "value_too_wide",
                        f"{c.ja} has {len(v)} characters, the layout allows {c.width}",
                        "",
                    )
                )
    if not ctx.final_newline and raw_lines:
        last = ctx.n_lines
        if pc.any(pc.equal(accepted["line_number"], last)).as_py():
            out.append(
                Finding(last, None, "no_final_newline", "the last line has no line end (kept: it is complete)", "")
            )
    out.sort(key=lambda f: f.line)
    return out
