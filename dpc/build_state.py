"""What the last complete publication was built from, so that a run can tell when there is nothing to do.

A run has nothing to do (``NOTHING_TO_DO``, docs/decisions/0024) when every delivery is unchanged, nothing is
pending and the dbt project is the one the published mart was built from. The last is checked with a fingerprint of
the project's sources (models, macros, seeds, data tests, docs blocks and the project files): a changed model is
rebuilt by the next ``dpc run`` without a flag. The fingerprint is kept beside the validated deliveries'
fingerprints, in ``state/`` of the lake (``state/built/project.json``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dpc.paths import PROJECT_DIR

# the dbt project's sources: dbt_project.yml's model-, seed-, test-, macro- and docs-paths, and its files
SOURCE_DIRS = ("models", "macros", "seeds", "tests/dbt", "docs/dbt", "snapshots")
SOURCE_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml", "selectors.yml")
STATE_KEY = "state/built/project.json"


def project_fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """sha256 over the relative path and content of every source file of the dbt project (a few hundred files)."""
    digest = hashlib.sha256()
    files = [project_dir / name for name in SOURCE_FILES]
    for folder in SOURCE_DIRS:
        files += sorted((project_dir / folder).rglob("*")) if (project_dir / folder).is_dir() else []
    for path in files:
        if path.is_file() and not any(part.startswith((".", "__pycache__")) for part in path.parts[-3:]):
            digest.update(path.relative_to(project_dir).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def recorded(lake: Path) -> str | None:
    """The fingerprint of the project the last complete publication was built from (None: not known)."""
    try:
        return str(json.loads((lake / STATE_KEY).read_text(encoding="utf-8"))["project_sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(lake: Path, fingerprint: str, run_id: str) -> None:
    """Remember the project a complete publication was built from (written after the publication)."""
    path = lake / STATE_KEY
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({"project_sha256": fingerprint, "run_id": run_id}), encoding="utf-8")
    tmp.replace(path)
