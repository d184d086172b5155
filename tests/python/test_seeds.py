"""Seeds that transcribe the specification's code lists are generated from them (python -m dpc.seeds)."""

from __future__ import annotations

import csv

from dpc import code_lists, seeds


def test_spec_seeds_are_current() -> None:
    assert seeds.main(["--check"]) == 0, "run: python -m dpc.seeds"


def test_department_and_discharge_destination_follow_the_specification() -> None:
    """診療科 別紙-1 (p208) has 眼科 230; 退院先 (p49) has a 介護医療院, 8 終了（死亡等）, 0 a transfer within the hospital."""
    dept = {r["code"]: r for r in csv.DictReader((seeds.SEEDS / "ref_department.csv").open(encoding="utf-8"))}
    assert dept["230"]["name_ja"] == "眼科" and set(dept) == set(code_lists.load("department").codes)
    dest = {
        r["code"]: r for r in csv.DictReader((seeds.SEEDS / "ref_discharge_destination.csv").open(encoding="utf-8"))
    }
    assert dest["a"]["name_ja"] == "介護医療院" and dest["8"]["name_ja"] == "終了（死亡等）"
    assert dest["0"]["name_ja"] == "院内の他病棟への転棟" and dest["8"]["spec_page"] == "49"
