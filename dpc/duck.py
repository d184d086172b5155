"""DuckDB connections that honour the project's resource settings (issue 3).

dbt reads ``DPC_DUCKDB_THREADS`` and ``DPC_DUCKDB_MEMORY_LIMIT`` through ``profiles/profiles.yml``; the
pipeline's own connections (load, DQ, publish, export, the benchmark's floor) should use :func:`connect` so
one pair of variables governs every DuckDB in the process. Defaults are the profile's: 2 threads, 3GB.

Why 3GB: ``memory_limit`` caps DuckDB's buffer manager, not the process; dbt, Python and Arrow come on top.
With 4GB a full rebuild of three years of history peaked at 4.3 GiB of RSS; with 3GB at 3.5 GiB, inside the
4 GiB the project budgets for a run (bench/README.md). Twelve months peak at 1.8 GiB and never reach either.

Also the path of DuckDB's ``encodings`` extension shipped by the PyPI package ``duckdb-extension-encodings``
(docs/decisions/0002: loaded from the package, never downloaded), for reading cp932 text with ``read_csv``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

THREADS_ENV = "DPC_DUCKDB_THREADS"
MEMORY_ENV = "DPC_DUCKDB_MEMORY_LIMIT"
DEFAULT_THREADS = "2"
DEFAULT_MEMORY_LIMIT = "3GB"  # keep equal to profiles/profiles.yml (tested)
CP932 = "ibm-943_P15A-2003"  # DuckDB's name for a cp932-compatible decoder (shift_jis rejects ① and ⅰ)


def settings() -> dict[str, str]:
    """The DuckDB configuration from the environment (same variables and defaults as the dbt profile)."""
    return {
        "threads": os.environ.get(THREADS_ENV, DEFAULT_THREADS),
        "memory_limit": os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_LIMIT),
        "preserve_insertion_order": "false",
    }


def connect(database: str | Path = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with :func:`settings` applied."""
    # a dict of its own: duckdb types config as dict[str, str | bool | int | float | list[str]] (invariant)
    return duckdb.connect(str(database), read_only=read_only, config=dict(settings()))


def scalar(con: duckdb.DuckDBPyConnection, sql: str, parameters: object = None) -> Any:
    """The first value of the one row ``sql`` returns (``count(*)`` and other aggregates always return a row)."""
    row = con.execute(sql, parameters).fetchone()
    if row is None:
        raise ValueError(f"the query returned no row: {sql}")
    return row[0]


def encodings_extension() -> Path:
    """The encodings extension file inside the installed ``duckdb-extension-encodings`` package."""
    import duckdb_extension_encodings

    root = Path(duckdb_extension_encodings.__file__).parent / "extensions"
    path = root / f"v{duckdb.__version__}" / "encodings.duckdb_extension"
    if not path.exists():
        found = sorted(root.glob("*/encodings.duckdb_extension"))
        raise FileNotFoundError(
            f"no encodings extension for DuckDB {duckdb.__version__} in {root} (found: {[str(p) for p in found]}); "
            "pin duckdb-extension-encodings to the DuckDB version"
        )
    return path


def load_encodings(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD the encodings extension from its package path, so ``read_csv(…, encoding = CP932)`` works offline."""
    con.execute(f"load '{encodings_extension()}'")
