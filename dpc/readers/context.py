"""The state of one file being read, which every step shares (layout, delivery, key, lines, what was found so
far), and the text a quarantined line keeps: データ識別番号 pseudonymised with the key (masked without the
delivery's facility), direct identifiers, birth dates, postal codes and insurer numbers masked, other 10-digit
numbers masked (docs/decisions/0003), control characters escaped and long fields cut. Without a key (``dpc inspect``
on a local file) identifiers other than データ識別番号 are still masked; such lines are never stored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from dpc.layouts import Layout, pid_index
from dpc.readers.findings import Finding

_TEN_DIGITS = re.compile(r"(?<!\d)\d{10}(?!\d)")
_SHORT_CODE = 5  # a field this short is a code (sex, category, item number), never an identifier
_SHOWN = 256  # characters of one field a quarantined line keeps (the widest fixed field is 254 bytes, p197)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DIGIT_RUN = re.compile(r"\d{6,}")


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
    # whether any field may hold a control character (sniff.may_hold_controls): when not, the per-column search
    # is skipped
    controls_possible: bool = True

    def raw_of(self, line: int) -> str:
        """The quarantine text of physical line ``line`` (1-based)."""
        rec = self.raw_lines[line - 1].rstrip(b"\r")
        if self.widths is not None:
            return raw_fixed(self, rec, self.codec)
        return self.raw(rec.decode(self.codec, errors="replace"))

    def raw(self, line_text: str) -> str:
        """The line for quarantine: データ識別番号 pseudonymised when a key is given, direct identifiers (K生成用データ's
        names and insurance numbers, p154), birth dates and EF/D 保険者番号 always masked, other 10-digit numbers
        masked; control characters escaped and long fields cut (:func:`bounded`)."""
        layout = self.layout
        fields = line_text.split(layout.delimiter, len(layout.columns) + 1)
        idx = pid_index(layout)
        if len(fields) <= idx:
            return bounded(line_text, _SHOWN * 4, _mask_ten_digits if self.key is not None else None)
        if self.key is not None and len(fields) != len(layout.columns):
            # a line without the layout's columns: which field holds what is unknown (an ID may have shifted into
            # any of them), so only empty fields and short codes are shown — none but empty ones in a kind that holds
            # direct identifiers (K's 枝番 is two characters, p154); the line number locates it
            short = 0 if any(c.type == "direct" for c in layout.columns) else _SHORT_CODE
            shown = [bounded(f) if len(f.strip()) <= short else "***" for f in fields[: len(layout.columns)]]
            if re.fullmatch(r"\d{10}", fields[idx].strip()):
                shown[idx] = _pseudonym_for_quarantine(self, fields[idx])
            return layout.delimiter.join(shown + (["***"] if len(fields) > len(layout.columns) else []))
        for i in identifying_positions(layout, fields):
            if i < len(fields) and fields[i]:
                fields[i] = "*" * 3
        if len(fields) > len(layout.columns):
            fields = fields[: len(layout.columns)] + ["***"]  # a shifted line: nothing after may be shown
        if self.key is None:
            return layout.delimiter.join(bounded(f) for f in fields)
        pid = _pseudonym_for_quarantine(self, fields[idx])
        return layout.delimiter.join(
            pid if i == idx else bounded(f, mask=_mask_ten_digits) for i, f in enumerate(fields)
        )


def identifying_positions(layout: Layout, fields: list[str]) -> list[int]:
    """Positions of a line's fields that are never shown in quarantine, whatever the reason (docs/decisions/0003):
    direct identifiers (p154), birth dates (p154, p201), EF/D 保険者番号 (p197 E-16, listed among the direct
    identifiers), and 様式1 A000010's 生年月日 and 郵便番号 (payloads 1 and 3, p21) — also on a record whose コード is
    not an item the table lists (a damaged コード cannot vouch that its payloads are harmless)."""
    out = [i for i, c in enumerate(layout.columns) if c.type in ("direct", "insurer") or c.partial_date]
    if layout.kind == "FF1" and len(fields) > 8:
        from dpc import payload_items

        code = fields[5].strip()
        if code == "A000010" or code not in payload_items.items("FF1"):
            out += [8, 10]
    return out


def bounded(text: str, limit: int | None = None, mask: Callable[[str], str] | None = None) -> str:
    """A field as quarantine keeps it: at most ``limit`` characters (a 20 MB value is cut, its length said), masked
    by ``mask`` (applied to a window a little wider than what is shown, so that a number across the cut is masked
    whole), control characters (C0, DEL, C1) escaped as ``\\xNN``, never stored raw."""
    limit = _SHOWN if limit is None else limit
    cut = len(text) > limit
    shown = text[: limit + 16] if cut else text
    if mask is not None:
        shown = mask(shown)
    shown = shown[:limit] if cut else shown
    if _CONTROL.search(shown):
        shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", shown)
    return f"{shown}…({len(text)} characters)" if cut else shown


def _mask_ten_digits(text: str) -> str:
    return _TEN_DIGITS.sub("##########", text)


def _mask_digit_runs(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: "#" * len(m.group()), text)


def raw_fixed(ctx: ReadContext, rec: bytes, codec: str) -> str:
    """A fixed-width record for quarantine, sliced by the widths of the variant the file was read as (ctx.widths:
    the old 7-wide D-30 record puts データ識別番号 at the same place, but the pseudonym must replace its bytes only).
    Identifying fields are masked as in :meth:`ReadContext.raw`; a record of another length (where nothing is
    known to be where) shows no run of 6 or more digits (a birth date, an insurer or postal number)."""
    if ctx.key is None:
        return bounded(rec.decode(codec, errors="replace"), _SHOWN * 4)
    widths = ctx.widths if ctx.widths is not None else ctx.layout.widths
    idx = pid_index(ctx.layout)
    if len(rec) != sum(widths):
        a = sum(widths[:idx])
        b = a + widths[idx]
        head = bounded(rec[:a].decode(codec, errors="replace"), mask=_mask_digit_runs)
        pid = rec[a:b].decode(codec, errors="replace") if len(rec) >= b else ""
        shown = _pseudonym_for_quarantine(ctx, pid) if re.fullmatch(r"\d{10}", pid) else "#" * len(pid)
        return head + shown + bounded(rec[b:].decode(codec, errors="replace"), _SHOWN * 4, _mask_digit_runs)
    parts: list[str] = []
    pos = 0
    for w in widths:
        parts.append(rec[pos : pos + w].decode(codec, errors="replace"))
        pos += w
    for i in identifying_positions(ctx.layout, parts):
        if parts[i].strip():
            parts[i] = "*" * widths[i]
    out = [
        _pseudonym_for_quarantine(ctx, p) if i == idx else _TEN_DIGITS.sub("##########", p) for i, p in enumerate(parts)
    ]
    return bounded("".join(out), _SHOWN * 4)


def _pseudonym_for_quarantine(ctx: ReadContext, value: str) -> str:
    """データ識別番号 in a quarantined line: its pseudonym at the delivery's facility (the same patient_key the
    accepted rows get); masked when the delivery's facility is not known (a file read outside a delivery)."""
    from dpc.pseudonymise import patient_key

    if not value.strip():
        return value
    if ctx.key is None or not ctx.facility or not re.fullmatch(r"\d{9}", ctx.facility):
        return "#" * len(value)
    return patient_key(ctx.facility, value, ctx.key)
