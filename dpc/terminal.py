"""Text for a terminal: what ``dpc`` prints of values it did not write itself (delivered file names, reasons, a
learner's query results) goes through :func:`printable`, so that no escape sequence, NUL or C1 control a file or a
value carries reaches the terminal (issue 25, item 5). Standard library only."""

from __future__ import annotations

import re

_C1_AND_DEL = re.compile("[\x7f-\x9f]")


def printable(value: object) -> str:
    """A value as text safe for a terminal: control characters (escape sequences, NUL, newlines) shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(value))


def printable_json(text: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) safe for a terminal: JSON already escapes C0
    controls (ESC as ``\\u001b``); DEL and the C1 controls (CSI U+009B …) are escaped too. Still valid JSON."""
    return _C1_AND_DEL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


__all__ = ["printable", "printable_json"]
