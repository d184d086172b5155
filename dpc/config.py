"""Configuration read from the environment (standard library only: the Lambdas import it).

``DPC_FILE_PREFIXES`` overrides the file-name prefixes of one or more kinds, because the
D and H prefixes are unconfirmed: ``"D=Dn,D;H=Hn,H"`` (kinds separated by ``;``,
prefixes by ``,``; kinds not named keep the defaults from ``dpc.layouts``). Prefixes
match case-insensitively and are followed by ``_`` in the file name.
"""

from __future__ import annotations

import os

from dpc.layouts import LAYOUTS

PREFIXES_ENV = "DPC_FILE_PREFIXES"


def file_prefixes(spec: str | None = None) -> dict[str, tuple[str, ...]]:
    """Kind → accepted file-name prefixes (defaults from the layouts, overridden by ``DPC_FILE_PREFIXES``)."""
    table = {kind: lay.prefixes for kind, lay in LAYOUTS.items()}
    spec = os.environ.get(PREFIXES_ENV, "") if spec is None else spec
    by_lower = {k.lower(): k for k in LAYOUTS}
    for part in spec.split(";"):
        if not part.strip():
            continue
        kind, sep, prefixes = part.partition("=")
        known = by_lower.get(kind.strip().lower())
        if not sep or known is None:
            raise ValueError(
                f"{PREFIXES_ENV}: cannot read {part!r}: expected KIND=PREFIX[,PREFIX…] with KIND one of {sorted(LAYOUTS)}"
            )
        names = tuple(p.strip() for p in prefixes.split(",") if p.strip())
        if not names:
            raise ValueError(f"{PREFIXES_ENV}: kind {known} has no prefixes in {part!r}")
        table[known] = names
    return table
