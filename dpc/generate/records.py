"""The rows of each file kind for one stay in one delivery month, as lists of text fields in layout order.

Conventions chosen here (the readers and marts rely on them):

- A delivery month shows 退院年月日 ``00000000`` while the stay's discharge lies after the month's last day.
- EF, D and H rows cover only service dates (実施年月日) inside the delivery month; 様式1 rows are a snapshot
  of the stay at the month's end (operations up to that day; A000030 payload 1 ``00000000`` until discharge).
- D file: one data category 93 row per billing period (I, II, III of the stay's DPC code) that overlaps the
  month: 行為点数 = that period's per-diem points (before the hospital coefficient), 行為回数 = the period's
  inpatient days inside the month, 実施年月日 = 算定開始日, 算定起算日 = admission date. Thresholds and
  points come from the ref_dpc_code table of the delivery month's fiscal year. Every fee-for-service act
  (surgery 50, anaesthesia 54, rehabilitation 80, meals 97, procedures 40 of ≥ 1000 points, and every act
  on a day beyond period III) is one D row with its act amounts and 行為回数. 分類番号 (col 29) and
  医療機関係数 (col 30) are filled on EVERY D row; 算定開始日/終了日/起算日 (cols 26–28) only on 93 rows.
- Meals (97) are priced in yen: their D rows have 円・点区分 ``1`` and 行為点数 = yen per meal (670), so
  billed points = 670 × 行為回数 / 10. In EF, meal F rows carry the yen price in 明細点数・金額 with 円・点区分
  ``1`` and their point equivalent (67 per meal) in 出来高実績点数, like drugs.
- Billed points of a stay = Σ 93 rows (行為点数 × 行為回数 × 医療機関係数) + Σ other D rows
  ((行為点数 + 行為薬剤料 + 行為材料料) × 行為回数, yen rows ÷ 10).
"""

from __future__ import annotations

from datetime import date, timedelta

from dpc.generate.acts import Act, is_fee_for_service
from dpc.generate.catalogue import COMORBIDITIES, COMPLICATIONS, MEAL_YEN, surgery_for
from dpc.generate.reference import DpcCode, Facility, Reference, fiscal_year
from dpc.generate.timeline import Stay

UNDISCHARGED = "00000000"
H_ITEMS = (("ASS0013", 7), ("ASS0021", 7), ("TAR0010", 4))
PERIOD_NAMES = ("診断群分類（入院期間Ⅰ）", "診断群分類（入院期間Ⅱ）", "診断群分類（入院期間Ⅲ）")


def ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def month_bounds(yyyymm: int) -> tuple[date, date]:
    y, m = divmod(yyyymm, 100)
    first = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def discharge_text(stay: Stay, month_end: date) -> str:
    return ymd(stay.discharge) if stay.discharge <= month_end else UNDISCHARGED


def _n(value: int, width: int) -> str:
    return f"{value:0{width}d}"


def _flags(act: Act, bundled: bool) -> str:
    return f"{int(act.discharge_prescription)}000{int(bundled)}0000000"


def _receipt_dept(stay: Stay) -> str:
    return "60" if stay.dpc.is_surgical else "01"


def ef_rows(stay: Stay, acts: list[Act], facility: Facility, ref: Reference, yyyymm: int) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    table = ref.table(fiscal_year(yyyymm))
    dpc = table.get(stay.dpc.dpc_code, stay.dpc)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    p = stay.patient
    rows: list[list[str]] = []
    seq = 0
    for act in acts:
        if not first <= act.service_date <= last:
            continue
        seq += 1
        bundled = not is_fee_for_service(act, dpc.period_of_day(act.day))
        head = [facility.facility_code, p.data_id, dis, adm, act.category, _n(seq, 4)]
        tail = [
            ymd(act.service_date),
            _receipt_dept(stay),
            stay.department,
            stay.doctor,
            stay.ward,
            "0",
        ]
        main = act.items[0]
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
                _n(act.act_points, 8),
                _n(act.drug_points, 8),
                _n(act.material_points, 8),
                _n(act.count, 3),
                p.insurer_no,
                p.receipt_type,
            ]
            + tail
            + ["0", ""]
        )
        for i, item in enumerate(act.items, start=1):
            amount = item.value * item.quantity if item.yen else item.value
            rows.append(
                head
                + [
                    _n(i, 3),
                    f"000{item.receipt_code}",
                    item.receipt_code,
                    item.interpretation_no,
                    item.name,
                    f"{item.quantity:011.3f}" if item.unit_code else "",
                    item.unit_code,
                    f"{amount:012.2f}",
                    "1" if item.yen else "0",
                    _n(item.points * act.count, 8),
                    _flags(act, bundled),
                ]
                + ["0", "0", "0", _n(act.count, 3), "", ""]
                + [tail[0], "", *tail[2:], "", ""]
            )
    return rows


def _period_ranges(dpc: DpcCode) -> list[tuple[int, int, int]]:
    """(period, first day, last day) of periods I, II, III (inpatient days, 1-based)."""
    out, start = [], 1
    for i, end in enumerate(dpc.period_days, start=1):
        if end >= start:
            out.append((i, start, end))
        start = end + 1
    return out


def d_rows(stay: Stay, acts: list[Act], facility: Facility, ref: Reference, yyyymm: int) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    dpc = ref.table(fiscal_year(yyyymm)).get(stay.dpc.dpc_code, stay.dpc)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    p = stay.patient
    coef = facility.hospital_coefficient
    window_start = max(first, stay.admission)
    window_end = min(last, stay.discharge)

    def base(seq: int, category: str) -> list[str]:
        return [facility.facility_code, p.data_id, dis, adm, category, _n(seq, 4)]

    def act_tail(service: date) -> list[str]:
        return [
            p.insurer_no,
            p.receipt_type,
            ymd(service),
            _receipt_dept(stay),
            stay.department,
            stay.doctor,
            stay.ward,
            "0",
            "0",
            "",
        ]

    rows: list[list[str]] = []
    seq = 0
    for period, d1, d2 in _period_ranges(dpc):
        start = max(window_start, stay.admission + timedelta(days=d1 - 1))
        end = min(window_end, stay.admission + timedelta(days=d2 - 1))
        if start > end:
            continue
        seq += 1
        days = (end - start).days + 1
        code = f"93000000{period}"
        rows.append(
            base(seq, "93")
            + [
                f"000{code}",
                code,
                "",
                PERIOD_NAMES[period - 1],
                _n(dpc.period_points[period - 1], 8),
                _n(0, 8),
                _n(0, 8),
                "0",
                _n(days, 3),
            ]
            + act_tail(start)
            + [ymd(start), ymd(end), adm, dpc.dpc_code, coef]
        )
    for act in acts:
        if not first <= act.service_date <= last or not is_fee_for_service(act, dpc.period_of_day(act.day)):
            continue
        seq += 1
        main = act.items[0]
        if act.is_meal:
            amounts = [_n(MEAL_YEN, 8), _n(0, 8), _n(0, 8), "1"]
        else:
            amounts = [_n(act.act_points, 8), _n(act.drug_points, 8), _n(act.material_points, 8), "0"]
        rows.append(
            base(seq, act.category)
            + [f"000{main.receipt_code}", main.receipt_code, main.interpretation_no, main.name]
            + amounts
            + [_n(act.count, 3)]
            + act_tail(act.service_date)
            + ["", "", "", dpc.dpc_code, coef]
        )
    return rows


def h_rows(stay: Stay, facility: Facility, yyyymm: int, version: str, seed_scores: list[int]) -> list[list[str]]:
    first, last = month_bounds(yyyymm)
    dis = discharge_text(stay, last)
    adm = ymd(stay.admission)
    rows: list[list[str]] = []
    day = max(first, stay.admission)
    k = 0
    while day <= min(last, stay.discharge):
        n = (day - stay.admission).days
        for code, used in H_ITEMS:
            scores = [str(seed_scores[(n * 7 + k + j) % len(seed_scores)]) for j in range(used)]
            k += 1
            rows.append(
                [facility.facility_code, stay.ward, stay.patient.data_id, dis, adm, ymd(day), code, version, "0"]
                + scores
                + [""] * (11 - used)
            )
        day += timedelta(days=1)
    return rows


def ff1_rows(stay: Stay, facility: Facility, yyyymm: int, version: str) -> list[list[str]]:
    _, last = month_bounds(yyyymm)
    p = stay.patient
    adm = ymd(stay.admission)

    def row(code: str, seq: int, *payload: str) -> list[str]:
        values = list(payload) + [""] * (9 - len(payload))
        return [facility.facility_code, p.data_id, adm, "0", "0", code, version, str(seq), *values]

    def dx(code: str, seq: int, icd: str, name_code: str, name: str) -> list[str]:
        return row(code, seq, "", icd, "", name_code, "", "", "", "", name)

    discharged = stay.discharge <= last
    main_name = stay.dpc.name_ja.split("（")[0].split(" ")[0]
    main_code = f"{abs(sum(map(ord, stay.dpc.main_icd10))) * 7919 % 10_000_000:07d}"
    rows = [
        row("A000010", 0, ymd(p.birth_date), p.sex, p.postal_code),
        row(
            "A000020",
            0,
            adm,
            stay.admission_route,
            stay.referral,
            stay.from_own_outpatient,
            stay.admission_type,
            stay.ambulance,
        ),
        row(
            "A000030",
            0,
            ymd(stay.discharge),
            stay.destination,
            stay.outcome,
            "1" if stay.died and stay.los <= 1 else "0",
        )
        if discharged
        else row("A000030", 0, UNDISCHARGED),
        row("A000040", 0, "", stay.department, "0"),
        row("A001010", 0, "", str(p.height_cm), f"{p.weight_kg:.1f}"),
        dx("A006010", 0, stay.dpc.main_icd10, main_code, main_name),
        dx("A006020", 0, stay.dpc.main_icd10, main_code, main_name),
        dx("A006030", 0, stay.dpc.main_icd10, main_code, main_name),
    ]
    if p.comorbidities:
        icd, code, name = COMORBIDITIES[p.comorbidities[0]]
        rows.append(dx("A006031", 0, icd, code, name))
    for i, c in enumerate(p.comorbidities, start=1):
        icd, code, name = COMORBIDITIES[c]
        rows.append(dx("A006040", i, icd, code, name))
    for i, c in enumerate(stay.complications, start=1):
        if stay.admission + timedelta(days=5) <= last:
            icd, code, name = COMPLICATIONS[c]
            rows.append(dx("A006050", i, icd, code, name))
    if stay.surgery_day:
        op_day = stay.admission + timedelta(days=stay.surgery_day - 1)
        if op_day <= last:
            surgery = surgery_for(stay.dpc.dpc_code)
            rows.append(row("A007010", 1, ymd(op_day), surgery.k_code, surgery.anaesthesia))
    return rows
