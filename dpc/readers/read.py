"""Reading one delivered file: sniff it, parse its rows (each chunk checked), reject the file when most rows are
structurally broken, assemble the accepted table. :func:`read_delivered_file` is what the normaliser and
``dpc inspect`` call (the package docstring says what it accepts and returns)."""

from __future__ import annotations

from collections import Counter

from dpc.config import file_prefixes
from dpc.layouts import LAYOUTS, Layout, kind_for_filename, record_length
from dpc.manifest import has_title_row
from dpc.readers.assemble import assemble, file_warnings
from dpc.readers.context import ReadContext
from dpc.readers.findings import STRUCTURAL, FileRejected, Finding, ReadResult
from dpc.readers.parse import empty_accepted, read_fixed_width, read_tsv_chunk
from dpc.readers.parse import read_tsv_fast as _read_tsv_fast  # a module global: tests switch the fast path off here
from dpc.readers.sniff import (
    BOM,
    check_header,
    codec_for,
    decode_line,
    delivery_from_filename,
    detect_encoding,
    fixed_width_variant,
    may_hold_controls,
    sniff_line_ending,
    split_lines,
    utf8_lines_in_cp932,
)

REJECT_SHARE = 0.5  # more than this share of structurally broken rows rejects the whole file
CHUNK_LINES = 400_000


def read_delivered_file(
    name: str,
    data: bytes,
    *,
    expected_yyyymm: int | None = None,
    expected_facility: str | None = None,
    prefixes: dict[str, tuple[str, ...]] | None = None,
    key: bytes | None = None,
) -> ReadResult:
    """Read one delivered file (see the docstring of dpc.readers). Raises :class:`FileRejected`."""
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

    bom = data.startswith(BOM)
    body = data[3:] if bom else data
    encoding, text = detect_encoding(body, bom)
    raw_lines, final_newline = split_lines(data)  # as dpc.manifest.count_data_rows counts: BOM in line 1
    if bom:
        raw_lines[0] = raw_lines[0][3:]
    line_ending, crlf = sniff_line_ending(body, len(raw_lines), final_newline)

    header = bool(raw_lines) and has_title_row(raw_lines[0])
    variant = "tsv" if layout.delimiter == "\t" else "csv"
    start = 0
    title_warnings: list[Finding] = []
    if header:
        variant, title_warnings = check_header(name, layout, raw_lines[0].rstrip(b"\r"), encoding)
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
    ctx = ReadContext(name, layout, facility, yyyymm, key, n_data + start, final_newline)
    ctx.raw_lines, ctx.codec = raw_lines, codec_for(encoding)
    ctx.controls_possible = may_hold_controls(text, layout.delimiter, crlf)

    if n_data == 0:
        accepted = empty_accepted(layout)
        return ReadResult(
            name, kind, variant, encoding, header, line_ending, 0, accepted, [], title_warnings, facility, yyyymm
        )

    first = raw_lines[start].rstrip(b"\r")
    fixed = fixed_width_variant(layout, first)
    if fixed is not None:
        variant = fixed[0] + variant[3:]
        ctx.widths = fixed[1]
        cols, line_numbers, findings, good_text = read_fixed_width(ctx, raw_lines, start, encoding, fixed[1])
        chunks = [(cols, line_numbers, good_text)]
    else:
        chunks, findings = [], []
        fast = None
        if text is not None:
            undecodable = utf8_lines_in_cp932(body, encoding, len(raw_lines))
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
                line_text, why = decode_line(raw, encoding)
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
                part = read_tsv_chunk(ctx, text_lines[lo:hi], lo, undecodable, raw_lines)
                chunks.append(part[:3])
                findings.extend(part[3])

    structural = [f for f in findings if f.reason_code in STRUCTURAL]
    if structural and len(structural) > REJECT_SHARE * n_data:
        raise FileRejected(name, structural[0].line, None, _structural_message(layout, structural, n_data, variant))

    accepted, more = assemble(ctx, chunks)
    findings.extend(more)
    findings.sort(key=lambda f: f.line)
    warnings = title_warnings + file_warnings(ctx, accepted, raw_lines) + ctx.warnings
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
