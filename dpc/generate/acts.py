"""The acts (E rows) and their items (F rows) of one stay, simulated day by day.

Each stay has its own RNG seeded from the generator seed, the facility and the stay number, so a stay's
acts are identical in every month's delivery that shows it. Amounts: an act's 行為点数 is the sum of its
point items, 行為薬剤料 of its drugs (receipt codes 6…), 行為材料料 of its materials (7…); an F row's
出来高実績点数 is its item's points × the act's 行為回数, so the F rows of an act sum to
(行為点数 + 行為薬剤料 + 行為材料料) × 行為回数 — the act total.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from dpc.generate import catalogue as cat
from dpc.generate.catalogue import Item
from dpc.generate.timeline import Stay


@dataclass(frozen=True)
class Act:
    day: int  # inpatient day, 1-based
    service_date: date
    category: str  # データ区分
    items: tuple[Item, ...]
    count: int = 1
    discharge_prescription: bool = False

    @property
    def act_points(self) -> int:
        return sum(i.points for i in self.items if not (i.yen and i.receipt_code[0] in "67"))

    @property
    def drug_points(self) -> int:
        return sum(i.points for i in self.items if i.yen and i.receipt_code[0] == "6")

    @property
    def material_points(self) -> int:
        return sum(i.points for i in self.items if i.yen and i.receipt_code[0] == "7")

    @property
    def total(self) -> int:
        return (self.act_points + self.drug_points + self.material_points) * self.count

    @property
    def is_meal(self) -> bool:
        return self.category == "97"


# categories billed fee-for-service on every day (carried in the D file as they are)
FFS_CATEGORIES = frozenset({"50", "54", "80", "97"})
FFS_PROCEDURE_POINTS = 1000  # a 40 procedure of at least this many points is outside the bundle


def is_fee_for_service(act: Act, period: int) -> bool:
    """Outside the DPC bundle: surgery, anaesthesia, rehabilitation, meals, big procedures, days beyond III."""
    if period == 0:
        return True
    if act.category in FFS_CATEGORIES:
        return True
    return act.category == "40" and act.act_points >= FFS_PROCEDURE_POINTS


def stay_acts(stay: Stay, seed: int, facility_code: str) -> list[Act]:
    rng = random.Random(f"acts:{seed}:{facility_code}:{stay.number}")
    mdc = stay.dpc.mdc_code
    los = stay.los
    acts: list[Act] = []
    oral = tuple(rng.sample(cat.ORAL, k=rng.randint(1, 3)))
    drip_days = rng.randint(2, 8) if not stay.dpc.is_surgical else 0
    oxygen_days = rng.randint(2, 9) if mdc in ("04", "05") or stay.dpc.dpc_code.startswith("180010") else 0
    rehab = stay.age >= 65 or mdc in ("01", "07", "16")
    rehab_item = cat.REHAB.get(mdc, cat.REHAB[""])
    dialysis = stay.dpc.dpc6 == "110280" and rng.random() < 0.6
    use_ct = rng.random() < 0.4
    for n in range(1, los + 1):
        d = stay.admission + timedelta(days=n - 1)
        last = n == los

        def add(category: str, items: tuple[Item, ...], count: int = 1, rx: bool = False, day: int = n, on: date = d):
            acts.append(Act(day, on, category, items, count, rx))

        fee = [cat.BASIC_FEE]
        if n <= 14:
            fee += [cat.EARLY_ADDON, cat.NIGHT_ADDON, cat.AIDE_ADDON]
        if n == 1:
            fee += [cat.RECORD_ADDON, cat.CLERK_ADDON]
        add("90", tuple(fee))
        if mdc != "14":
            meals = 3
            if n == 1:
                meals = 1 if stay.admission_type != "1" else 2
            elif last:
                meals = 1
            if n == stay.surgery_day:
                meals = 0
            if meals:
                add("97", (cat.MEAL,), meals)
        if n == 2 or (n > 2 and n % 7 == 2):
            add("13", (cat.DRUG_MGMT,))
        if n >= 2 and n != stay.surgery_day and not (stay.died and last):
            add("21", oral, 1, rx=last and rng.random() < 0.5)
        if n <= drip_days or (stay.surgery_day and stay.surgery_day <= n <= stay.surgery_day + 2):
            drugs = (cat.DRIPS[rng.randrange(2)],) + ((cat.DRIPS[2 + rng.randrange(2)],) if rng.random() < 0.6 else ())
            add("33", (cat.DRIP_FEE, *drugs), 2 if len(drugs) > 1 and rng.random() < 0.4 else 1)
        if n == 1 or (n % 2 == 1 and rng.random() < 0.75) or (last and n > 3 and rng.random() < 0.5):
            labs = tuple(cat.LABS[i] for i in sorted(rng.sample(range(5), k=rng.randint(2, 5))))
            add("60", labs)
            add("60", (cat.LABS[5],))
        if n == 1:
            add("70", cat.CT if use_ct else cat.XRAY)
        elif n % 7 == 1 and rng.random() < 0.5:
            add("70", cat.XRAY)
        if n <= oxygen_days:
            add("40", cat.OXYGEN)
        if stay.surgery_day and stay.surgery_day < n <= stay.surgery_day + 4:
            add("40", cat.WOUND)
        if dialysis and d.weekday() in (0, 2, 4):
            add("40", cat.DIALYSIS)
        if n == stay.surgery_day:
            surgery = cat.surgery_for(stay.dpc.dpc_code)
            op = cat.Item(surgery.receipt_code, surgery.k_code, surgery.name, surgery.points)
            add("50", (op, surgery.material) if surgery.material else (op,))
            if surgery.anaesthesia in cat.ANAESTHESIA:
                add("54", cat.ANAESTHESIA[surgery.anaesthesia])
        if rehab and n >= 3 and d.weekday() < 5 and not last:
            add("80", (rehab_item,), rng.randint(2, 3))
    return acts
