"""The acts (E records) and their items (F records) of one stay, simulated day by day.

Each stay has its own RNG seeded from the generator seed, the facility and the stay number, so a stay's acts are
identical in every month's delivery that shows it.

Amounts follow the specification (p185–187, p197–198):

- an item's 明細点数・金額 (EF-14) is its points (techniques) or its yen amount, price × quantity (drugs,
  materials, meals; 円・点区分 1);
- an act's drugs are priced together and their points (薬剤料) sit on the LAST drug row's 出来高実績点数 (EF-16),
  the other drug rows carry 0 ("計算した単位の最後のレコードに点数を設定する", p187); materials likewise;
- the act's 行為点数 (EF-18) is technique points + 行為薬剤料 + 行為材料料, the two latter being re-statements
  (再掲, p197); it equals the sum of its F rows' 出来高実績点数 (p187), per 行為回数 (the act's points are per time
  when 行為回数 is 2 or more, p186);
- a meal act is in yen (円・点区分 1 on E and F, p185); its F row's 出来高実績点数 carries the same yen amount so
  that the act still sums (decision: the specification gives meals no point value);
- items bundled into a 特定入院料 (ICU: 入院料包括項目区分 1) or into another inclusive fee (地域包括ケア病棟入院料:
  2) are written with their fee-for-service points in 出来高実績点数 and 行為点数 0 (p187, p189);
- 持参薬 (drugs the patient brought, p191): 行為点数 and 行為薬剤料 0, 出来高実績点数 set, 持参薬区分 1/2 and
  持参薬処方区分 1/2.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dpc.generate import catalogue as cat
from dpc.generate.catalogue import Item
from dpc.generate.timeline import OTHER, Stay


@dataclass(frozen=True)
class Act:
    day: int  # inpatient day, 1-based
    service_date: date
    category: str  # データ区分
    items: tuple[Item, ...]
    count: int = 1
    discharge_prescription: bool = False
    bundled: str = "0"  # 入院料包括項目区分 (F-19 ②, p188): 1 DPC 特定入院料, 2 another inclusive fee
    brought_in: str = "0"  # 持参薬区分 (③)
    brought_by: str = "0"  # 持参薬処方区分 (④)
    fee_for_service: bool = False  # billed outside the DPC bundle (DPC適用区分 ⑤ set to 1; D carries the act)
    technique_points: int = field(init=False, repr=False, compare=False)
    drug_points: int = field(init=False, repr=False, compare=False)  # 薬剤料 of the act's drugs priced together
    material_points: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        technique = drug_yen = material_yen = 0.0
        for i in self.items:
            if i.kind == "technique":
                technique += i.points
            elif i.kind == "drug":
                drug_yen += i.yen_amount
            elif i.kind == "material":
                material_yen += i.yen_amount
        object.__setattr__(self, "technique_points", int(technique))
        object.__setattr__(self, "drug_points", cat.drug_points(drug_yen) if drug_yen else 0)
        object.__setattr__(self, "material_points", cat.material_points(material_yen) if material_yen else 0)

    @property
    def is_meal(self) -> bool:
        return self.category == "97"

    @property
    def meal_yen(self) -> int:
        return int(sum(i.yen_amount for i in self.items))

    @property
    def billed(self) -> bool:
        """Whether the receipt bills the act (行為点数 ≠ 0): not when bundled into an inclusive fee or brought in."""
        return self.bundled == "0" and self.brought_in == "0"

    @property
    def act_points(self) -> int:
        """行為点数 (E-11): per 行為回数; yen for a meal; 0 when not billed."""
        if not self.billed:
            return 0
        if self.is_meal:
            return self.meal_yen
        return self.technique_points + self.drug_points + self.material_points

    @property
    def act_drug_points(self) -> int:
        return self.drug_points if self.billed else 0

    @property
    def act_material_points(self) -> int:
        return self.material_points if self.billed else 0

    def item_ffs(self) -> list[float]:
        """出来高実績点数 of each F row: techniques their points, drug/material groups on their last row."""
        out: list[float] = []
        last = {"drug": -1, "material": -1}
        for n, i in enumerate(self.items):
            if i.kind in last:
                last[i.kind] = n
        for n, item in enumerate(self.items):
            if item.kind == "technique":
                out.append(item.points)
            elif item.kind == "meal":
                out.append(item.yen_amount)
            elif item.kind in last:
                out.append(
                    (self.drug_points if item.kind == "drug" else self.material_points) if n == last[item.kind] else 0
                )
            else:
                out.append(0)
        return out


# categories billed fee-for-service on every day (carried in the D file as they are)
FFS_CATEGORIES = frozenset({"13", "50", "54", "80", "92", "97"})
FFS_PROCEDURE_POINTS = 1000  # a 40 procedure of at least this many points is outside the bundle


def outside_bundle(category: str, items: tuple[Item, ...]) -> bool:
    """Billed outside the DPC per-diem: 医学管理, surgery, anaesthesia, rehabilitation, 特定入院料, meals, big
    procedures (simplified from the DPC rules; the bundling of each item is the receipt master's business)."""
    if category in FFS_CATEGORIES:
        return True
    return category == "40" and sum(i.points for i in items if i.kind == "technique") >= FFS_PROCEDURE_POINTS


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
    brought = rng.random() < 0.15 and stay.age >= 40  # 持参薬 (p191)
    sided = mdc in cat.SIDED_MDC or stay.dpc.dpc6 in cat.SIDED_DPC6
    for n in range(1, los + 1):
        d = stay.admission + timedelta(days=n - 1)
        last = n == los
        other = stay.group_on(d) == OTHER
        icu = n <= stay.icu_days

        def add(
            category: str,
            items: tuple[Item, ...],
            count: int = 1,
            rx: bool = False,
            brought_in: str = "0",
            brought_by: str = "0",
            day: int = n,
            on: date = d,
            other: bool = other,
            icu: bool = icu,
        ) -> None:
            bundled = "0"
            if other and category not in ("92", "97"):
                bundled = "2"  # inside 地域包括ケア病棟入院料 (A308-3, p189)
            elif icu and category == "90":
                bundled = "1"  # 入院基本料 inside 特定集中治療室管理料 (A301, p189)
            ffs = outside_bundle(category, items) and category != "97" and brought_in == "0"
            acts.append(Act(day, on, category, items, count, rx, bundled, brought_in, brought_by, ffs))

        fee = [cat.BASIC_FEE]
        if n <= 14:
            fee += [cat.EARLY_ADDON, cat.NIGHT_ADDON, cat.AIDE_ADDON]
        if n == 1:
            fee += [cat.RECORD_ADDON, cat.CLERK_ADDON]
        add("90", tuple(fee))
        if icu and n <= cat.ICU_DAYS_MAX:
            add("92", (cat.ICU_FEE,))
        if other:
            add("92", (cat.COMMUNITY_CARE_FEE,))
        if mdc != "14":
            meals = 3
            if n == 1:
                meals = 1 if stay.emergency else 2
            elif last:
                meals = 1
            if n == stay.surgery_day:
                meals = 0
            if meals:
                meal = Item(cat.MEAL.receipt_code, "", cat.MEAL.name, cat.MEAL.value, True, cat.MEAL.unit_code, meals)
                add("97", (meal,))
        if brought and n == 1:
            drugs = tuple(rng.sample(cat.ORAL, k=rng.randint(1, 2)))
            add("21", drugs, 1, brought_in=rng.choice("112"), brought_by=rng.choice("122"))
        if n == 2 or (n > 2 and n % 7 == 2):
            add("13", (cat.DRUG_MGMT,))
        if n >= 2 and n != stay.surgery_day and not (stay.died and last):
            add("21", oral, 1, rx=last and rng.random() < 0.5)
            if not last:
                add("24", (cat.DISPENSING,))
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
            items: tuple[Item, ...] = (op, surgery.material) if surgery.material else (op,)
            if sided and rng.random() < 0.6:
                items = (cat.comment(rng.choice(["右", "左"])), *items)  # a comment row first, as on p228
            add("50", items)
            if surgery.anaesthesia in cat.ANAESTHESIA:
                add("54", cat.ANAESTHESIA[surgery.anaesthesia])
        if rehab and n >= 3 and d.weekday() < 5 and not last:
            add("80", (rehab_item,), rng.randint(2, 3))
    return acts


def surgery_side(acts: list[Act]) -> str:
    """A007010 ⑤ 手術側数 (p84) from the surgery act's comment row: 1 右, 2 左, 0 when the operation has no side."""
    for a in acts:
        if a.category == "50":
            for i in a.items:
                if i.kind == "comment":
                    return {"右": "1", "左": "2"}.get(i.name, "0")
    return "0"
