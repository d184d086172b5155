"""A facility's timeline of patients and stays.

Admissions are simulated day by day from two months before the first delivery month (so the first month
already holds carried-over stays) to the last day of the last month (so some stays are still undischarged
when the timeline ends). Length of stay counts inpatient days including the admission and discharge days
(discharge = admission + los - 1), drawn right-skewed (lognormal) around the DPC code's national mean.

Besides the common case, the timeline produces, each at a small plausible rate, the cases the specification
treats specially:

- a **ward-group transfer** (一般病棟グループ → その他病棟グループ, the 地域包括ケア病棟, sometimes back): the stay has
  several 様式1 (parent 0, children 1, 2, …; p40, p123–124) and is billed fee-for-service from the transfer on
  (D 出来高理由 11, p193);
- a **readmission within 7 days** that continues one DPC episode (一連, p132; D 算定起算日 of the first stay,
  p195) and gets an aggregate 様式1 ``A`` (and ``B`` when a transfer leaves part of the span out, p128, p130);
- a **DPC code revised at discharge**: the months before bill a provisional code and the discharge month writes
  a D 94 adjustment row (p194, p214–215);
- an **ICU** start of stay (特定集中治療室管理料, a DPC 特定入院料: 92 rows in D, 入院料包括項目区分 1 in EF, p189);
- a **partly unknown birth date** (``19710000``, p42, p154), **insurance that changes in the month** (two K
  records, p155: e.g. the 75th birthday moves a patient to 後期高齢者医療), **same-day stays** (回数管理番号 1, p39).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dpc import masters
from dpc.generate import catalogue as cat
from dpc.generate.reference import DpcCode, Reference

LEAD_IN_DAYS = 62
MAX_LOS = 180
LOS_FACTOR = 1.08  # acute hospitals of the demo run a little longer than the national mean
GENERAL, OTHER = "1", "3"  # 様式1 ward groups: 一般病棟グループ, その他病棟グループ (p40–41)
# DPC6 of malignant neoplasms in the case mix (化学療法, 101 予定入院, CAN items)
MALIGNANT_DPC6 = frozenset({"040040", "060020", "060035", "060050", "090010", "110070", "130030", "130060", "120010"})
# 救急医療入院 reasons (the ** of 3**, p43–44)
EMERGENCY_REASONS = ("01", "02", "33", "34", "04", "05", "06", "08", "09", "31", "11", "12", "23", "24", "18", "20")


@dataclass(frozen=True)
class Insurance:
    kind: str  # kyokai 協会けんぽ, kumiai 組合健保, kokuho 国民健康保険, koki 後期高齢者医療, old4 a 4-digit insurer
    insurer_no: str  # 8 characters: a 6-digit number after two spaces, a 4-digit one after four (p154, p197)
    symbol: str  # 被保険者記号 (empty for 後期高齢者)
    number: str  # 被保険者番号
    branch: str  # 枝番; "" when the card has none (the K record then leaves the field out, p154)
    receipt_in: str  # レセプト種別コード 入院 (別紙-4, p211–212)
    receipt_out: str  # 入院外


@dataclass
class Patient:
    data_id: str
    birth_date: date  # for ages; the files write birth_text
    birth_text: str  # yyyymmdd, or partly unknown: 19710000 (p42, p154, p201)
    sex: str
    postal_code: str
    height_cm: int
    weight_kg: float
    smoking_index: str
    kana_name: str
    insurances: tuple[tuple[date, Insurance], ...]  # (valid from, insurance), oldest first
    comorbidities: tuple[int, ...]

    def insurance_on(self, day: date) -> Insurance:
        current = self.insurances[0][1]
        for start, ins in self.insurances:
            if start <= day:
                current = ins
        return current


@dataclass(frozen=True)
class Segment:
    group: str  # GENERAL or OTHER
    start: date
    end: date  # inclusive


@dataclass
class Stay:
    number: int  # order of admission in the facility's timeline (seeds the stay's own RNG)
    patient: Patient
    admission: date
    discharge: date  # real discharge date; a delivery shows 00000000 while it lies after the month
    dpc: DpcCode
    age: int
    admission_route: str
    referral: str
    from_own_outpatient: str
    planned_emergency: str  # 予定・救急医療入院, 3 characters: 100, 101, 200, 3** (p43)
    ambulance: str
    home_care_before: str
    destination: str
    outcome: str
    died: bool
    department: str  # 診療科区分 (別紙-1)
    receipt_dept: str  # レセプト科区分 (別紙-2)
    ward: str
    doctor: str
    care_purpose: str
    surgery_day: int = 0  # inpatient day (1-based) of the operation; 0 = none
    complications: tuple[int, ...] = field(default_factory=tuple)
    segments: tuple[Segment, ...] = ()
    icu_days: int = 0  # first days of the stay in the ICU (特定集中治療室, 一般病棟グループ)
    previous: Stay | None = None  # the patient's previous stay at this facility
    chain_prev: Stay | None = None  # the previous stay of a 7-day 一連 episode (p132)
    provisional: DpcCode | None = None  # code billed in the months before discharge (revised at discharge)
    admission_seq: str = "0"  # 回数管理番号: 1 for a same-day stay (p39)

    @property
    def los(self) -> int:
        return (self.discharge - self.admission).days + 1

    @property
    def emergency(self) -> bool:
        return self.planned_emergency[0] in "23"

    @property
    def transferred(self) -> bool:
        return len(self.segments) > 1

    @property
    def transfer_date(self) -> date | None:
        """The first day in the その他病棟グループ, when the stay has one (DPC billing ends there, p193 reason 11)."""
        for s in self.segments:
            if s.group == OTHER:
                return s.start
        return None

    def group_on(self, day: date) -> str:
        for s in self.segments:
            if s.start <= day <= s.end:
                return s.group
        return GENERAL

    def ward_on(self, day: date) -> str:
        if self.group_on(day) == OTHER:
            return cat.COMMUNITY_CARE_WARD
        if (day - self.admission).days < self.icu_days:
            return cat.ICU_WARD
        return self.ward

    @property
    def chain_head(self) -> Stay:
        s = self
        while s.chain_prev is not None:
            s = s.chain_prev
        return s

    @property
    def malignant(self) -> bool:
        return self.dpc.dpc6 in MALIGNANT_DPC6


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _age_for(rng: random.Random, mdc: str) -> int:
    if mdc == "14":
        return 0
    if mdc == "15":
        return rng.randint(0, 12)
    if mdc == "12":
        return rng.randint(22, 48) if rng.random() < 0.7 else rng.randint(40, 80)
    if mdc in ("09", "17"):
        return min(95, max(20, round(rng.gauss(58, 14))))
    return min(101, max(16, round(rng.gauss(73, 13))))


def _insurance(rng: random.Random, age: int, prefecture: str, koki: bool) -> Insurance:
    number = f"{rng.randint(1, 9_999_999)}"
    if koki:  # 後期高齢者医療: 8-digit insurer 39…, no 記号, no 枝番
        return Insurance("koki", f"39{prefecture}{rng.randint(1000, 9999)}", "", f"{rng.randint(10**7, 10**8 - 1)}",
                         "", "1317", "1318")  # fmt: skip
    elder = age >= 70
    u = rng.random()
    if u < 0.40:  # 国民健康保険: a 6-digit insurer number, written after two spaces (p154, p197)
        symbol = rng.choice(["東", "１２３", "A12", f"{rng.randint(1, 99):02d}"])
        return Insurance("kokuho", f"  {prefecture}{rng.randint(1000, 9999)}", symbol, number,
                         f"{rng.randint(0, 3):02d}", "1117" if elder else "1111", "1118" if elder else "1112")  # fmt: skip
    if u < 0.41:  # a 4-digit insurer number (old 政管健保 style), written after four spaces (p197 E-16)
        return Insurance("old4", f"    {rng.randint(1000, 9999)}", f"{rng.randint(1, 9999)}", number, "",
                         "1111", "1112")  # fmt: skip
    kind, head = ("kyokai", "01") if u < 0.75 else ("kumiai", "06")
    family = rng.random() < 0.35
    receipt_in = "1117" if elder else ("1115" if family else "1111")
    receipt_out = "1118" if elder else ("1116" if family else "1112")
    if age < 6:
        receipt_in, receipt_out = "1113", "1114"  # 未就学者
    branch = "" if rng.random() < 0.15 else f"{rng.randint(0, 3):02d}"  # older cards have no 枝番
    return Insurance(kind, f"{head}{prefecture}{rng.randint(1000, 9999)}", f"{rng.randint(1, 99999999)}", number,
                     branch, receipt_in, receipt_out)  # fmt: skip


def _kana(rng: random.Random, sex: str) -> str:
    if rng.random() < 0.006:
        return rng.choice(cat.LATIN_FAMILY) + rng.choice(cat.LATIN_GIVEN)  # p155 Q&A: letters allowed
    name = rng.choice(cat.FAMILY_NAMES) + rng.choice(cat.GIVEN_NAMES_M if sex == "1" else cat.GIVEN_NAMES_F)
    return cat.half_width(name) if rng.random() < 0.08 else name  # 半角、全角可 (p155)


def _new_patient(rng: random.Random, data_id: str, age: int, mdc: str, ref_day: date, prefecture: str) -> Patient:
    sex = "2" if mdc in ("09", "12") else ("1" if rng.random() < 0.53 else "2")
    if mdc == "11" and rng.random() < 0.4:
        sex = "1"
    birth = ref_day - timedelta(days=age * 365 + rng.randint(0, 364))
    birth_text = birth.strftime("%Y%m%d")
    if age >= 20 and rng.random() < 0.012:  # estimated age: unknown month and day (p42 example 19710000)
        birth_text = f"{birth.year}0000"
        birth = date(birth.year, 7, 1)
    elif age >= 20 and rng.random() < 0.004:
        birth_text = f"{birth.year}{birth.month:02d}00"
        birth = date(birth.year, birth.month, 15)
    if age >= 15:
        height = round(rng.gauss(166 if sex == "1" else 153, 7))
        weight = round(rng.gauss(62 if sex == "1" else 51, 10), 1)
    else:
        height = max(45, round(50 + age * 6.2 + rng.gauss(0, 4)))
        weight = round(max(2.0, 3.0 + age * 2.6 + rng.gauss(0, 1.5)), 1)
    smoking = "0" if age < 20 or rng.random() < 0.55 else rng.choice(["200", "400", "600", "800", "9999"])
    koki = age >= 75
    insurances: list[tuple[date, Insurance]] = [(date(1900, 1, 1), _insurance(rng, age, prefecture, koki))]
    if not koki and birth_text.endswith(birth.strftime("%m%d")) and age == 74:
        # the 75th birthday moves the patient to 後期高齢者医療 on that day (two K records that month, p155)
        insurances.append(
            (date(birth.year + 75, birth.month, min(birth.day, 28)), _insurance(rng, 75, prefecture, True))
        )
    elif rng.random() < 0.01:  # e.g. 社保 → 国保 after leaving a job
        insurances.append((ref_day + timedelta(days=rng.randint(3, 60)), _insurance(rng, age, prefecture, False)))
    u = rng.random()
    postal = "0000000" if u < 0.004 else "9999999" if u < 0.005 else f"{prefecture}{rng.randint(0, 99999):05d}"
    return Patient(
        data_id=data_id,
        birth_date=birth,
        birth_text=birth_text,
        sex=sex,
        postal_code=postal,
        height_cm=height,
        weight_kg=weight,
        smoking_index=smoking,
        kana_name=_kana(rng, sex),
        insurances=tuple(insurances),
        comorbidities=tuple(sorted(rng.sample(range(10), k=rng.choice([0, 1, 1, 2, 2, 3, 4])))),
    )


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _chain_gap_ok(prev: Stay, day: date) -> bool:
    """Whether an admission on ``day`` is within 7 days of the previous stay's 一般病棟グループ (p132): counted from
    the day after a discharge from it (≤ 7 days later) or from the day of a transfer out of it (≤ 6 days later)."""
    last = prev.segments[-1]
    if last.group == GENERAL:
        return 0 < (day - prev.discharge).days <= 7
    general = [s for s in prev.segments if s.group == GENERAL]
    transfer_out = general[-1].end + timedelta(days=1)
    return 0 < (day - transfer_out).days <= 6


def simulate(
    ref: Reference,
    facility_code: str,
    prefecture: str,
    seed: int,
    first_day: date,
    last_day: date,
    admissions_per_month: int,
) -> list[Stay]:
    """Every stay of one facility admitted between ``first_day - LEAD_IN_DAYS`` and ``last_day``."""
    rng = random.Random(f"timeline:{seed}:{facility_code}")
    daily = admissions_per_month * 12 / 365.25
    used_ids: set[str] = set()
    patients: list[Patient] = []
    discharged_on: dict[date, list[Patient]] = {}  # alive discharges by date (readmission candidates)
    busy_until: dict[str, date] = {}
    last_stay: dict[str, Stay] = {}
    dead: set[str] = set()
    stays: list[Stay] = []
    day = first_day - timedelta(days=LEAD_IN_DAYS)
    doctors = [f"{facility_code[-3:]}{i:04d}" for i in range(1, 41)]
    while day <= last_day:
        codes, weights = ref.casemix(day)
        factor = 0.45 if day.weekday() >= 5 else 1.22
        for _ in range(poisson(rng, daily * factor)):
            patient: Patient | None = None
            dpc: DpcCode | None = None
            u = rng.random()
            if u < 0.09:  # readmission of a patient discharged alive within 30 days
                for _try in range(4):
                    cands = discharged_on.get(day - timedelta(days=rng.randint(1, 30)), [])
                    cands = [p for p in cands if busy_until.get(p.data_id, day) < day]
                    if cands:
                        patient = rng.choice(cands)
                        break
            elif u < 0.13 and patients:  # returning patient from any time
                p = rng.choice(patients)
                if busy_until.get(p.data_id, day) < day and p.data_id not in dead:
                    patient = p
            prev = last_stay.get(patient.data_id) if patient is not None else None
            chain = False
            if prev is not None:
                same = next((c for c in codes if c.dpc_code == prev.dpc.dpc_code), None)
                eligible = (
                    same is not None
                    and _chain_gap_ok(prev, day)
                    and not (prev.transferred and prev.chain_prev is not None)  # a middle stay has one segment
                )
                if eligible and rng.random() < 0.7:
                    dpc, chain = same, True  # one DPC episode continues (p132, p195)
                elif same is not None and rng.random() < 0.5:
                    dpc = same
            if dpc is None:
                dpc = rng.choices(codes, weights)[0]
            if patient is None:
                while True:
                    data_id = f"{rng.randint(0, 10**10 - 1):010d}"  # 10 digits, leading zeros kept (p20, p39)
                    if data_id not in used_ids:
                        used_ids.add(data_id)
                        break
                patient = _new_patient(rng, data_id, _age_for(rng, dpc.mdc_code), dpc.mdc_code, day, prefecture)
                patients.append(patient)
            stay = _stay(rng, ref, len(stays), patient, day, dpc, doctors, prev, chain)
            stays.append(stay)
            busy_until[patient.data_id] = stay.discharge
            last_stay[patient.data_id] = stay
            if stay.died:
                dead.add(patient.data_id)
            else:
                discharged_on.setdefault(stay.discharge, []).append(patient)
        day += timedelta(days=1)
    return stays


def _stay(
    rng: random.Random,
    ref: Reference,
    number: int,
    patient: Patient,
    day: date,
    dpc: DpcCode,
    doctors: list[str],
    prev: Stay | None,
    chain: bool,
) -> Stay:
    age = _age_on(patient.birth_date, day)
    mdc = dpc.mdc_code
    sigma = 0.55
    mu = math.log(dpc.national_mean_los * LOS_FACTOR) - sigma * sigma / 2
    los = min(MAX_LOS, max(1, round(rng.lognormvariate(mu, sigma))))
    emergency_p = 0.25 if dpc.is_surgical else 0.65
    if mdc in ("16", "18", "15"):
        emergency_p = 0.85
    emergency = rng.random() < emergency_p
    ambulance = emergency and rng.random() < (0.55 if age >= 65 else 0.3)
    p_death = 0.008 + max(0, age - 55) * 0.0024
    if mdc in ("04", "05", "13", "18", "01"):
        p_death *= 1.9
    if dpc.is_surgical:
        p_death *= 0.35
    if not emergency:
        p_death *= 0.5
    died = rng.random() < p_death
    if died:
        outcome = "6" if rng.random() < 0.7 else "7"
        destination = "8"  # 終了（死亡等）(p49)
    else:
        outcome = rng.choices(["1", "3", "4", "5", "9"], [86, 3, 5, 3, 3])[0]
        if age >= 75:
            destination = rng.choices(["1", "2", "3", "4", "5", "6", "7", "a"], [50, 8, 4, 14, 8, 6, 8, 2])[0]
        else:
            destination = rng.choices(["1", "2", "3", "4", "7", "9"], [74, 12, 3, 6, 3, 2])[0]
    if mdc == "14":
        route = "8"  # 院内で出生 (p42)
    elif emergency:
        route = rng.choices(["1", "4", "5", "9"], [80, 9, 8, 3])[0]
    else:
        route = rng.choices(["1", "4", "5"], [90, 7, 3])[0]
    malignant = dpc.dpc6 in MALIGNANT_DPC6
    if emergency:
        planned = "200" if rng.random() < 0.3 and not ambulance else "3" + rng.choice(EMERGENCY_REASONS)
    else:
        # 101: a planned readmission for chemotherapy of a malignant neoplasm (p43–44)
        planned = "101" if malignant and prev is not None and not chain and rng.random() < 0.5 else "100"
    (dept, receipt_dept) = cat.DEPARTMENT_BY_MDC[mdc][1 if dpc.is_surgical else 0]
    surgery_day = 0
    if dpc.is_surgical:
        surgery_day = min(los, 1 + (rng.choice([0, 0, 1, 1, 2, 3]) if emergency else rng.choice([0, 1, 1, 1, 2])))
    complications: tuple[int, ...] = ()
    if los > 10 and rng.random() < 0.12:
        complications = (rng.randrange(5),)
    discharge = day + timedelta(days=los - 1)
    segments = [Segment(GENERAL, day, discharge)]
    # a ward-group transfer to the 地域包括ケア病棟 (その他病棟グループ), sometimes back (p40, p123–124)
    # (a readmission that continues an episode is more often one that needs the step-down ward: pattern 18, p130)
    if not died and los >= (10 if chain else 14) and age >= 65 and rng.random() < (0.3 if chain else 0.08):
        first_other = max(surgery_day + 3, rng.randint(min(7, los - 4), los - 4))
        if first_other <= los - 2:
            t = day + timedelta(days=first_other - 1)
            segments = [Segment(GENERAL, day, t - timedelta(days=1)), Segment(OTHER, t, discharge)]
            if rng.random() < 0.25 and (discharge - t).days >= 5:
                back = t + timedelta(days=rng.randint(2, (discharge - t).days - 2))
                segments = [segments[0], Segment(OTHER, t, back - timedelta(days=1)), Segment(GENERAL, back, discharge)]
    if (
        chain
        and prev is not None
        and masters.revision_for(prev.chain_head.admission).id != masters.revision_for(discharge).id
    ):
        chain = False  # no 一連 episode across a revision date (p128 pattern 15)
    care_purpose = "3" if malignant and not emergency and rng.random() < 0.5 else rng.choice(["4", "4", "4", "1"])
    provisional = None
    if not chain and len(segments) == 1 and not dpc.fee_for_service and discharge.month != day.month:
        siblings = ref.siblings(dpc)
        if siblings and rng.random() < 0.15:
            provisional = siblings[rng.randrange(len(siblings))]
    icu = min(los, rng.randint(1, 4)) if emergency and mdc in ("01", "05", "16") and rng.random() < 0.25 else 0
    return Stay(
        number=number,
        patient=patient,
        admission=day,
        discharge=discharge,
        dpc=dpc,
        age=age,
        admission_route=route,
        referral="1" if rng.random() < (0.55 if not emergency else 0.25) else "0",
        from_own_outpatient="1" if (not emergency and rng.random() < 0.6) else "0",
        planned_emergency=planned,
        ambulance="1" if ambulance else "0",
        home_care_before=rng.choices(["0", "1", "2", "9"], [85, 5, 8, 2])[0],
        destination=destination,
        outcome=outcome,
        died=died,
        department=dept,
        receipt_dept=receipt_dept,
        ward=cat.WARDS[int(dept) // 10 % len(cat.WARDS)],
        doctor=rng.choice(doctors),
        care_purpose=care_purpose,
        surgery_day=surgery_day,
        complications=complications,
        segments=tuple(segments),
        icu_days=icu,
        previous=prev,
        chain_prev=prev if chain else None,
        provisional=provisional,
        admission_seq="1" if los == 1 else "0",
    )
