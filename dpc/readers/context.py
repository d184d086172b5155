"""The state of one file being read, which every step shares (layout, delivery, key, lines, what was found so
far), and the text a quarantined line keeps: データ識別番号 pseudonymised with the key (masked without the
delivery's facility), direct identifiers and birth dates masked, other 10-digit numbers masked
(docs/decisions/0003). Without a key (``dpc inspect`` on a local file) lines stay verbatim and are never stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dpc.layouts import Layout, pid_index
from dpc.readers.findings import Finding

_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")
_SHORT_CODE = 5  # a field this short is a code (sex, category, item number), never an identifier


@dataclass
class ReadContext:
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
            return raw_fixed(self, rec, self.codec)
        return self.raw(rec.decode(self.codec, errors="replace"))

    def raw(self, line_text: str) -> str:
        """The line for quarantine: データ識別番号 pseudonymised when a key is given, direct identifiers (K生成用データ's
        names and insurance numbers, p154) always masked, other 10-digit numbers masked."""
        layout = self.layout
        fields = line_text.split(layout.delimiter)
        idx = pid_index(layout)
        if len(fields) <= idx:
            return _TEN_DIGITS.sub("##########", line_text) if self.key is not None else line_text
        if self.key is not None and len(fields) != len(layout.columns):
            # a line without the layout's columns: which field holds what is unknown (an ID may have shifted into
            # any of them), so only empty fields and short codes are shown; the line number locates it
            shown = [f if len(f.strip()) <= _SHORT_CODE else "***" for f in fields]
            if re.fullmatch(r"\d{10}", fields[idx].strip()):
                shown[idx] = _pseudonym_for_quarantine(self, fields[idx])
            return layout.delimiter.join(shown)
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


def raw_fixed(ctx: ReadContext, rec: bytes, codec: str) -> str:
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


def _pseudonym_for_quarantine(ctx: ReadContext, value: str) -> str:
    """データ識別番号 in a quarantined line: its pseudonym at the delivery's facility (the same patient_key the
    accepted rows get); masked when the delivery's facility is not known (a file read outside a delivery)."""
    from dpc.pseudonymise import patient_key

    if not value.strip():
        return value
    if ctx.key is None or not ctx.facility or not re.fullmatch(r"\d{9}", ctx.facility):
        return "#" * len(value)
    return patient_key(ctx.facility, value, ctx.key)
