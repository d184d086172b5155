"""Parsing: a file's lines → string columns, one array per layout column, plus each row's physical line number.
Tab-separated files take Arrow's CSV reader when they are regular (the fast path) or a line-by-line split that
names every structural fault (wrong column count, truncated last line, undecodable line); fixed-width EF and D
records are sliced by the published byte widths before decoding. Values are trimmed of spaces (never of control
characters, which the row checks report) and ``NULL`` read as empty.
Each chunk's rows then go through the row checks (:func:`dpc.readers.row_checks.validate`)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dpc.layouts import Layout, record_length
from dpc.readers.context import ReadContext, raw_fixed
from dpc.readers.findings import Finding
from dpc.readers.row_checks import validate
from dpc.readers.sniff import codec_for, codec_guess

# the spaces a field is trimmed of: Unicode's white space less the control characters (tab, CR, VT, FF, the
# separators U+001C–001F, NEL U+0085), which are a finding where they occur (row_checks), never trimmed away
_SPACES = (
    " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def empty_accepted(layout: Layout) -> pa.Table:
    arrays = [pa.array([], pa.string()) for _ in layout.columns] + [pa.array([], pa.int64())]
    return pa.Table.from_arrays(arrays, names=[*layout.names, "line_number"])


def _trim(layout: Layout, cols: list[pa.Array]) -> list[pa.Array]:
    """Trim (text right-trimmed only: a 6-digit 保険者番号 keeps its two leading spaces, p154, p197) and read the
    literal ``NULL`` (any case: p228 prints ``NULL``, p215 ``Null``) as empty, as 空欄（Null） means (p20, p146)."""
    out = []
    for c, arr in zip(layout.columns, cols, strict=True):
        keep_left = c.type in ("str", "direct", "insurer")
        arr = pc.utf8_rtrim(arr, _SPACES) if keep_left else pc.utf8_trim(arr, _SPACES)
        four = pc.equal(pc.binary_length(arr), 4)
        if pc.any(four).as_py():
            null = pc.and_(four, pc.equal(pc.ascii_upper(arr), "NULL"))
            if pc.any(null).as_py():
                arr = pc.if_else(null, "", arr)
        out.append(arr)
    return out


def read_tsv_fast(
    ctx: ReadContext, utf8: bytes, start: int, n_data: int, crlf: int, lines: list[bytes] | None = None
) -> tuple[dict[str, pa.Array], pa.Array, None, list[Finding]] | None:
    """The common case in C++: a well-formed TSV (uniform line ends, every row the layout's column count, no
    repeated line), parsed by Arrow's CSV reader. Returns None — and the caller takes the line-by-line path,
    which explains every structural fault — as soon as anything is irregular.

    Row checks (:func:`validate`) still run; a rejected row's text comes from its physical line.
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

    keep, findings = validate(ctx, cols_d, line_numbers, None, raw_for)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
    return cols_d, line_numbers, None, findings


def read_tsv_chunk(
    ctx: ReadContext, lines: list[str], offset: int, undecodable: dict[int, str], raw_lines: list[bytes]
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
            raw = raw_lines[offset + i].rstrip(b"\r").decode(codec_guess(raw_lines[offset + i]), errors="replace")
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
    keep, more = validate(ctx, cols_d, line_numbers, good_text)
    findings.extend(more)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
        good_text = good_text.filter(keep)
    return cols_d, line_numbers, good_text, findings


def read_fixed_width(
    ctx: ReadContext, raw_lines: list[bytes], start: int, encoding: str, widths: list[int]
) -> tuple[dict[str, pa.Array], pa.Array, list[Finding], pa.Array]:
    layout = ctx.layout
    width = record_length(layout, widths)
    codec = codec_for(encoding)
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
                    raw_fixed(ctx, rec, codec),
                )
            )
        else:
            findings.append(
                Finding(
                    ln,
                    None,
                    "wrong_column_count",
                    f"{len(rec)} bytes: fixed-width record is {width}",
                    raw_fixed(ctx, rec, codec) if b"\t" not in rec else ctx.raw(text),
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
        findings.append(Finding(good_ln[j], None, "undecodable", why, raw_fixed(ctx, good_rows[j], codec)))
    mask = pa.array(keep_mask, pa.bool_())
    cols = _trim(layout, [pa.array(v, pa.string()).filter(mask) for v in columns])
    cols_d = dict(zip(layout.names, cols, strict=True))
    line_numbers = pa.array(good_ln, pa.int64()).filter(mask)
    good_text = pa.array(text_rows, pa.string()).filter(mask)
    keep, more = validate(ctx, cols_d, line_numbers, good_text, ctx.raw_of)
    findings.extend(more)
    if keep is not None:
        cols_d = {k: v.filter(keep) for k, v in cols_d.items()}
        line_numbers = line_numbers.filter(keep)
        good_text = good_text.filter(keep)
    return cols_d, line_numbers, findings, good_text
