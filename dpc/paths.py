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


def owner_only() -> None:
    """Create files readable by their owner only from now on (umask 077): what dpc writes holds health data. Folders
    get 0700, files 0600; on a machine shared by several people, learners run as their own users
    (docs/security.md)."""
    os.umask(0o077)
