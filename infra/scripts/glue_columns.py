"""Write infra/terraform/modules/glue_athena/stage_columns.json from dpc/layouts.py.

The Glue tables over stage/<kind>/ must list exactly the columns the normaliser writes, so they are
generated from the same layout table (LAYOUT.md: layouts are data). ``python infra/scripts/glue_columns.py``
rewrites the file; tests/python/test_terraform.py fails when the committed file is stale.
The columns and types are read from the normaliser's own Arrow schemas (one definition).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dpc.generated import write_or_check  # noqa: E402
from dpc.layouts import KIND_SLUG, LAYOUTS  # noqa: E402

OUT = ROOT / "infra" / "terraform" / "modules" / "glue_athena" / "stage_columns.json"

# yyyymm is a real column in the files (docs/decisions/0002) but it is also the partition key of the Glue
# tables (stage/<kind>/yyyymm=…/facility=…/); Glue forbids a column and a partition key of one name,
# so the table takes it from the partition, whose value is the same.
PARTITION_COLUMNS = ("yyyymm",)


def columns(kind: str) -> list[dict[str, str]]:
    """The columns of stage/<slug>/: exactly the normaliser's normalised_schema(kind), yyyymm from the partition."""
    from dpc.steps.normalise import normalised_schema  # pyarrow: only needed here

    types = {
        "string": "string",
        "int64": "bigint",
        "int32": "int",
        "decimal128(18, 4)": "decimal(18,4)",
        "timestamp[us, tz=UTC]": "timestamp",
    }
    return [
        {"name": f.name, "type": types[str(f.type)]} for f in normalised_schema(kind) if f.name not in PARTITION_COLUMNS
    ]


def quarantine_columns(kind: str) -> list[dict[str, str]]:
    """stage/quarantine_<slug>/ holds the normaliser's quarantine_schema() (one row per quarantined line with its
    reason and the pseudonymised raw line), the same for every kind; yyyymm comes from the partition."""
    from dpc.steps.normalise import quarantine_schema  # pyarrow: only needed here

    types = {"string": "string", "int64": "bigint", "int32": "int", "timestamp[us, tz=UTC]": "timestamp"}
    return [
        {"name": f.name, "type": types[str(f.type)]} for f in quarantine_schema() if f.name not in PARTITION_COLUMNS
    ]


def render() -> str:
    data = {
        "stage": {KIND_SLUG[k]: columns(k) for k in LAYOUTS},
        "quarantine": {KIND_SLUG[k]: quarantine_columns(k) for k in LAYOUTS},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check({OUT: render()}, argv, "python infra/scripts/glue_columns.py")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
