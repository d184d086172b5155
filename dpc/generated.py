"""Files the repository generates from its own data (docs pages, seeds, sources, Glue and Redshift schemas).

Each generator renders its text and calls :func:`write_or_check`: without ``--check`` it writes the file; with it,
it reports a stale file (a test runs every generator with ``--check``, so a committed file always says what the
code does). Standard library only.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(files: dict[Path, str], argv: list[str], command: str) -> int:
    """Write each path's text, or with ``--check`` in ``argv`` return 1 (naming ``command``) when any differs."""
    if "--check" not in argv:
        for path, text in files.items():
            path.write_text(text, encoding="utf-8")
        return 0
    stale = [str(p) for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if stale:
        print(f"stale: {', '.join(stale)}: run {command}", file=sys.stderr)
        return 1
    return 0
