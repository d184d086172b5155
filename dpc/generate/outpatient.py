"""Outpatient EF (``EFg``) rows: follow-up visits of the facility's patients in a month.

Same 31 columns as inpatient EF, but column 3 is the birth date and column 4 the visit date; 入外区分 is
``1`` and there is no ward. Each visit has a revisit act (12) and often labs (60) and a prescription (21,
行為回数 = days prescribed).
"""

from __future__ import annotations

import random
from datetime import timedelta

from dpc.generate import catalogue as cat
from dpc.generate.acts import Act
from dpc.generate.catalogue import Item
from dpc.generate.records import month_bounds, ymd
from dpc.generate.reference import Facility
from dpc.generate.timeline import Stay

REVISIT = (Item("112007410", "A001", "再診料", 75), Item("112011010", "A001", "外来管理加算", 52))


def efg_rows(stays: list[Stay], facility: Facility, seed: int, yyyymm: int) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    rng = random.Random(f"efg:{seed}:{facility.facility_code}:{yyyymm}")
    seen: set[str] = set()
    rows: list[list[str]] = []
    for s in stays:
        pid = s.patient.data_id
        if s.died or s.discharge >= last or s.destination not in ("1", "2") or pid in seen or rng.random() < 0.4:
            continue
        seen.add(pid)
        visit = max(first, s.discharge + timedelta(days=rng.randint(7, 21)))
        if visit > last:
            continue
        acts = [Act(1, visit, "12", REVISIT)]
        if rng.random() < 0.6:
            acts.append(Act(1, visit, "60", cat.LABS[:3]))
        acts.append(Act(1, visit, "21", (cat.ORAL[rng.randrange(len(cat.ORAL))],), rng.choice([14, 28, 30])))
        p = s.patient
        for seq, act in enumerate(acts, start=1):
            head = [facility.facility_code, pid, ymd(p.birth_date), ymd(visit), act.category, f"{seq:04d}"]
            main = act.items[0]
            tail = [ymd(visit), "", s.department, s.doctor, "", ""]
            rows.append(
                head
                + [
                    "000",
                    f"000{main.receipt_code}",
                    main.receipt_code,
                    main.interpretation_no,
                    main.name,
                    "",
                    "",
                    "0",
                    "0",
                    "0",
                    "",
                ]
                + [
                    f"{act.act_points:08d}",
                    f"{act.drug_points:08d}",
                    f"{act.material_points:08d}",
                    f"{act.count:03d}",
                    p.insurer_no,
                    "1122",
                ]
                + [tail[0], "01", *tail[2:4], "", ""]
                + ["1", ""]
            )
            for i, item in enumerate(act.items, start=1):
                amount = item.value * item.quantity if item.yen else item.value
                rows.append(
                    head
                    + [
                        f"{i:03d}",
                        f"000{item.receipt_code}",
                        item.receipt_code,
                        item.interpretation_no,
                        item.name,
                        f"{item.quantity:011.3f}" if item.unit_code else "",
                        item.unit_code,
                        f"{amount:012.2f}",
                        "1" if item.yen else "0",
                        f"{item.points * act.count:08d}",
                        "000000000000",
                        "0",
                        "0",
                        "0",
                        f"{act.count:03d}",
                        "",
                        "",
                    ]
                    + [tail[0], "", *tail[2:4], "", "", "", ""]
                )
    return rows
