"""Load step — the rule, engine-neutral: what a load replaces, its load-history rows and the archive layout.

STANDARD LIBRARY ONLY (the LoadRaw Lambda imports it). Engines only execute a :class:`LoadPlan`
(:mod:`dpc.executors`): DuckDB in one transaction, Redshift in one Data API batch, Athena/Glue as partition
pointers.

What a load replaces: exactly one delivery (facility × month, docs/decisions/0001), in every raw and quarantine
relation (:data:`RAW_RELATIONS`), with the files the normaliser wrote under the load's own versioned prefix
``stage/<kind>/yyyymm=…/facility=…/load=<load id>/`` (:func:`dpc.storage.load_prefix`).

A load is visible only once recorded (docs/decisions/0011): normalising writes a new prefix that nothing reads;
the engines read, per delivery, the files of its latest load in ``dq.load_history``. Recording the load — its
history rows, in the same transaction as what makes the engine read the new prefix — is the pointer update. A run
killed after normalising and before recording leaves the engines on the previous recorded load, and the next run
normalises the delivery again under a new load id.

Archive (a corrected re-delivery keeps the previous version, docs/rejected-deliveries.md): every version's raw
files and manifest are copied to ``archive/raw/yyyymm=…/facility=…/<manifest_sha256[:12]>/`` when it is first
normalised (:func:`archive_raw`; hospitals upload a correction over the same raw prefix, so the previous raw files
are gone by the time it is seen) — never the raw K生成用データ (docs/decisions/0003). Its normalised files stay
under their own load prefix: nothing overwrites them. The load history of a correction names the previous
version's archive in ``archived_to``. Archives are write-once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from dpc.layouts import KIND_SLUG
from dpc.manifest import MANIFEST_NAME
from dpc.steps import step
from dpc.steps.identifiers import holds_direct_identifiers
from dpc.storage import STAGE_FILE, Storage, delivery_prefix, load_prefix, stage_prefix

LOAD_HISTORY_COLUMNS = (
    "load_id",
    "facility_code",
    "yyyymm",
    "kind",
    "source_file",
    "sha256",
    "bytes",
    "delivered_rows",
    "accepted_rows",
    "quarantined_rows",
    "warnings",
    "manifest_sha256",
    "archived_to",
    "loaded_by",
    "loaded_at",
)

# every relation a load replaces: (relation, stage layer) — raw.<kind> and dq.quarantine_<kind>
RAW_RELATIONS: tuple[tuple[str, str], ...] = tuple(
    pair
    for kind, slug in KIND_SLUG.items()
    for pair in ((f"raw.{slug}", slug), (f"dq.quarantine_{slug}", f"quarantine_{slug}"))
)


@dataclass(frozen=True)
class LoadedFile:
    """One delivered file as loaded: the manifest's facts joined with the normaliser's counts."""

    kind: str
    source_file: str
    sha256: str
    bytes: int
    delivered_rows: int
    accepted_rows: int
    quarantined_rows: int
    warnings: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoadedFile:
        return cls(**{f: data[f] for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class PreviousLoad:
    """A delivery's latest recorded load (its current version)."""

    load_id: str
    manifest_sha256: str
    loaded_at: datetime | None = None


@dataclass(frozen=True)
class LoadPlan:
    """Replace one delivery in every raw and quarantine relation with the files of one load, and record it."""

    facility_code: str
    yyyymm: int
    load_id: str
    manifest_sha256: str
    files: tuple[LoadedFile, ...]
    archived_to: str | None
    loaded_by: str
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def delivery(self) -> tuple[str, int]:
        return self.facility_code, self.yyyymm

    def prefixes(self) -> list[tuple[str, str]]:
        """(relation, versioned prefix) for every relation the load replaces."""
        return [
            (rel, load_prefix(layer, self.facility_code, self.yyyymm, self.load_id)) for rel, layer in RAW_RELATIONS
        ]

    def history_rows(self) -> list[dict[str, Any]]:
        """One ``dq.load_history`` row per delivered file."""
        return [
            {
                "load_id": self.load_id,
                "facility_code": self.facility_code,
                "yyyymm": self.yyyymm,
                **{k: v for k, v in asdict(f).items()},
                "manifest_sha256": self.manifest_sha256,
                "archived_to": self.archived_to,
                "loaded_by": self.loaded_by,
                "loaded_at": self.loaded_at,
            }
            for f in self.files
        ]


@step("load")
def plan_load(
    facility_code: str,
    yyyymm: int,
    *,
    load_id: str,
    manifest_sha256: str,
    files: Iterable[LoadedFile],
    archived_to: str | None,
    loaded_by: str,
    loaded_at: datetime | None = None,
) -> LoadPlan:
    """The load of one normalised delivery (an :class:`~dpc.steps.ingest.Ingested` answer); an executor runs it."""
    files = tuple(files)
    if not files:
        raise ValueError(f"delivery {facility_code} {yyyymm}: the normaliser listed no file, nothing to load")
    return LoadPlan(
        facility_code=str(facility_code),
        yyyymm=int(yyyymm),
        load_id=load_id,
        manifest_sha256=manifest_sha256,
        files=files,
        archived_to=archived_to,
        loaded_by=loaded_by,
        loaded_at=(loaded_at or datetime.now(UTC)).astimezone(UTC),
    )


def current_load_file(layer: str, facility_code: str, yyyymm: int, load_id: str) -> str:
    """The normalised file of one relation's layer for a recorded load (relative to the lake / bucket)."""
    return load_prefix(layer, facility_code, yyyymm, load_id) + STAGE_FILE


def legacy_stage_file(layer: str, facility_code: str, yyyymm: int) -> str:
    """Where loads recorded before versioned prefixes (docs/decisions/0011) left their file."""
    return stage_prefix(layer, facility_code, yyyymm) + STAGE_FILE


NORMALISED, UNCHANGED, REJECTED = "normalised", "unchanged", "rejected"


@dataclass
class Ingested:
    """What the normalise step did with one delivery (:func:`dpc.steps.ingest.ingest_delivery`): the runner's
    answer to the state machine (:meth:`as_dict`) and the load step's input (:meth:`plan`). Defined here, with
    the standard library only, because the LoadRaw Lambda reads it."""

    facility_code: str
    yyyymm: int
    status: str  # normalised | unchanged | rejected
    load_id: str = ""
    manifest_sha256: str = ""
    files: list[LoadedFile] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)  # per file: reason_code → rows
    archived_to: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # layer → the key of the file written under the load prefix

    def plan(self, loaded_by: str) -> LoadPlan:
        """The load of this normalised delivery."""
        if self.status != NORMALISED:
            raise ValueError(f"delivery {self.facility_code} {self.yyyymm} is {self.status}: nothing to load")
        return plan_load(
            self.facility_code,
            self.yyyymm,
            load_id=self.load_id,
            manifest_sha256=self.manifest_sha256,
            files=self.files,
            archived_to=self.archived_to,
            loaded_by=loaded_by,
        )

    def rows(self) -> dict[str, dict[str, int]]:
        """Rows per kind (summed over a kind's files)."""
        out: dict[str, dict[str, int]] = {}
        for f in self.files:
            counts = out.setdefault(f.kind, {"delivered": 0, "accepted": 0, "quarantined": 0})
            counts["delivered"] += f.delivered_rows
            counts["accepted"] += f.accepted_rows
            counts["quarantined"] += f.quarantined_rows
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "facility_code": self.facility_code,
            "yyyymm": self.yyyymm,
            "status": self.status,
            "load_id": self.load_id,
            "manifest_sha256": self.manifest_sha256,
            "files": [f.__dict__ for f in self.files],
            "quarantined": self.quarantined,
            "archived_to": self.archived_to,
            "findings": self.findings,
            "outputs": self.outputs,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ingested:
        """Read back :meth:`as_dict` (the runner's answer in the state machine's state)."""
        missing = [k for k in ("facility_code", "yyyymm", "status", "files") if k not in data]
        if missing:
            raise ValueError(f"not a normalise answer (missing {', '.join(missing)}): {sorted(data)}")
        return cls(
            facility_code=str(data["facility_code"]),
            yyyymm=int(data["yyyymm"]),
            status=str(data["status"]),
            load_id=str(data.get("load_id") or ""),
            manifest_sha256=str(data.get("manifest_sha256") or ""),
            files=[LoadedFile.from_dict(f) for f in data["files"]],
            quarantined=list(data.get("quarantined") or []),
            archived_to=data.get("archived_to"),
            findings=list(data.get("findings") or []),
            outputs={str(k): str(v) for k, v in (data.get("outputs") or {}).items()},
        )


# --- archive layout -------------------------------------------------------------------------------------------


def archive_prefix(facility_code: str, yyyymm: int, manifest_sha256: str) -> str:
    """``archive/raw/yyyymm=…/facility=…/<manifest_sha256[:12]>/`` — one folder per delivery version."""
    return f"archive/{delivery_prefix('raw', facility_code, yyyymm)}{manifest_sha256[:12]}/"


def _copy_once(storage: Storage, source: str, target: str) -> bool:
    if storage.exists(target) or not storage.exists(source):
        return False
    storage.write_bytes(target, storage.read_bytes(source))
    return True


def archive_raw(storage: Storage, facility_code: str, yyyymm: int, manifest_sha256: str, names: Iterable[str]) -> str:
    """Copy a delivery version's raw files and manifest into its archive folder (write-once); returns the folder."""
    source = delivery_prefix("raw", facility_code, yyyymm)
    target = archive_prefix(facility_code, yyyymm, manifest_sha256)
    # never the raw K生成用データ: names and insurance numbers are not kept (docs/decisions/0003)
    for name in [*(n for n in names if not holds_direct_identifiers(n)), MANIFEST_NAME]:
        _copy_once(storage, source + name, target + name)
    return target


def archived_to(storage: Storage, facility_code: str, yyyymm: int, previous: PreviousLoad | None) -> str | None:
    """The archive of the version a new load replaces, or None (first load, or the same version again)."""
    if previous is None or not previous.manifest_sha256:
        return None
    target = archive_prefix(facility_code, yyyymm, previous.manifest_sha256)
    return target if storage.exists(target + MANIFEST_NAME) else None


# --- the last normalised version, for the AWS path (the runner has no warehouse connection) ---------------------


def _ingested_key(facility_code: str, yyyymm: int) -> str:
    return delivery_prefix("state/ingested", facility_code, yyyymm) + "latest.json"


def last_ingested(storage: Storage, facility_code: str, yyyymm: int) -> PreviousLoad | None:
    """The version the normaliser last wrote for a delivery (``state/ingested/…/latest.json``), or None.

    The runner's normalise step uses it to name the version a correction replaces; the local pipeline asks the
    warehouse's load history instead (what was recorded), which also decides "unchanged"."""
    key = _ingested_key(facility_code, yyyymm)
    if not storage.exists(key):
        return None
    data = json.loads(storage.read_bytes(key).decode("utf-8"))
    return PreviousLoad(str(data["load_id"]), str(data["manifest_sha256"]))


def record_ingested(storage: Storage, facility_code: str, yyyymm: int, load_id: str, manifest_sha256: str) -> None:
    payload = {"load_id": load_id, "manifest_sha256": manifest_sha256, "at": datetime.now(UTC).isoformat()}
    storage.write_bytes(_ingested_key(facility_code, yyyymm), json.dumps(payload).encode("utf-8"))


def history_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Rows per kind of a load's history (what a summary shows)."""
    return {
        str(r["kind"]): {
            "delivered": int(r["delivered_rows"]),
            "accepted": int(r["accepted_rows"]),
            "quarantined": int(r["quarantined_rows"]),
        }
        for r in rows
    }
