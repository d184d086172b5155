"""The rows of 入院EF統合, D, H, 様式4 and K生成用データ for one stay in one delivery month, in layout order.

Conventions (each from the specification; the layout itself is ``dpc.layouts.LAYOUTS``):

- 退院年月日 is ``00000000`` while the discharge lies after the month's last day (p144, p193, p197).
- EF, D and H rows cover only service dates (実施年月日) inside the delivery month (p183).
- 順序番号 counts per stay and データ区分 within the month, from 0001 (the allowed fallback of p184, p193).
- 入院EF統合 (p200, p228): the E record of an act (行為明細番号 000) carries 使用量 0, 基準単位 000, 明細点数 0,
  出来高実績点数 0 and no 行為明細区分情報; its F records carry 行為点数/薬剤料/材料料 0 and leave the E-only fields
  (保険者番号, レセプト種別, レセプト科区分, 入外区分, 施設タイプ) empty. A few acts are written exactly as the
  worked example prints them, with the literal ``NULL`` in those fields (p228).
- D (p193–195, p199, p214–217): one ``93`` row per day billed by the DPC per-diem (行為点数 = that day's points
  before the coefficient, 行為回数 1), ``01`` rows naming the reason (出来高理由 09/10/11) on each day billed
  fee-for-service, the acts billed outside the bundle, a ``94`` row on the discharge date when the code changed at
  discharge (may be negative). 算定開始日/終了日/起算日 and 医療機関別係数 only on rows of the DPC period; 算定終了日
  is ``00000000`` until the end of the DPC period is known (p215, p217); 分類番号 on every row.
- H (p144–152): per day a TAR0010 record, and the evaluation items of the ward on days judged (TAR0010 0); none on
  the discharge day (TAR0010 5) unless the stay lasted one day.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from dpc import payload_items
from dpc.generate import catalogue as cat
from dpc.generate.acts import Act
from dpc.generate.forms import OBSTETRIC_DPC6, UNDISCHARGED, ymd
from dpc.generate.reference import DpcCode
from dpc.generate.timeline import OTHER, Stay

NULL = "NULL"
H_PAYLOADS = 20
FFS_REASONS = {
    "09": "医科点数表算定コードに該当するため",
    "10": "入院期間３を超えて入院しているため",
    "11": "地域包括ケア病棟入院料を届け出る病棟に転棟したため",
}  # 出来高理由 (p193)


def month_bounds(yyyymm: int) -> tuple[date, date]:
    y, m = divmod(yyyymm, 100)
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def discharge_text(stay: Stay, month_end: date) -> str:
    return ymd(stay.discharge) if stay.discharge <= month_end else UNDISCHARGED


def num(value: float) -> str:
    """A number as the files write it: integers plainly, yen amounts with up to 3 decimals (p186)."""
    if type(value) is int or value == int(value):
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")


def qty(value: float) -> str:
    """使用量: 7 integer and 3 decimal digits, 0000000.000 when the code has no unit (p186, p198)."""
    return f"{value:011.3f}"


# ---------------------------------------------------------------------------------------------
# billing context of a stay: its DPC episode (7-day 一連 chains continue one episode, p132, p195)


@dataclass(frozen=True)
class Billing:
    offset: int  # DPC days billed in the earlier stays of the episode
    episode_start: date  # 算定開始日 = 算定起算日: the episode's first admission (p195)
    dpc_end: date | None  # the episode's last DPC day (算定終了日), None when no day is billed by the per-diem


def code_on(stay: Stay, day: date) -> DpcCode:
    """The code billed for ``day``: the provisional one in the months before a discharge that revised it."""
    if stay.provisional is not None and (day.year, day.month) < (stay.discharge.year, stay.discharge.month):
        return stay.provisional
    return stay.dpc


def day_status(stay: Stay, day: date, offset: int) -> tuple[str, int, DpcCode]:
    """("93", points, code) for a DPC day; (reason, 0, code) for a fee-for-service day (p193)."""
    code = code_on(stay, day)
    t = stay.transfer_date
    if t is not None and day >= t:
        return "11", 0, code
    if code.fee_for_service:
        return "09", 0, code
    points = code.points_of_day(offset + (day - stay.admission).days + 1)
    return ("93", points, code) if points else ("10", 0, code)


def billing_context(stays: list[Stay]) -> dict[int, Billing]:
    """Billing of every stay, chains included (a stay's offset needs its predecessors)."""
    offsets: dict[int, int] = {}
    dpc_days: dict[int, int] = {}
    episode_end: dict[int, date] = {}  # chain head → last DPC day of the episode
    for s in stays:  # in admission order, so a predecessor comes first
        prev = s.chain_prev
        offset = offsets[prev.number] + dpc_days[prev.number] if prev is not None else 0
        n = 0
        for k in range(s.los):
            d = s.admission + timedelta(days=k)
            if day_status(s, d, offset)[0] == "93":
                n += 1
                head = s.chain_head.number
                episode_end[head] = max(episode_end.get(head, d), d)
        offsets[s.number], dpc_days[s.number] = offset, n
    return {
        s.number: Billing(offsets[s.number], s.chain_head.admission, episode_end.get(s.chain_head.number))
        for s in stays
    }


# ---------------------------------------------------------------------------------------------
# 入院EF統合 (31 columns, p200)


def _flags_inpatient(act: Act, item: cat.Item) -> str:
    """行為明細区分情報 (F-19, p188–189): ① 退院時処方 ② 入院料包括 ③ 持参薬 ④ 持参薬処方 ⑤ DPC適用 ⑥ 基本的検体検査."""
    drug = item.kind == "drug"
    rx = "1" if drug and act.discharge_prescription else "0"
    brought = act.brought_in if drug else "0"
    by = act.brought_by if drug else "0"
    # ⑤: the receipt master's DPC適用区分 (not reprinted, p188): 1 here for techniques billed outside the bundle,
    # 0 for drugs and materials as the specification requires
    dpc = "1" if act.fee_for_service and item.kind == "technique" else "0"
    return f"{rx}{act.bundled}{brought}{by}{dpc}0" + "000000"


@cache
def _item_columns(item: cat.Item) -> tuple[list[str], list[str], str]:
    """(EF-8…EF-11, EF-12…EF-15) of an item's F row, and 円・点区分: the same for every use of the item."""
    yen = item.kind in ("drug", "material", "meal")
    amount = item.yen_amount if yen else item.points if item.kind == "technique" else 0
    ident = [f"000{item.receipt_code}", item.receipt_code, item.interpretation_no, item.name]
    values = [qty(item.quantity if yen else 0), item.unit_code if yen else "000", num(amount), "1" if yen else "0"]
    return ident, values, "1" if yen else "0"


def _main_item(act: Act) -> cat.Item:
    """The item that names the act: its first technique, else its first drug or material (p185 E-8)."""
    return next((i for i in act.items if i.kind == "technique"), None) or next(
        i for i in act.items if i.kind != "comment"
    )


def ef_rows(stay: Stay, acts: list[Act], facility_code: str, yyyymm: int, null_rate: float) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    p = stay.patient
    rng = random.Random(f"efnull:{stay.number}:{yyyymm}")
    seq: Counter[str] = Counter()
    rows: list[list[str]] = []
    for act in acts:
        if not first <= act.service_date <= last:
            continue
        seq[act.category] += 1
        sno = f"{seq[act.category]:04d}"
        null = NULL if null_rate and rng.random() < null_rate else ""
        day = ymd(act.service_date)
        ward = stay.ward_on(act.service_date)
        ins = p.insurance_on(act.service_date)
        head = [facility_code, p.data_id, dis, adm, act.category, sno]
        main = _main_item(act)
        count = f"{act.count:03d}"
        rows.append(
            head
            + ["000", *_item_columns(main)[0]]
            + ["0", "000", "0", "1" if act.is_meal else "0", "0", null]
            + [num(act.act_points), num(act.act_drug_points), num(act.act_material_points), count]
            + [ins.insurer_no, ins.receipt_in, day, stay.receipt_dept, stay.department, stay.doctor, ward, "0", "0", ""]
        )
        f_tail = ["0", "0", "0", count, null, null, day, null, stay.department, stay.doctor, ward, "0", null, null]
        for n, (item, ffs) in enumerate(zip(act.items, act.item_ffs(), strict=True), start=1):
            ident, values, _yen = _item_columns(item)
            rows.append([*head, f"{n:03d}", *ident, *values, num(ffs), _flags_inpatient(act, item), *f_tail])
    return rows


# ---------------------------------------------------------------------------------------------
# D (30 columns, p199)


def _round_half_up(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def d_rows(
    stay: Stay,
    acts: list[Act],
    facility_code: str,
    coefficient: str,
    yyyymm: int,
    billing: Billing,
    null_style: bool,
) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    p = stay.patient
    coef = float(coefficient)
    start = ymd(billing.episode_start)
    end = ymd(billing.dpc_end) if billing.dpc_end is not None and billing.dpc_end <= last else UNDISCHARGED
    interp_null = "Null" if null_style else ""  # p215 prints Null where a field does not apply
    out_null = "null" if null_style else ""  # p217 prints null outside the DPC period
    seq: Counter[str] = Counter()
    rows: list[list[str]] = []

    def row(
        category: str,
        receipt: str,
        interp: str,
        name: str,
        points: int,
        drug: int,
        material: int,
        yen: str,
        count: int,
        day: date,
        in_period: bool,
        code: DpcCode,
    ) -> None:
        seq[category] += 1
        ins = p.insurance_on(day)
        period = [start, end, start, coefficient] if in_period else [out_null] * 4
        rows.append(
            [facility_code, p.data_id, dis, adm, category, f"{seq[category]:04d}", f"000{receipt}", receipt]
            + [interp or interp_null, name, num(points), num(drug), num(material), yen, f"{count:03d}"]
            + [ins.insurer_no, ins.receipt_in, ymd(day), stay.receipt_dept, stay.department, stay.doctor]
            + [stay.ward_on(day), "0", "0", "", period[0], period[1], period[2], code.dpc_code, period[3]]
        )

    by_day: dict[date, list[Act]] = {}
    for a in acts:
        if first <= a.service_date <= last:
            by_day.setdefault(a.service_date, []).append(a)
    day = max(first, stay.admission)
    while day <= min(last, stay.discharge):
        status, points, code = day_status(stay, day, billing.offset)
        dpc_day = status == "93"
        if dpc_day:
            row("93", "930000000", "", code.name_ja, points, 0, 0, "0", 1, day, True, code)
        else:
            row("01", "810000001", f"GR0{status}", FFS_REASONS[status], 0, 0, 0, "0", 1, day, False, code)
        for a in by_day.get(day, []):
            if not a.billed or (dpc_day and not (a.fee_for_service or a.is_meal)):
                continue  # bundled into the DPC per-diem or another inclusive fee: no record (p195)
            main = _main_item(a)
            yen = "1" if a.is_meal else "0"  # D is in yen only for meals (p194)
            row(
                a.category,
                main.receipt_code,
                main.interpretation_no,
                main.name,
                a.act_points,
                a.act_drug_points,
                a.act_material_points,
                yen,
                a.count,
                day,
                dpc_day,
                code,
            )
        day += timedelta(days=1)
    if stay.provisional is not None and first <= stay.discharge <= last:
        # 94 DPC調整点数 on the discharge date: the earlier months re-billed with the final code, after the
        # coefficient, each month rounded as its receipt was (p194, p214–215); may be negative
        per_month: dict[tuple[int, int], list[int]] = {}
        d = stay.admission
        while d < first:
            status, points, _ = day_status(stay, d, billing.offset)
            if status == "93":
                final = stay.dpc.points_of_day(billing.offset + (d - stay.admission).days + 1)
                per_month.setdefault((d.year, d.month), [0, 0])
                per_month[(d.year, d.month)][0] += final
                per_month[(d.year, d.month)][1] += points
            d += timedelta(days=1)
        adjust = sum(_round_half_up(f * coef) - _round_half_up(b * coef) for f, b in per_month.values())
        if adjust:
            row("94", "940000000", "", interp_null, adjust, 0, 0, "0", 1, stay.discharge, True, stay.dpc)
    return rows


# ---------------------------------------------------------------------------------------------
# H (29 columns, p146)


@cache
def _h_version(code: str) -> str:
    return max(payload_items.versions("H", code))


_W3 = ((0.90, 0.98), (0.40, 0.85), (0.10, 0.50))  # cumulative weights of 0, 1 (else 2) by dependency level
_W2 = (0.92, 0.50, 0.15)


def _b_items(rng: random.Random, level: int) -> list[str]:
    """ASS0021/0051/0071 「B 患者の状況等」: the patient's state (1–7) and the assistance given (8–11), p149–152."""
    a, b = _W3[level]

    def three() -> str:
        u = rng.random()
        return "0" if u < a else "1" if u < b else "2"

    negaeri, transfer = three(), three()
    oral = "0" if rng.random() < _W2[level] else "1"
    meal, clothes = three(), three()
    instructions = "1" if rng.random() < (0.02, 0.10, 0.30)[level] else "0"
    danger = "1" if rng.random() < (0.01, 0.07, 0.20)[level] else "0"
    helped = ["1" if v != "0" else "0" for v in (transfer, oral, meal, clothes)]
    return [negaeri, transfer, oral, meal, clothes, instructions, danger, *helped]


def h_rows(
    stay: Stay, acts: list[Act], facility_code: str, yyyymm: int, seed: int, necessity_1: bool
) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    rng = random.Random(f"h:{seed}:{facility_code}:{stay.number}:{yyyymm}")
    level = 2 if stay.age >= 85 or stay.icu_days else 1 if stay.age >= 70 or stay.emergency else 0
    oxygen = {
        a.service_date for a in acts if a.category == "40" and any(i.receipt_code == "140005610" for i in a.items)
    }
    wound = {a.service_date for a in acts if a.category == "40" and any(i.receipt_code == "140000610" for i in a.items)}
    rows: list[list[str]] = []
    day = max(first, stay.admission)
    while day <= min(last, stay.discharge):
        n = (day - stay.admission).days
        ward = stay.ward_on(day)
        if day == stay.discharge and stay.los > 1:
            target = "5"  # 退院日 (p145, p152)
        elif stay.age < 15:
            target = "2"
        elif stay.dpc.dpc6 in OBSTETRIC_DPC6:
            target = "3"
        else:
            target = "0"
        records: list[tuple[str, list[str]]] = [("TAR0010", [target])]
        if target == "0":
            if ward == cat.ICU_WARD:
                records.append(("ASS0051", _b_items(rng, 2)))
            else:
                if necessity_1:  # the facility evaluates with 必要度Ⅰ: the A items are written (※1, p148)
                    a_items = [
                        "1" if day in wound else "0",
                        "1" if day in oxygen else "0",
                        "",
                        "",
                        "1" if rng.random() < 0.05 else "0",
                        "1" if rng.random() < 0.01 else "0",
                        "100" if rng.random() < 0.01 else "000",
                        "1" if stay.ambulance == "1" and n < 2 else "0",
                    ]
                    records.append(("ASS0013", a_items))
                if stay.group_on(day) != OTHER:  # ※2 does not cover the 地域包括ケア病棟 (p149)
                    records.append(("ASS0021", _b_items(rng, level if n > 2 else min(2, level + 1))))
        for code, payloads in sorted(records):
            rows.append(
                [facility_code, ward, stay.patient.data_id, dis, adm, ymd(day), code, _h_version(code), "0"]
                + payloads
                + [""] * (H_PAYLOADS - len(payloads))
            )
        level = max(0, level - (1 if rng.random() < 0.08 else 0))
        day += timedelta(days=1)
    return rows


# ---------------------------------------------------------------------------------------------
# 様式4 (5 columns, p140) and K生成用データ (12 columns, p154)


def ff4_row(stay: Stay, facility_code: str, seed: int) -> list[str]:
    """One row per discharge: 医療保険外との組合せ, mostly 1 医科レセプトのみ (p140)."""
    rng = random.Random(f"ff4:{seed}:{facility_code}:{stay.number}")
    code = rng.choices(["1", "2", "4", "5"], [95, 3, 1.5, 0.5])[0]
    return [facility_code, stay.patient.data_id, ymd(stay.admission), ymd(stay.discharge), code]


def k_rows(stay: Stay, facility_code: str, yyyymm: int) -> list[list[str]]:
    """The stay's K生成用データ records: one per insurance used in the month (two when it changed, p155); 枝番 left
    out when the card has none (p154)."""
    first, last = month_bounds(yyyymm)
    p = stay.patient
    lo, hi = max(first, stay.admission), min(last, stay.discharge)
    used = []
    for start, ins in p.insurances:
        nxt = [s for s, _ in p.insurances if s > start]
        until = min(nxt) - timedelta(days=1) if nxt else date.max
        if start <= hi and until >= lo and ins not in used:
            used.append(ins)
    rows = []
    for ins in used:
        row = [facility_code, p.data_id, ymd(stay.admission), discharge_text(stay, last), str(yyyymm)]
        row += [p.kana_name, p.sex, p.birth_text, ins.insurer_no, ins.symbol, ins.number]
        if ins.branch:
            row.append(ins.branch)
        rows.append(row)
    return rows
