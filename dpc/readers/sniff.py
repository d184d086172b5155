"""Sniffing: what a delivered file is before a row is read — its delivery (施設コード, month) from the name, its
encoding (cp932, UTF-8 with or without BOM, and the lines of another encoding), its physical lines and line
ends, its title row (recognised by structure; other wordings are warnings) and whether it is fixed-width."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

from dpc.layouts import LAYOUTS, Layout, fixed_width_variants, header_names, normalise_header_field, record_length
from dpc.readers.findings import FileRejected, Finding

BOM = b"\xef\xbb\xbf"
# UTF-8 lead pairs of CJK punctuation, hiragana and katakana: a cp932 file containing none of them has no
# UTF-8 Japanese line, so the exact (slower) per-line check runs only when one occurs
_UTF8_KANA = re.compile(rb"\xe3[\x80-\x83][\x80-\xbf]")
_NAME = re.compile(r"_(?P<facility>\d{9})_(?P<yymm>\d{4})(?:\.|_|$)")


def delivery_from_filename(name: str) -> tuple[str | None, int | None]:
    """(施設コード, yyyymm) from ``<prefix>_<facility>_<yymm>.txt``, or (None, None)."""
    m = _NAME.search(name.rsplit("/", 1)[-1])
    return (m["facility"], 200000 + int(m["yymm"])) if m else (None, None)


def detect_encoding(body: bytes, bom: bool) -> tuple[str, str | None]:
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


def codec_for(encoding: str) -> str:
    return "utf-8" if encoding in ("utf-8-sig", "ascii") else encoding


def decode_line(raw: bytes, encoding: str) -> tuple[str | None, str]:
    """A line's text, or None and why it does not decode."""
    codec = codec_for(encoding)
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


def codec_guess(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp932"


def sniff_line_ending(body: bytes, n_lines: int, final_newline: bool) -> tuple[str, int]:
    """("CRLF" | "LF" | "mixed" | "none", the number of CRLF ends) of a file of n_lines physical lines."""
    ends = n_lines - (0 if final_newline else 1)  # = body.count(b"\n"), without another pass
    crlf = body.count(b"\r\n")
    return ("none" if ends == 0 else "CRLF" if crlf == ends else "LF" if crlf == 0 else "mixed"), crlf


# control characters a field may not hold: C0 but tab, LF and CR (line ends, delimiter), DEL, C1
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def may_hold_controls(text: str | None, delimiter: str, crlf: int) -> bool:
    """Whether some field of the file may hold a control character: one in the decoded text (any, when some line
    does not decode), a tab in a file whose fields are not tab-separated (K, p154), or a carriage return that does
    not end a line. False lets the row checks skip the per-column search (one pass instead of one per column)."""
    if text is None or _CONTROLS.search(text) or text.count("\r") != crlf:
        return True
    return delimiter != "\t" and "\t" in text


def split_lines(data: bytes) -> tuple[list[bytes], bool]:
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


def utf8_lines_in_cp932(body: bytes, encoding: str, n_lines: int) -> dict[int, str]:
    """Lines of a cp932 file that are valid, non-ASCII UTF-8 (mixed encodings): vectorised, and only when the file
    holds a UTF-8 kana or CJK punctuation sequence at all; {} for a file of another encoding."""
    if encoding != "cp932" or not _UTF8_KANA.search(body):
        return {}
    replaced = body.decode("utf-8", errors="replace").split("\n")[:n_lines]
    arr = pa.array(replaced, pa.string())
    suspect = pc.and_(pc.invert(pc.string_is_ascii(arr)), pc.invert(pc.match_substring(arr, "\ufffd")))
    idx = pc.indices_nonzero(suspect).to_pylist()
    return {i: "the line is utf-8, the file is cp932 (mixed encodings)" for i in idx}


def check_header(name: str, layout: Layout, raw: bytes, encoding: str) -> tuple[str, list[Finding]]:
    """Recognise the title row by structure (first field a form of 施設コード, the kind's column count) and report
    each column whose wording differs from the specification's as a `title_wording` warning, never a rejection."""
    line, why = decode_line(raw.removeprefix(BOM), encoding)
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


def fixed_width_variant(layout: Layout, first: bytes) -> tuple[str, list[int]] | None:
    """The fixed-width variant whose record length the first data line has (no tabs), or None."""
    if not layout.fixed_width_allowed or b"\t" in first:
        return None
    for variant, widths in fixed_width_variants(layout):
        if len(first) == record_length(layout, widths):
            return variant, widths
    return None
