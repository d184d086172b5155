"""The specification's worked examples run through the whole local pipeline (normalise → dbt → publish).

tests/fixtures/spec/examples.yml transcribes each example as the files of one delivery of facility 123456789.
Several examples share that facility, month and patient (p48 例1 and 例2 both admit 4/15), so each *scenario* here
gets a facility of its own: the facility code is rewritten in the file names and in every record. A scenario is
a list of example ids whose deliveries may span months (p48: child form in April, parent in May), and is delivered
as hospitals deliver (cp932, CRLF line ends).

The build is made once per test run (docs/decisions/0023) by the session fixture ``spec_build`` in conftest.py.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import yaml

from dpc.manifest import write_manifest

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "spec"
PRINTED_FACILITY = "123456789"

# scenario → (facility code it is delivered under, the examples it is made of)
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "p040_transfer": ("900000401", ("ff1_p040_transfer",)),
    "p048_ex1": ("900000481", ("ff1_p048_ex1_2504", "ff1_p048_ex1_2505")),
    "p048_ex2": ("900000482", ("ff1_p048_ex2_2504", "ff1_p048_ex2_2505")),
    "p051": ("900000510", ("ff1_p051_2503", "ff1_p051_2504")),
    "p125_pattern9": ("900001259", ("ff1_p125_pattern9",)),
    "p215_receipts": ("900002150", ("d_p215_2506", "d_p215_2507")),
    "p233_236_ef": ("900002330", ("efn_p233_236",)),
}


@functools.cache
def examples() -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load((SPEC / "examples.yml").read_text(encoding="utf-8"))
    return {ex["id"]: ex for ex in loaded["examples"]}


def delivered(text: str) -> bytes:
    """A file as a hospital delivers it: cp932 with CRLF line ends."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp932")


def write_scenario(raw: Path, facility: str, example_ids: tuple[str, ...]) -> list[tuple[str, int]]:
    """Write the scenario's deliveries under raw/yyyymm=…/facility=…/ with their manifests; returns the deliveries."""
    deliveries = []
    for example_id in example_ids:
        ex = examples()[example_id]
        if ex["facility_code"] != PRINTED_FACILITY:
            raise ValueError(f"{example_id}: only examples of facility {PRINTED_FACILITY} can be re-homed")
        folder = raw / f"yyyymm={ex['yyyymm']}" / f"facility={facility}"
        folder.mkdir(parents=True, exist_ok=True)
        for f in ex["files"]:
            text = (SPEC / example_id / f["name"]).read_text(encoding="utf-8")
            name = f["name"].replace(PRINTED_FACILITY, facility)
            if (folder / name).exists():
                raise ValueError(f"{example_id}: {name} is already delivered in this scenario")
            (folder / name).write_bytes(delivered(text.replace(PRINTED_FACILITY, facility)))
        deliveries.append((facility, int(ex["yyyymm"])))
    for facility_code, yyyymm in sorted(set(deliveries)):
        write_manifest(raw / f"yyyymm={yyyymm}" / f"facility={facility_code}", created_by="tests/python/spec_build.py")
    return sorted(set(deliveries))


def build(root: Path, scenarios: dict[str, tuple[str, tuple[str, ...]]] | None = None) -> dict[str, Any]:
    """Deliver every scenario into root/lake and run the local pipeline once; returns the run summary."""
    from dpc.pipeline import run_local
    from dpc.steps import recording

    shutil.rmtree(root / "lake", ignore_errors=True)
    raw = root / "lake" / "raw"
    for facility, example_ids in (scenarios or SCENARIOS).values():
        write_scenario(raw, facility, example_ids)
    # one ingest worker: the steps each delivery takes are recorded in this process (steps.json, test_steps.py)
    workers = os.environ.get("DPC_INGEST_WORKERS")
    os.environ["DPC_INGEST_WORKERS"] = "1"
    try:
        with recording() as steps:
            summary = run_local(lake=root / "lake", db_path=root / "dpc.duckdb", docs=False, report=False)
    finally:
        os.environ.pop("DPC_INGEST_WORKERS")
        if workers is not None:
            os.environ["DPC_INGEST_WORKERS"] = workers
    (root / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
    result = summary.as_dict()
    (root / "summary.json").write_text(json.dumps(result, default=str), encoding="utf-8")
    return result


def facility_of(scenario: str) -> str:
    return SCENARIOS[scenario][0]
