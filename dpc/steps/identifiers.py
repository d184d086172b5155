"""Raw files that hold direct identifiers are not kept once normalised (docs/decisions/0003, docs/pseudonymisation.md).

K生成用データ (spec p153–155) carries カナ氏名, 保険者番号, 被保険者記号・番号 and 枝番. The normaliser derives the link
key from it and then deletes the raw file; it is never archived. A small marker (name, checksum, when) records the
deletion, so that validating the same delivery again knows the file was removed on purpose rather than lost, and a
re-normalise of the same version keeps the link keys it already has. Standard library only (Lambdas import it).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dpc.layouts import LAYOUTS, direct_identifier_columns, kind_for_filename
from dpc.storage import Storage, delivery_prefix

# kinds whose raw files hold direct identifiers (a column of type "direct" in dpc/layouts.py)
IDENTIFYING_KINDS: frozenset[str] = frozenset(
    kind for kind, layout in LAYOUTS.items() if direct_identifier_columns(layout)
)


def holds_direct_identifiers(name: str) -> bool:
    return kind_for_filename(name) in IDENTIFYING_KINDS


def _marker_key(facility_code: str, yyyymm: int, name: str) -> str:
    return delivery_prefix("state/deleted", facility_code, yyyymm) + name + ".json"


def deletion_marker(storage: Storage, facility_code: str, yyyymm: int, name: str) -> dict[str, object] | None:
    key = _marker_key(facility_code, yyyymm, name)
    if not storage.exists(key):
        return None
    return dict(json.loads(storage.read_bytes(key).decode("utf-8")))


def delete_after_normalising(
    storage: Storage,
    facility_code: str,
    yyyymm: int,
    name: str,
    sha256: str,
    result: dict[str, object],
    outputs: dict[str, str] | None = None,
) -> None:
    """Delete one raw identifying file of a delivery, leaving a marker: its name, checksum, the normaliser's
    per-file counts (so that a later load of the same version reconciles) and when — never its content."""
    marker = {
        "name": name,
        "sha256": sha256,
        "deleted_at": datetime.now(UTC).isoformat(),
        "why": "docs/decisions/0003",
        "result": result,
        "outputs": outputs or {},  # the normalised files it produced: a later load of the delivery carries them
    }
    storage.write_bytes(_marker_key(facility_code, yyyymm, name), json.dumps(marker).encode("utf-8"))
    storage.delete(delivery_prefix("raw", facility_code, yyyymm) + name)
