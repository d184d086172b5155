"""Publish step — the rule, engine-neutral: what a publication copies from mart_build into mart.

STANDARD LIBRARY ONLY (the Publish Lambda imports it). :func:`plan_publish` turns the two schemas' catalogs and
what is pending into a :class:`PublishPlan`; an executor (:mod:`dpc.executors`) runs it as ONE transaction with
the publication log row (write-audit-publish, docs/decisions/0009): DuckDB in a transaction, Redshift in one Data
API batch, Athena as one Iceberg commit per table. Analysts see the previous mart until it commits.

What is copied (:class:`Touched`): the deliveries (facility × month) loaded since the last complete publication
— not only by this run: a run killed after loading leaves its deliveries pending, and the next run, which finds
them "unchanged", publishes them from mart_build (it resumes). Each mart table has a grain (:data:`GRAINS`):

- ``delivery`` tables (row level: one row per delivered line) replace exactly the touched facility-months;
- ``kpi`` tables replace the touched KPI months (facility × discharge month): given by the caller when the
  incremental build knows them, else found by comparing mart_build with mart for the touched facilities (the
  executor's query, :class:`ChangedKeys`);
- ``stay`` tables replace every stay of a touched facility (stays span months and readmission windows look
  back across months, so a re-delivery can change stays of other months of its facility, never of another one);
- any other table (dimensions, indicators, tables added later) is replaced whole — always correct, only less
  incremental. A table whose columns changed, or that mart does not have yet, is replaced whole too.

``touched=None`` (first publication, full refresh) replaces every table whole.

Held-back deliveries (docs/decisions/0028): when error-severity checks blame some pending deliveries, the run
publishes the others. ``held_back`` names every pending delivery of the blamed facilities; ``touched`` then holds
only the rest. Nothing of a held-back facility is copied: its facility-months, stays and KPI months are not in
``touched``, and a table replaced whole is replaced for the other facilities only (mode ``facilities``: its rows
of a held-back facility keep their published version) — or whole, for the tables that read reference data only
(:data:`REFERENCE_ONLY`); any other table without ``facility_code`` keeps its published version (mode ``kept``).
The held-back deliveries are written to the publication log and stay pending until a run publishes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dpc.errors import PublicationBlocked
from dpc.steps import step

__all__ = ["PublicationBlocked", "Touched", "plan_publish"]

BUILD_SCHEMA = "mart_build"
PUBLISHED_SCHEMA = "mart"

# table → (grain, key columns). Tables not listed are replaced whole.
GRAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fct_billing_lines": ("delivery", ("facility_code", "yyyymm")),
    "fct_admissions": ("stay", ("facility_code",)),
    "kpi_monthly_facility_mdc": ("kpi", ("facility_code", "discharge_yyyymm")),
}

# mart tables built from seeds only (no delivery data): replaced whole even when deliveries are held back
REFERENCE_ONLY = frozenset({"dim_mdc"})

PUBLISH_LOG_COLUMNS = (
    "run_id",
    "build_started_at",
    "published_at",
    "complete",
    "mode",
    "deliveries",
    "tables",
    "held_back",
)

# a catalog: table → its columns in order, each (name, type)
Catalog = Mapping[str, Sequence[tuple[str, str]]]
# the executor's query for the KPI months that differ: (table, columns, key columns, facilities) → keys
ChangedKeys = Callable[[str, Sequence[str], tuple[str, ...], frozenset[str]], Iterable[tuple[Any, ...]]]

WHOLE, DELIVERY, STAY, KPI, FACILITIES, KEPT = "whole", "delivery", "stay", "kpi", "facilities", "kept"


@dataclass(frozen=True)
class Touched:
    """What a publication must copy: deliveries (facility, yyyymm) and, when known, KPI months (facility, yyyymm)."""

    facility_months: frozenset[tuple[str, int]]
    kpi_months: frozenset[tuple[str, int]] | None = None

    @property
    def facilities(self) -> frozenset[str]:
        return frozenset(f for f, _ in self.facility_months)

    def as_dict(self) -> dict[str, object]:
        return {
            "facility_months": sorted([f, m] for f, m in self.facility_months),
            "kpi_months": None if self.kpi_months is None else sorted([f, m] for f, m in self.kpi_months),
        }


@dataclass(frozen=True)
class TablePublish:
    """One table's part of a publication.

    ``mode`` ``whole``: replace the table by mart_build's; ``delivery``/``stay``/``kpi``: replace the rows whose
    ``key_columns`` are in ``keys``; ``facilities``: replace every row but those of the facilities in ``keys``
    (held back), creating the table when mart lacks it (``exists`` False); ``kept``: leave it as published."""

    table: str
    mode: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...] = ()
    keys: frozenset[tuple[Any, ...]] = frozenset()
    exists: bool = True
    recreate: bool = False  # whole: mart lacks the table or has other columns (else its rows are replaced)
    reason: str = ""


@dataclass(frozen=True)
class PublishPlan:
    tables: tuple[TablePublish, ...]
    touched: Touched | None
    held_back: frozenset[tuple[str, int]]
    run_id: str
    build_started_at: datetime
    complete: bool

    @property
    def table_names(self) -> list[str]:
        return [t.table for t in self.tables]

    def log_row(self, published_at: datetime | None = None) -> dict[str, Any]:
        """The ``dq.publish_log`` row the executor writes in the publication's transaction."""
        return {
            "run_id": self.run_id,
            "build_started_at": self.build_started_at,
            "published_at": published_at or datetime.now(UTC),
            "complete": self.complete,
            "mode": "full" if self.touched is None else "incremental",
            "deliveries": None if self.touched is None else format_deliveries(self.touched.facility_months),
            "tables": ",".join(self.table_names),
            "held_back": format_deliveries(self.held_back) or None,
        }


def format_deliveries(deliveries: Iterable[tuple[str, int]]) -> str:
    """The publication log's spelling of deliveries: ``131000017-202406,271000023-202406``."""
    return ",".join(f"{f}-{m}" for f, m in sorted(deliveries))


def parse_deliveries(text: str | None) -> frozenset[tuple[str, int]]:
    out = set()
    for item in (text or "").split(","):
        if item.strip():
            facility, yyyymm = item.strip().split("-")
            out.add((facility, int(yyyymm)))
    return frozenset(out)


def pending_from(
    last_publication: tuple[Any, str | None] | None, loaded_since: Iterable[tuple[str, int]]
) -> Touched | None:
    """Deliveries loaded since the build of the last complete publication plus those it held back (0028); None
    when nothing was published yet. ``last_publication``: (build_started_at, held_back) of that publication."""
    if last_publication is None:
        return None
    loaded = frozenset((str(f), int(m)) for f, m in loaded_since)
    return Touched(loaded | parse_deliveries(last_publication[1]))


@step("publish")
def plan_publish(
    build: Catalog,
    published: Catalog,
    touched: Touched | None,
    *,
    held_back: Iterable[tuple[str, int]] = (),
    changed_keys: ChangedKeys | None = None,
    run_id: str = "",
    build_started_at: datetime | None = None,
    complete: bool = True,
) -> PublishPlan:
    """What to copy, table by table (see the module docstring). ``build``/``published``: the catalogs of
    mart_build and mart; ``changed_keys``: the executor's query for KPI months when ``touched`` does not know them."""
    held = frozenset((str(f), int(m)) for f, m in held_back)
    held_facilities = frozenset(f for f, _ in held)
    if held and touched is None:
        raise PublicationBlocked("a first or full publication replaces every table whole: nothing can be held back")
    if touched is not None and held_facilities & touched.facilities:
        raise PublicationBlocked("a held-back facility cannot also be published: " + ", ".join(sorted(held_facilities)))
    plans = []
    for table in sorted(build):
        build_cols = [tuple(c) for c in build[table]]
        published_cols = [tuple(c) for c in published.get(table, ())]
        names = tuple(str(c[0]) for c in build_cols)
        grain, key = GRAINS.get(table, (WHOLE, ()))
        if held and table not in REFERENCE_ONLY:
            if published_cols and published_cols != build_cols:
                raise PublicationBlocked(
                    f"{table} changed its columns: a changed table is published whole, held-back deliveries "
                    "included; correct them (or run without them) first"
                )
            if grain == WHOLE:
                if "facility_code" not in names:
                    reason = "no facility_code: its published version is kept while deliveries are held"
                    plans.append(TablePublish(table, KEPT, names, reason=reason))
                else:
                    held_keys = frozenset((f,) for f in held_facilities)
                    plans.append(
                        TablePublish(table, FACILITIES, names, ("facility_code",), held_keys, bool(published_cols))
                    )
                continue
        if touched is None or grain == WHOLE or published_cols != build_cols:
            plans.append(
                TablePublish(table, WHOLE, names, exists=bool(published_cols), recreate=published_cols != build_cols)
            )
            continue
        keys: frozenset[tuple[Any, ...]]
        if grain == DELIVERY:
            keys = frozenset(touched.facility_months)
        elif grain == STAY:
            keys = frozenset((f,) for f in touched.facilities)
        else:  # kpi
            months: Iterable[tuple[Any, ...]] | None = touched.kpi_months
            if months is None:
                if changed_keys is None:
                    raise ValueError(f"{table}: KPI months unknown and no query to find them")
                months = changed_keys(table, names, key, touched.facilities)
            keys = frozenset((str(f), int(m)) for f, m in months if f in touched.facilities)
        plans.append(TablePublish(table, grain, names, key, keys))
    return PublishPlan(
        tables=tuple(plans),
        touched=touched,
        held_back=held,
        run_id=run_id,
        build_started_at=build_started_at or datetime.now(UTC),
        complete=complete,
    )
