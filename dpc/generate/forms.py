"""様式1: which forms a stay has, in which month each is delivered, and their records.

A stay has a parent form (統括診療情報番号 ``0``, admission to discharge) and, when it moved between ward groups,
one child form per ward-group period (``1``, ``2`` …; p40, p123–124). A readmission within 7 days that continues
one episode (一連, p132) adds an aggregate form ``A`` over the chained 一般病棟グループ periods, and a ``B`` over
the whole span when a transfer leaves part of it out of ``A`` (p40, p122, p125, p128, p130–131).

A child form is delivered in the month of its transfer, the parent in the month of discharge (p48, p55, p119);
an aggregate form in the month its span ends. Forms of stays still in hospital are not delivered (p5).

Records are written in ascending コード, バージョン, 連番 (p19); バージョン is the item's version from the
transcribed item table (:mod:`dpc.payload_items`, p20); 連番 is 1, 2 … for items that number their records and
``0`` otherwise (p20); a record whose payloads would all be empty is not written (p20).

Values are drawn from the transcribed code lists (``dpc/specdata/code_lists``). Open points (no source to draw
from, left empty rather than invented): A007010 ③ 手術基幹コード (STEM7, an external code table, p84);
A006010–A006050 ④ 傷病名コード of the main diagnoses use the specification's 未コード化傷病名コード ``0000999``
(p76) because the receipt disease master is not part of the specification.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from dpc import code_lists, payload_items
from dpc.generate import catalogue as cat
from dpc.generate.acts import Act, surgery_side
from dpc.generate.catalogue import COMORBIDITIES, COMPLICATIONS, surgery_for
from dpc.generate.timeline import GENERAL, OTHER, Stay

UNDISCHARGED = "00000000"
UNCODED_DISEASE = "0000999"  # 未コード化傷病名コード (p76, p201)
OBSTETRIC_DPC6 = frozenset({"120180", "120140"})  # 産科の患者 (ADL0010/0020 ※6 ※7, TAR0010 3)


@cache
def ymd(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def yyyymm_of(d: date) -> int:
    return d.year * 100 + d.month


@dataclass(frozen=True)
class Form:
    stays: tuple[Stay, ...]  # one stay, or the chained stays of an aggregate form
    parent_info_no: str  # 0, 1, 2 …, A, B (p40)
    start: date  # A000031 様式1開始日
    end: date  # A000031 様式1終了日
    by_transfer: bool  # the form ends with a transfer (退院年月日 00000000, 退院先 0: p46, p50)
    month: int  # yyyymm of the delivery that carries the form

    @property
    def first(self) -> Stay:
        return self.stays[0]

    @property
    def last(self) -> Stay:
        return self.stays[-1]

    @property
    def admission_seq(self) -> str:
        # 回数管理番号: 0 for child and aggregate forms (p39)
        return self.first.admission_seq if self.parent_info_no == "0" else "0"

    def groups(self) -> set[str]:
        out = set()
        for s in self.stays:
            for seg in s.segments:
                if seg.start <= self.end and seg.end >= self.start:
                    out.add(seg.group)
        return out


def forms_of(stays: list[Stay]) -> list[Form]:
    """Every form of the stays (parents, children, aggregates), in admission order."""
    out: list[Form] = []
    chains: dict[int, list[Stay]] = {}
    for s in stays:
        out.append(Form((s,), "0", s.admission, s.discharge, False, yyyymm_of(s.discharge)))
        if s.transferred:
            for i, seg in enumerate(s.segments, start=1):
                is_last = seg.end == s.discharge
                month = yyyymm_of(seg.end if is_last else seg.end + timedelta(days=1))
                out.append(Form((s,), str(i), seg.start, seg.end, not is_last, month))
        if s.chain_prev is not None:
            chains.setdefault(s.chain_head.number, [s.chain_head]).append(s)
    for chain in chains.values():
        first, last = chain[0], chain[-1]
        a_start = [g for g in first.segments if g.group == GENERAL][-1].start
        a_end = [g for g in last.segments if g.group == GENERAL][0].end
        by_transfer = a_end < last.discharge
        month = yyyymm_of(a_end + timedelta(days=1) if by_transfer else a_end)
        out.append(Form(tuple(chain), "A", a_start, a_end, by_transfer, month))
        if a_start > first.admission or by_transfer:
            out.append(Form(tuple(chain), "B", first.admission, last.discharge, False, yyyymm_of(last.discharge)))
    out.sort(key=lambda f: (f.first.admission, f.first.number, f.parent_info_no))
    return out


@cache
def _version(code: str) -> str:
    return max(payload_items.versions("FF1", code))


@cache
def _uses_seq(code: str) -> bool:
    found = payload_items.item("FF1", code)
    return bool(found and found.uses_seq)


@cache
def _codes(list_id: str) -> tuple[str, ...]:
    return tuple(code_lists.load(list_id).codes)


def _adl(rng: random.Random, age: int, worse: bool) -> str:
    """A 10-digit ADL score (p86): independent digits for the young, some help for the old."""
    full = "2" + "3" + "1" + "2" + "1" + "3" + "2" + "2" + "2" + "2"
    if age < 75 and not worse:
        return full
    help_ = "1" + "2" + "0" + "1" + "0" + "1" + "1" + "1" + "1" + "1"
    return "".join(h if rng.random() < (0.5 if worse else 0.3) else f for f, h in zip(full, help_, strict=True))


def _dx(icd: str, code: str, name: str) -> list[str]:
    return ["", icd, "", code, "", "", "", "", name]


def form_records(form: Form, facility_code: str, acts: dict[int, list[Act]], seed: int) -> list[list[str]]:
    """The records of one 様式1 (header part + コード, バージョン, 連番, ペイロード1–9: 17 fields, p19–20)."""
    s, last = form.first, form.last
    p = s.patient
    rng = random.Random(f"ff1:{seed}:{facility_code}:{s.number}:{form.parent_info_no}")
    header = [facility_code, p.data_id, ymd(s.admission), form.admission_seq, form.parent_info_no]
    records: list[tuple[str, int, list[str]]] = []

    def add(code: str, seq: int, *payloads: str) -> None:
        values = list(payloads) + [""] * (9 - len(payloads))
        if any(values):  # a record with every payload empty is not written (p20)
            records.append((code, seq, values))

    groups = form.groups()
    starts_by_transfer = form.start != s.admission
    general_only = groups == {GENERAL}
    mdc = s.dpc.mdc_code
    age = s.age
    obstetric = s.dpc.dpc6 in OBSTETRIC_DPC6
    died = last.died and not form.by_transfer

    # A000010 患者属性 (p42)
    add("A000010", 0, p.birth_text, p.sex, p.postal_code)
    # A000020 入院情報 (p42–46): a child that starts with a transfer came from another ward ("0")
    route = "0" if starts_by_transfer else s.admission_route
    detail = route in ("1", "4", "5")
    self_harm = ""
    if mdc == "17" and route in ("0", "1", "4", "5"):
        self_harm = "99" if rng.random() < 0.85 else rng.choice(["4", "6", "10"])
    past = rng.choice(["0", "1", "9"]) if self_harm not in ("", "99") else ""
    add(
        "A000020",
        0,
        ymd(s.admission),
        route,
        s.referral if detail else "",
        s.from_own_outpatient if detail else "",
        s.planned_emergency if detail else "",
        s.ambulance if detail else "",
        s.home_care_before if detail else "",
        self_harm,
        past,
    )
    # A000030 退院情報 (p46–52)
    if form.by_transfer:
        add("A000030", 0, UNDISCHARGED, "0", rng.choice(["1", "4"]), "0")
    else:
        home = "0" if died else rng.choices(["0", "1", "2", "9"], [80, 8, 10, 2])[0]
        death24 = "1" if died and last.los <= 1 else "0"
        add("A000030", 0, ymd(last.discharge), last.destination, last.outcome, death24, home)
    # A000031 様式1対象期間 (p53)
    add("A000031", 0, ymd(form.start), ymd(form.end))
    # A000040 診療科 (p53)
    add("A000040", 0, "", last.department, "1" if rng.random() < 0.02 else "0")
    # A000050 病棟 (p54)
    add("A000050", 0, "", "1" if GENERAL in groups else "0", "0", "1" if OTHER in groups else "0")
    # A000060 診療目的・経過 (p56)
    add("A000060", 0, "", s.care_purpose, "1" if rng.random() < 0.01 else "0")
    # A000070 前回退院 (p56): 99999999 for a first admission
    prev = s.previous
    if prev is None:
        add("A000070", 0, "99999999", "99999999")
    else:
        same = prev.dpc.mdc_code == mdc and s.emergency
        add("A000070", 0, ymd(prev.discharge), ymd(prev.discharge) if same else "99999999")
        # A000080 再入院調査 (p57–58): a readmission to the 一般病棟グループ within 4 weeks
        if (
            form.parent_info_no in "0123456789"
            and general_only
            and prev.segments[-1].group == GENERAL
            and (s.admission - prev.discharge).days <= 28
        ):
            if s.emergency:
                kind, reason = "2", rng.choice(["1", "1", "2", "6"])
            else:
                kind, reason = "1", "3" if s.planned_emergency == "101" else rng.choice(["1", "7"])
            text = "患者の希望により退院後に再入院して検査を行ったため" if reason == "7" else ""
            add("A000080", 0, "", kind, reason, "", "", "", "", "", text)
    # A001010 身長・体重 (p61): 000 when not measurable
    adm_w = f"{p.weight_kg:.1f}" if rng.random() > 0.01 else "000"
    dis_w = "000" if died else f"{max(1.0, p.weight_kg - rng.choice([0.0, 0.5, 1.0, 1.5])):.1f}"
    add("A001010", 0, "", str(p.height_cm), adm_w, dis_w)
    # A001020 喫煙指数 (p61)
    add("A001020", 0, "", p.smoking_index)
    # A002010 妊婦情報 (p63): "0" for men
    pregnant = "1" if obstetric else ("0" if p.sex == "1" or not 15 <= age <= 49 else rng.choice(["0"] * 30 + ["2"]))
    add("A002010", 0, "", pregnant, f"{rng.randint(36, 40)}" if pregnant == "1" else "")
    # A003010 出生児情報 (※3 新生児疾患, p24)
    if mdc == "14":
        add("A003010", 0, "", str(rng.randint(1600, 3400)), f"{rng.randint(33, 41):02d}")
    # A004010 高齢者情報, A004020 要介護度 (※4 ※5: 65 歳以上, p24–25, p64–65)
    if age >= 65:
        add("A004010", 0, "", rng.choices(_codes("ff1_dementia_independence"), [60, 15, 10, 8, 5, 2])[0])
        add("A004020", 0, "", rng.choices(_codes("ff1_care_level"), [60, 5, 5, 8, 7, 5, 4, 3, 2, 1])[0])
    # A004030 栄養情報 (p65–66): ③⑤ are optional and left out; ⑨ for 65 歳以上 (※H)
    tube = "00000" if rng.random() < 0.9 else rng.choice(["10000", "01000", "00100"])
    add(
        "A004030",
        0,
        "",
        "",
        "",
        rng.choices(["0", "1", "9"], [85, 10, 5])[0],
        "",
        rng.choices(["0", "1", "9"], [85, 10, 5])[0],
        tube,
        tube,
        ("1" if rng.random() < 0.8 else "0") if age >= 65 else "",
    )
    # A006010–A006050 診断情報 (p69–80)
    name = s.dpc.name_ja.split("（")[0].split(" ")[0]
    icd = s.dpc.main_icd10
    add("A006010", 0, *_dx(icd, UNCODED_DISEASE, name))
    add("A006020", 0, *_dx(icd, UNCODED_DISEASE, name))
    add("A006030", 0, *_dx(icd, UNCODED_DISEASE, name))
    if p.comorbidities and rng.random() < 0.1:
        add("A006031", 0, *_dx(*COMORBIDITIES[p.comorbidities[0]]))
    for i, c in enumerate(p.comorbidities[:10], start=1):
        add("A006040", i, *_dx(*COMORBIDITIES[c]))
    k = 0
    for st in form.stays:
        onset = st.admission + timedelta(days=5)
        if form.start <= onset <= form.end:
            for c in st.complications:
                k += 1
                add("A006050", k, *_dx(*COMPLICATIONS[c]))
    # A007010 手術情報 (p83–85), in the form's period; ③ STEM7 left empty (no source)
    k = 0
    for st in form.stays:
        if not st.surgery_day:
            continue
        op_day = st.admission + timedelta(days=st.surgery_day - 1)
        if not form.start <= op_day <= form.end:
            continue
        surgery = surgery_for(st.dpc.dpc_code)
        anaesthesia = cat.ANAESTHESIA_CODE[surgery.anaesthesia]
        antibiotics = rng.choice(["1", "1", "1", "2", "0"]) if anaesthesia in ("1", "6") else ""
        k += 1
        side = surgery_side(acts.get(st.number, []))
        add("A007010", k, ymd(op_day), surgery.k_code, "", "1", side, anaesthesia, antibiotics, "", surgery.name)
    # ADL0010/0020 (※6 ※7: 15 歳以上, not obstetric; not after death, p86–87)
    if age >= 15 and not obstetric:
        add("ADL0010", 0, "", _adl(rng, age, s.emergency))
        if not died:
            add("ADL0020", 0, "", _adl(rng, age, False))
    # ADL0030/0040 地域包括ケア入棟・退棟 (※8 ※9, p87): the form covers a その他病棟グループ period
    if OTHER in groups and age >= 15:
        add("ADL0030", 1, "", _adl(rng, age, True))
        if not died:
            add("ADL0040", 1, "", _adl(rng, age, False))
    # CAN0010–CAN0040 がん患者 (p87–91); CAN0040 is required for every form
    chemo = "0"
    if s.malignant:
        chemo = "3" if s.care_purpose == "3" else rng.choice(["0", "0", "1"])
        if general_only:
            onset_code = "0" if rng.random() < 0.7 else "1"
            add("CAN0010", 0, "", "", onset_code)
            if onset_code == "0" and s.dpc.dpc6 not in ("130030", "130060", "010010"):
                add("CAN0020", 0, "", "", rng.choice(["T1", "T2", "T3"]), rng.choice(["N0", "N1"]), "M0", "8")
                if s.dpc.dpc6 in ("060035", "060050"):
                    add("CAN0030", 0, "", "", rng.choice(["1", "2", "3A", "3B"]))
    add("CAN0040", 0, "", "", chemo)
    # JCS0010 (p96): ③ only for 救急医療入院 (3**)
    jcs = "0"
    if mdc == "01":
        jcs = rng.choice(["0", "1", "2", "3", "10", "20", "30", "100"]) + rng.choice(["", "", "", "R", "A"])
        jcs = "0" if jcs.startswith("0") else jcs
    add("JCS0010", 0, "", jcs, jcs if detail and s.planned_emergency.startswith("3") else "")
    # disease-specific items, each drawn from its code list
    if s.dpc.dpc6 in ("010060", "010040"):
        add("M010010", 0, "", rng.choice(_codes("ff1_rankin_premorbid")[:4]), rng.choice(_codes("ff1_stroke_onset")))
        if not died:
            add("M010020", 0, "", rng.choice(_codes("ff1_rankin_discharge")[:6]))
    if s.dpc.dpc6 in ("040081", "040080"):
        add("M040020", 0, "", "".join(rng.choice(x) for x in ("01", "012", "01", "01", "01", "01", "358")), "0")
    if s.dpc.dpc6 == "040120":
        add("M040010", 0, "", rng.choice(_codes("ff1_hugh_jones")[1:]))
    if s.dpc.dpc6 == "050050":
        add("M050020", 0, "", rng.choice(_codes("ff1_ccs")[:5]))
    records.sort(key=lambda r: (r[0], _version(r[0]), r[1]))
    return [
        [*header, code, _version(code), str(seq if _uses_seq(code) else 0), *values] for code, seq, values in records
    ]
