"""Where things live in a checkout. Every default can be overridden by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("DPC_DATA_DIR", PROJECT_DIR / "data"))


def lake_dir() -> Path:
    """Local lake laid out like the S3 bucket: raw/, stage/, processed/, archive/."""
    return Path(os.environ.get("DPC_LAKE", data_dir() / "lake"))


def duckdb_path() -> Path:
    return Path(os.environ.get("DPC_DUCKDB_PATH", data_dir() / "dpc.duckdb"))
