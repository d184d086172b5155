"""A facility's timeline of patients and stays.

Admissions are simulated day by day from two months before the first delivery month (so the first month
already holds carried-over stays) to the last day of the last month (so some stays are still undischarged
when the timeline ends). Length of stay counts inpatient days including the admission and discharge days
(discharge = admission + los - 1), drawn right-skewed (lognormal) around the DPC code's national mean.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dpc.generate.catalogue import DEPARTMENT_BY_MDC, WARDS
from dpc.generate.reference import DpcCode, Reference, fiscal_year

LEAD_IN_DAYS = 62
MAX_LOS = 180
LOS_FACTOR = 1.08  # acute hospitals of the demo run a little longer than the national mean


@dataclass
class Patient:
    data_id: str
    birth_date: date
    sex: str
    postal_code: str
    height_cm: int
    weight_kg: float
    insurer_no: str
    receipt_type: str
    comorbidities: tuple[int, ...]


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
    admission_type: str  # 1 planned, 2 emergency, 3 emergency medical care (ref_admission_type.csv)
    ambulance: str
    destination: str
    outcome: str
    died: bool
    department: str
    ward: str
    doctor: str
    surgery_day: int = 0  # inpatient day (1-based) of the operation; 0 = none
    complications: tuple[int, ...] = field(default_factory=tuple)

    @property
    def los(self) -> int:
        return (self.discharge - self.admission).days + 1


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _weighted_codes(table: dict[str, DpcCode]) -> tuple[list[DpcCode], list[int]]:
    codes = [table[c] for c in sorted(table)]
    return codes, [c.national_cases for c in codes]


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


def _new_patient(rng: random.Random, data_id: str, age: int, mdc: str, ref_day: date, prefecture: str) -> Patient:
    sex = "2" if mdc in ("09", "12") else ("1" if rng.random() < 0.53 else "2")
    if mdc == "11" and rng.random() < 0.4:
        sex = "1"
    birth = ref_day - timedelta(days=age * 365 + rng.randint(0, 364))
    if age >= 15:
        height = round(rng.gauss(166 if sex == "1" else 153, 7))
        weight = round(rng.gauss(62 if sex == "1" else 51, 10), 1)
    else:
        height = max(45, round(50 + age * 6.2 + rng.gauss(0, 4)))
        weight = round(max(2.0, 3.0 + age * 2.6 + rng.gauss(0, 1.5)), 1)
    if age >= 75:
        insurer, receipt = f"39{prefecture}{rng.randint(1000, 9999)}", "1318"
    elif rng.random() < 0.45:
        insurer, receipt = f"{rng.randint(100000, 999999):>8}", "1112"  # 国保: 6 digits, space-padded
    elif rng.random() < 0.08:
        insurer, receipt = f"{rng.choice([1, 13, 138, 2700]):04d}".rjust(8), "1116"  # 4-digit insurer
    else:
        insurer, receipt = f"06{prefecture}{rng.randint(1000, 9999)}", rng.choice(["1112", "1116"])
    return Patient(
        data_id=data_id,
        birth_date=birth,
        sex=sex,
        postal_code=f"{prefecture}{rng.randint(0, 99999):05d}",
        height_cm=height,
        weight_kg=weight,
        insurer_no=insurer,
        receipt_type=receipt,
        comorbidities=tuple(sorted(rng.sample(range(10), k=rng.choice([0, 1, 1, 2, 2, 3, 4])))),
    )


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


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
    last_code: dict[str, str] = {}
    stays: list[Stay] = []
    day = first_day - timedelta(days=LEAD_IN_DAYS)
    doctors = [f"{facility_code[-3:]}{i:04d}" for i in range(1, 41)]
    while day <= last_day:
        codes, weights = _weighted_codes(ref.table(fiscal_year(day.year * 100 + day.month)))
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
                if busy_until.get(p.data_id, day) < day:
                    patient = p
            if patient is not None and rng.random() < 0.5:
                dpc = next((c for c in codes if c.dpc_code == last_code[patient.data_id]), None)
            if dpc is None:
                dpc = rng.choices(codes, weights)[0]
            if patient is None:
                while True:
                    data_id = f"{rng.randint(10**9, 10**10 - 1)}"
                    if data_id not in used_ids:
                        used_ids.add(data_id)
                        break
                patient = _new_patient(rng, data_id, _age_for(rng, dpc.mdc_code), dpc.mdc_code, day, prefecture)
                patients.append(patient)
            stay = _stay(rng, len(stays), patient, day, dpc, doctors)
            stays.append(stay)
            busy_until[patient.data_id] = stay.discharge
            last_code[patient.data_id] = dpc.dpc_code
            if not stay.died:
                discharged_on.setdefault(stay.discharge, []).append(patient)
        day += timedelta(days=1)
    return stays


def _stay(rng: random.Random, number: int, patient: Patient, day: date, dpc: DpcCode, doctors: list[str]) -> Stay:
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
        destination = "9"
    else:
        outcome = rng.choices(["1", "3", "4", "5", "9"], [86, 3, 5, 3, 3])[0]
        if age >= 75:
            destination = rng.choices(["1", "2", "3", "4", "5", "7", "8"], [52, 8, 4, 14, 8, 10, 4])[0]
        else:
            destination = rng.choices(["1", "2", "3", "4", "8", "0"], [74, 12, 3, 6, 3, 2])[0]
    if emergency:
        route = rng.choices(["1", "4", "5", "7", "9"], [78, 8, 4, 8, 2])[0]
    else:
        route = rng.choices(["1", "4", "7"], [90, 7, 3])[0]
    dept = _dept(mdc, dpc.is_surgical)
    surgery_day = 0
    if dpc.is_surgical:
        surgery_day = min(los, 1 + (rng.choice([0, 0, 1, 1, 2, 3]) if emergency else rng.choice([0, 1, 1, 1, 2])))
    complications: tuple[int, ...] = ()
    if los > 10 and rng.random() < 0.12:
        complications = (rng.randrange(5),)
    return Stay(
        number=number,
        patient=patient,
        admission=day,
        discharge=day + timedelta(days=los - 1),
        dpc=dpc,
        age=age,
        admission_route=route,
        referral="1" if rng.random() < (0.55 if not emergency else 0.25) else "0",
        from_own_outpatient="1" if (not emergency and rng.random() < 0.6) else "0",
        admission_type=("3" if ambulance else "2") if emergency else "1",
        ambulance="1" if ambulance else "0",
        destination=destination,
        outcome=outcome,
        died=died,
        department=dept,
        ward=_ward(dept, rng),
        doctor=rng.choice(doctors),
        surgery_day=surgery_day,
        complications=complications,
    )


def _dept(mdc: str, surgical: bool) -> str:
    medical, surgery = DEPARTMENT_BY_MDC[mdc]
    return surgery if surgical else medical


def _ward(dept: str, rng: random.Random) -> str:
    if rng.random() < 0.04:
        return "HCU"
    return WARDS[int(dept) // 10 % 8]
