"""Engine executors: each runs the plans the steps make (:mod:`dpc.steps.load`, :mod:`dpc.steps.publish`,
:mod:`dpc.steps.export`) on one engine, and answers the few questions a step asks the warehouse.

The rule — what a load replaces, what a publication copies, what an export writes — is the step's, written once;
an executor only turns a plan into its engine's statements and runs them atomically:

- :mod:`dpc.executors.duckdb` — a connection and a transaction (the local pipeline, the demo, the tests);
- :mod:`dpc.executors.redshift` — one Data API batch per plan, polled by the state machine (the Lambdas);
- :mod:`dpc.executors.athena` — Glue partitions as load pointers, one Iceberg commit per published table.

This module is STANDARD LIBRARY ONLY (the Lambdas import the Redshift executor); the DuckDB executor is imported
by name where DuckDB is installed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from dpc.steps.load import LoadPlan, PreviousLoad
from dpc.steps.publish import Catalog, PublishPlan


class Executor(Protocol):
    """What every engine offers the steps."""

    engine: str

    def catalog(self, schema: str) -> Catalog:
        """Every table of a schema with its columns in order, (name, type)."""
        ...

    def changed_keys(
        self, table: str, columns: Sequence[str], key_columns: tuple[str, ...], facilities: frozenset[str]
    ) -> Iterable[tuple[Any, ...]]:
        """Keys of the rows of ``table`` (of the given facilities) that differ between mart_build and mart."""
        ...

    def latest_load(self, facility_code: str, yyyymm: int) -> PreviousLoad | None:
        """A delivery's latest recorded load."""
        ...

    def load(self, plans: Sequence[LoadPlan]) -> Any:
        """Record the loads and make exactly their files visible, atomically."""
        ...

    def publish(self, plan: PublishPlan) -> Any:
        """Run a publication and write its log row, atomically."""
        ...
