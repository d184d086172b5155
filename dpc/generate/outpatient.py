"""外来EF統合 (``EFg``): follow-up visits of the facility's discharged patients, and their 傷病名 (SY) records.

Layout as 入院EF統合 except column 3 (生年月日, partly unknown dates allowed) and column 4 (外来受診年月日);
病棟コード ``9999999999``, 病棟区分 ``9``, 入外区分 ``1`` (p201–202, p204, p207). Per patient and month (p201–206):

- each visit: 再診 (12), sometimes 検査 (60), and a prescription, mostly 院外処方 — the drug in データ区分 21 with
  行為点数 0 and 院外処方区分 1 (一般名処方区分 1 for some), the 処方箋料 in データ区分 80 (p203) — sometimes
  院内処方 with its drug points;
- the month's 傷病名 records: データ区分 ``SY``, 外来受診年月日 ``yyyymm00``, the 7-digit 傷病名コード in
  レセプト電算処理システム用コード (``0000999`` when uncoded), 実施年月日・診療開始日 = the day the disease's care began
  (often in an earlier month), 行為点数 0, 行為回数 1, 使用量 and 基準単位 0 (p201 (3)(6)(8), p204–205);
- 行為明細区分情報 (p202 (9)): ① 院外処方 ② 一般名処方 ③ 性別 ④ 転帰区分 (SY only) ⑤ 主傷病 (SY only) ⑥ 医学管理料等包括
  ⑦ リフィル, then five 0.

No visit falls inside one of the patient's stays (outpatient care during a stay belongs to 入院EF, p201).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from dpc.generate import catalogue as cat
from dpc.generate.catalogue import Item
from dpc.generate.forms import UNCODED_DISEASE, ymd
from dpc.generate.records import NULL, month_bounds, num, qty
from dpc.generate.timeline import Insurance, Patient, Stay

REVISIT = (Item("112007410", "A001", "再診料", 75), Item("112011010", "A001", "外来管理加算", 52))
PRESCRIPTION_FEE = Item("120002910", "F400", "処方箋料（その他）", 60)  # illustrative code
WARD, WARD_TYPE, OUTPATIENT = "9999999999", "9", "1"


def visits_of(stays: list[Stay], seed: int, facility_code: str) -> dict[str, list[tuple[date, Stay]]]:
    """Follow-up visits by patient: after a discharge home with follow-up here (退院先 1), one to three visits a
    month or so apart, none during a stay of the same patient."""
    busy: dict[str, list[tuple[date, date]]] = {}
    for s in stays:
        busy.setdefault(s.patient.data_id, []).append((s.admission, s.discharge))
    out: dict[str, list[tuple[date, Stay]]] = {}
    for s in stays:
        if s.died or s.destination not in ("1", "2"):
            continue
        rng = random.Random(f"efg:{seed}:{facility_code}:{s.number}")
        if rng.random() < 0.35:
            continue
        day = s.discharge + timedelta(days=rng.randint(7, 21))
        for _ in range(rng.randint(1, 3)):
            pid = s.patient.data_id
            if not any(a <= day <= b for a, b in busy[pid]) and day not in {d for d, _ in out.get(pid, [])}:
                out.setdefault(pid, []).append((day, s))
            day += timedelta(days=rng.randint(26, 35))
    return out


def efg_rows(
    visits: dict[str, list[tuple[date, Stay]]], facility_code: str, seed: int, yyyymm: int, null_rate: float
) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    rows: list[list[str]] = []
    for pid in sorted(visits):
        month = sorted((d, s) for d, s in visits[pid] if first <= d <= last)
        if not month:
            continue
        rng = random.Random(f"efg-rows:{seed}:{facility_code}:{pid}:{yyyymm}")
        seq: Counter[str] = Counter()
        p = month[0][1].patient
        for visit, stay in month:
            ins = p.insurance_on(visit)
            acts: list[tuple[str, tuple[Item, ...], int, str]] = [("12", REVISIT, 1, "")]
            if rng.random() < 0.6:
                acts.append(("60", cat.LABS[:3], 1, ""))
            drug = cat.ORAL[rng.randrange(len(cat.ORAL))]
            days = rng.choice([14, 28, 30])
            if rng.random() < 0.8:  # 院外処方 (p203)
                generic = "1" if rng.random() < 0.4 else "0"
                acts.append(("21", (drug,), days, "1" + generic))
                acts.append(("80", (PRESCRIPTION_FEE,), 1, ""))
            else:
                acts.append(("21", (drug,), days, "00"))
            for category, items, count, rx in acts:
                seq[category] += 1
                rows += _act_rows(p, stay, ins, facility_code, visit, category, seq[category], items, count, rx,
                                  NULL if null_rate and rng.random() < null_rate else "")  # fmt: skip
        # the month's 傷病名 records (SY): the disease the stay was for, then its comorbidities (p201 (6))
        stay = month[-1][1]
        ins = p.insurance_on(month[-1][0])
        name = stay.dpc.name_ja.split("（")[0].split(" ")[0]
        diseases = [(UNCODED_DISEASE, name, stay.admission, "1")]
        for c in p.comorbidities:
            _icd, code, cname = cat.COMORBIDITIES[c]
            started = max(p.birth_date, stay.admission - timedelta(days=365 * (1 + c % 5) + 17 * c))
            diseases.append((code, cname, started, "0"))
        for code, dname, started, main in diseases:
            seq["SY"] += 1
            rows += _sy_rows(p, stay, ins, facility_code, yyyymm, seq["SY"], code, dname, started, main)
    return rows


def _head(p: Patient, facility_code: str, visit_text: str, category: str, n: int) -> list[str]:
    return [facility_code, p.data_id, p.birth_text, visit_text, category, f"{n:04d}"]


def _act_rows(p: Patient, stay: Stay, ins: Insurance, facility_code: str, visit: date, category: str, n: int,
              items: tuple[Item, ...], count: int, rx: str, null: str) -> list[list[str]]:  # fmt: skip
    head = _head(p, facility_code, ymd(visit), category, n)
    outside = rx.startswith("1")
    technique = sum(i.points for i in items if i.kind == "technique")
    drug_yen = sum(i.yen_amount for i in items if i.kind == "drug")
    drug = 0 if outside or not drug_yen else cat.drug_points(drug_yen)
    main = items[0]
    tail = [ymd(visit), stay.receipt_dept, stay.department, stay.doctor, WARD, WARD_TYPE]
    e = (
        head
        + ["000", f"000{main.receipt_code}", main.receipt_code, main.interpretation_no, main.name]
        + ["0", "000", "0", "0", "0", null]
        + [num(technique + drug), num(drug), "0", f"{count:03d}", ins.insurer_no, ins.receipt_out]
        + [*tail, OUTPATIENT, ""]
    )
    rows = [e]
    last_drug = max(i for i, it in enumerate(items) if it.kind != "technique") if drug_yen else -1
    for k, item in enumerate(items, start=1):
        is_drug = item.kind == "drug"
        ffs = item.points if not is_drug else (drug if k - 1 == last_drug else 0)
        flags = (rx if is_drug and rx else "00") + p.sex + "00" + "0" + "0" + "00000"
        rows.append(
            head
            + [f"{k:03d}", f"000{item.receipt_code}", item.receipt_code, item.interpretation_no, item.name]
            + [qty(item.quantity if is_drug else 0), item.unit_code if is_drug else "000"]
            + [num(item.yen_amount if is_drug else item.points), "1" if is_drug else "0", num(ffs), flags]
            + ["0", "0", "0", f"{count:03d}", null, null, tail[0], null, *tail[2:], null, null]
        )
    return rows


def _sy_rows(p: Patient, stay: Stay, ins: Insurance, facility_code: str, yyyymm: int, n: int, code: str, name: str,
             started: date, main: str) -> list[list[str]]:  # fmt: skip
    head = _head(p, facility_code, f"{yyyymm}00", "SY", n)
    tail = [ymd(started), stay.receipt_dept, stay.department, stay.doctor, WARD, WARD_TYPE]
    e = (
        head
        + ["000", "", code, "", name, "0", "000", "0", "0", "0", ""]
        + ["0", "0", "0", "001", ins.insurer_no, ins.receipt_out, *tail, OUTPATIENT, ""]
    )
    flags = "00" + p.sex + "1" + main + "0" + "0" + "00000"  # 転帰区分 1: 治癒、死亡、中止以外 (p202)
    f = (
        head
        + ["001", "", code, "", name, "0", "0", "0", "0", "0", flags]
        + ["0", "0", "0", "001", "", "", tail[0], "", *tail[2:], "", ""]
    )
    return [e, f]
