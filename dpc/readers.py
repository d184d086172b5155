"""Read DPC survey files exactly as hospitals deliver them (issue 7; DECISIONS items 2–4).

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

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dpc.config import file_prefixes
from dpc.layouts import (
    CODE_SETS,
    LAYOUTS,
    Layout,
    header_names,
    kind_for_filename,
    normalise_header_field,
    pid_index,
    record_length,
)
from dpc.manifest import has_title_row

# reason_code → what it means (docs and dq accepted-values tests read this)
REASONS: dict[str, str] = {
    "wrong_column_count": "the row does not have the layout's number of columns (or fixed-width record length)",
    "undecodable": "bytes that are not valid in the file's encoding (or a line in another encoding)",
    "truncated_line": "the last line is incomplete (no line end and too few columns): a truncated upload",
    "missing_value": "a required column is empty",
    "not_numeric": "a number or numeric code column holds something else",
    "invalid_date": "a date column is not a real yyyymmdd date (00000000 = unknown is allowed)",
    "facility_mismatch": "施設コード differs from the delivery's facility",
    "discharge_before_admission": "退院年月日 is before 入院年月日",
    "service_date_outside_month": "実施年月日 is outside the delivery month",
    "unknown_code": "a coded column holds a value outside its code list",
    "duplicate_row": "the row repeats an earlier row of the file exactly",
}
WARNINGS: dict[str, str] = {
    "value_too_wide": "a value is longer than the layout's width (kept)",
    "no_final_newline": "the last line has no line end but is complete (kept)",
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
    variant = "tsv"
    start = 0
    if header:
        variant = _check_header(name, layout, raw_lines[0].rstrip(b"\r"), encoding)
        start = 1
    n_data = len(raw_lines) - start
    ctx = _Context(name, layout, facility, yyyymm, key, n_data + start, final_newline)

    if n_data == 0:
        accepted = _empty_accepted(layout)
        return ReadResult(name, kind, variant, encoding, header, line_ending, 0, accepted, [], [], facility, yyyymm)

    first = raw_lines[start].rstrip(b"\r")
    if layout.fixed_width_allowed and b"\t" not in first and len(first) == record_length(layout):
        variant = "fixed-width" + variant[3:]
        cols, line_numbers, findings, good_text = _read_fixed_width(ctx, raw_lines, start, encoding)
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

    accepted, dup_findings = _assemble(ctx, chunks)
    findings.extend(dup_findings)
    findings.sort(key=lambda f: f.line)
    warnings = _warnings(ctx, accepted, raw_lines)
    return ReadResult(
        name, kind, variant, encoding, header, line_ending, n_data, accepted, findings, warnings, facility, yyyymm
    )


@dataclass
class _Context:
    name: str
    layout: Layout
    facility: str | None
    yyyymm: int | None
    key: bytes | None
    n_lines: int
    final_newline: bool

    def raw(self, line_text: str) -> str:
        """The line for quarantine: データ識別番号 replaced by its pseudonym when a key is given."""
        if self.key is None:
            return line_text
        from dpc.pseudonymise import pseudonym

        fields = line_text.split("\t")
        idx = pid_index(self.layout)
        if len(fields) > idx:
            fields[idx] = pseudonym(fields[idx], self.key) if fields[idx].strip() else fields[idx]
            fields = [_TEN_DIGITS.sub("##########", f) if i != idx else f for i, f in enumerate(fields)]
            return "\t".join(fields)
        return _TEN_DIGITS.sub("##########", line_text)


def _check_header(name: str, layout: Layout, raw: bytes, encoding: str) -> str:
    line, why = _decode_line(raw.removeprefix(_BOM), encoding)
    if line is None:
        raise FileRejected(name, 1, None, f"title row does not decode: {why}")
    fields = [normalise_header_field(f) for f in line.split("\t")]
    expected = header_names(layout)
    if len(fields) != len(expected):
        others = [k for k, lay in LAYOUTS.items() if k != layout.kind and _header_matches(lay, fields)]
        hint = (
            f": it is the {others[0]} title row (is the file named right?)"
            if others
            else (" (a column added or removed by a newer survey year, or the wrong kind)")
        )
        raise FileRejected(
            name, 1, None, f"title row has {len(fields)} columns, the {layout.kind} layout has {len(expected)}{hint}"
        )
    old = False
    for i, (got, names) in enumerate(zip(fields, expected, strict=True)):
        if got not in names:
            raise FileRejected(
                name,
                1,
                layout.columns[i].name,
                f"title row column {i + 1} reads {got!r}, the {layout.kind} layout has {layout.columns[i].ja!r}",
            )
        if got != normalise_header_field(layout.columns[i].ja):
            old = True
    return "tsv-2015-header" if old else "tsv-header"


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
    out = []
    for c, arr in zip(layout.columns, cols, strict=True):
        out.append(pc.utf8_rtrim_whitespace(arr) if c.type == "str" else pc.utf8_trim_whitespace(arr))
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
                delimiter="\t",
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
    parts = pc.split_pattern(arr, "\t")
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
    ctx: _Context, raw_lines: list[bytes], start: int, encoding: str
) -> tuple[dict[str, pa.Array], pa.Array, list[Finding], pa.Array]:
    layout = ctx.layout
    width = record_length(layout)
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
    for w in layout.widths:
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
    raw_by_line = {ln: r for ln, r in zip(good_ln, good_rows, strict=True)}
    keep, more = _validate(ctx, cols_d, line_numbers, good_text, lambda ln: _raw_fixed(ctx, raw_by_line[ln], codec))
    findings.extend(more)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
        good_text = good_text.filter(keep)
    return cols_d, line_numbers, findings, good_text


def _raw_fixed(ctx: _Context, rec: bytes, codec: str) -> str:
    if ctx.key is None:
        return rec.decode(codec, errors="replace")
    from dpc.pseudonymise import pseudonym

    idx = pid_index(ctx.layout)
    a = sum(ctx.layout.widths[:idx])
    b = a + ctx.layout.widths[idx]
    if len(rec) < b:
        return _TEN_DIGITS.sub("##########", rec.decode(codec, errors="replace"))
    before = _TEN_DIGITS.sub("##########", rec[:a].decode(codec, errors="replace"))
    after = _TEN_DIGITS.sub("##########", rec[b:].decode(codec, errors="replace"))
    pid = rec[a:b].decode(codec, errors="replace")
    return before + (pseudonym(pid, ctx.key) if pid.strip() else pid) + after


# ---------------------------------------------------------------------------------------------
# row checks (vectorised): each check is a boolean mask; a row's first failing check is its reason


def _valid_date(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True where col is a real yyyymmdd date or 00000000 (checked once per distinct value: dates repeat)."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    encoded = pc.dictionary_encode(col)
    return pc.take(_valid_date_values(encoded.dictionary), encoded.indices)


def _valid_date_values(col: pa.Array) -> pa.Array:
    fmt = pc.match_substring_regex(col, _DATE_RE)
    safe = pc.if_else(fmt, col, "20000101")
    y = pc.utf8_slice_codeunits(safe, 0, 4).cast(pa.int32())
    m = pc.utf8_slice_codeunits(safe, 4, 6).cast(pa.int32())
    d = pc.utf8_slice_codeunits(safe, 6, 8).cast(pa.int32())
    leap = pc.or_(pc.and_(pc.equal(_mod(y, 4), 0), pc.not_equal(_mod(y, 100), 0)), pc.equal(_mod(y, 400), 0))
    month_days = pa.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], pa.int32())
    m_safe = pc.if_else(pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12)), m, 0)
    dim = pc.take(month_days, m_safe)
    dim = pc.if_else(pc.and_(pc.equal(m, 2), leap), 29, dim)
    real = pc.and_(
        pc.and_(pc.greater_equal(m, 1), pc.less_equal(m, 12)),
        pc.and_(pc.greater_equal(d, 1), pc.less_equal(d, dim)),
    )
    real = pc.and_(real, pc.greater_equal(y, 1800))
    return pc.and_(fmt, pc.or_(real, pc.equal(col, "00000000")))


def _mod(a: pa.Array, n: int) -> pa.Array:
    return pc.subtract(a, pc.multiply(pc.divide(a, n), n))


@dataclass
class _Check:
    code: str
    column: str | None
    mask: pa.Array
    describe: Callable[[int], str]


def _validate(
    ctx: _Context,
    cols: dict[str, pa.Array],
    line_numbers: pa.Array,
    texts: pa.Array | None,
    raw_for: Callable[[int], str] | None = None,
) -> tuple[pa.Array | None, list[Finding]]:
    layout = ctx.layout
    n = len(line_numbers)
    if n == 0:
        return None, []
    checks: list[_Check] = []

    def val(name: str) -> Callable[[int], str]:
        return lambda i: repr(cols[name][i].as_py())

    empties = {name: pc.equal(arr, "") for name, arr in cols.items()}
    for c in layout.columns:
        arr, empty = cols[c.name], empties[c.name]
        if c.required:
            checks.append(_Check("missing_value", c.name, empty, lambda i, c=c: f"{c.ja} is empty"))
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
            bad = pc.and_(pc.invert(empty), pc.invert(_valid_date(arr)))
            checks.append(
                _Check("invalid_date", c.name, bad, lambda i, c=c: f"{c.ja} {val(c.name)(i)} is not a yyyymmdd date")
            )
    if layout.kind == "FF1":
        birth = pc.and_(pc.equal(cols["item_code"], "A000010"), pc.invert(empties["payload_1"]))
        bad = pc.and_(birth, pc.invert(_valid_date(cols["payload_1"])))
        checks.append(
            _Check(
                "invalid_date",
                "payload_1",
                bad,
                lambda i: f"A000010 birth date {val('payload_1')(i)} is not a yyyymmdd date",
            )
        )
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
                lambda i: f"生年月日 {val('birth_date')(i)} is after 外来受診年月日 {val('visit_date')(i)}",
            )
        )
    if layout.service_date_column and ctx.yyyymm:
        svc = cols[layout.service_date_column]
        bad = pc.and_(
            pc.invert(empties[layout.service_date_column]),
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
    for name, allowed in CODE_SETS.items():
        if name in cols:
            bad = pc.and_(pc.invert(empties[name]), pc.invert(pc.is_in(cols[name], pa.array(sorted(allowed)))))
            checks.append(
                _Check(
                    "unknown_code",
                    name,
                    bad,
                    lambda i, name=name, allowed=allowed: (
                        f"{layout.column(name).ja} {val(name)(i)} is not one of {sorted(allowed)}"
                    ),
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
    if any_bad is None:
        return None, []
    findings = []
    for i in pc.indices_nonzero(any_bad).to_pylist():
        chk = checks[reason[i].as_py()]
        ln = line_numbers[i].as_py()
        raw = raw_for(ln) if raw_for else ctx.raw(texts[i].as_py())
        findings.append(Finding(ln, chk.column, chk.code, chk.describe(i), raw))
    return pc.invert(any_bad), findings


def _assemble(
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
