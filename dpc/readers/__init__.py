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

The package, one job a module: ``sniff`` (name, encoding, lines, title row, fixed width), ``parse`` (lines →
string columns, structural faults), ``row_checks`` (each row against the layout and the specification),
``assemble`` (duplicates, units, file-level warnings), ``context`` (the state of one read and the quarantine text
of a line), ``findings`` (what a read returns, the reason codes) and ``read`` (the steps in order).
"""

from dpc.readers.findings import FIELD_FINDINGS, REASONS, STRUCTURAL, WARNINGS, FileRejected, Finding, ReadResult
from dpc.readers.read import CHUNK_LINES, REJECT_SHARE, read_delivered_file, reject_if_nothing_accepted
from dpc.readers.sniff import delivery_from_filename

__all__ = [
    "CHUNK_LINES",
    "FIELD_FINDINGS",
    "REASONS",
    "REJECT_SHARE",
    "STRUCTURAL",
    "WARNINGS",
    "FileRejected",
    "Finding",
    "ReadResult",
    "delivery_from_filename",
    "read_delivered_file",
    "reject_if_nothing_accepted",
]
