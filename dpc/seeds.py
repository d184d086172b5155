"""Write the code-master seeds generated from the repository's own data.

``python -m dpc.seeds`` rewrites them; ``--check`` fails when a committed seed is stale (a test runs it):

- the transcriptions of the specification's code lists, from ``dpc/specdata/code_lists/`` (codes and Japanese
  names as the specification prints them, with its page). The English glosses are the project's own, for readers
  of the docs site; the specification has none;
- ``ref_dpc_code``: every revision's DPC codes from the ministry's 診断群分類点数表 (``reference/masters/``, through
  the extract :func:`dpc.masters.dpc_codes`), one row per revision × code. A new revision is a new workbook in
  ``reference/masters/`` (``dpc/masters.py`` ``_REVISIONS``, ``python -m dpc.masters --extract``) and then
  ``python -m dpc.seeds``.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from dpc import code_lists, masters
from dpc.generated import write_or_check
from dpc.paths import PROJECT_DIR

SEEDS = PROJECT_DIR / "seeds" / "ref"

_DEPARTMENT_EN = {
    "010": "Internal medicine",
    "020": "Psychosomatic medicine",
    "030": "Psychiatry",
    "040": "Neurology (neuropsychiatry)",
    "050": "Respiratory medicine",
    "060": "Gastroenterology",
    "070": "Cardiology",
    "080": "Allergology",
    "090": "Rheumatology",
    "100": "Paediatrics",
    "110": "General surgery",
    "120": "Orthopaedics",
    "130": "Plastic surgery",
    "140": "Cosmetic surgery",
    "150": "Neurosurgery",
    "160": "Thoracic surgery",
    "170": "Cardiovascular surgery",
    "180": "Paediatric surgery",
    "190": "Dermato-urology",
    "200": "Venereology",
    "210": "Proctology",
    "220": "Obstetrics and gynaecology",
    "230": "Ophthalmology",
    "240": "Otorhinolaryngology",
    "250": "Bronchoesophagology",
    "260": "Rehabilitation medicine",
    "270": "Radiology",
    "280": "Neurology",
    "290": "Gastroenterology (stomach and intestine)",
    "300": "Dermatology",
    "310": "Urology",
    "320": "Obstetrics",
    "330": "Gynaecology",
    "340": "Respiratory internal medicine",
    "350": "Cardiovascular internal medicine",
    "360": "Dentistry",
    "370": "Orthodontics",
    "380": "Paediatric dentistry",
    "390": "Oral and maxillofacial surgery",
    "400": "Diabetology",
    "410": "Nephrology",
    "420": "Kidney transplantation",
    "430": "Haemodialysis",
    "440": "Metabolic medicine",
    "450": "Endocrinology",
    "460": "Emergency medicine",
    "470": "Haematology",
    "480": "Haematology (internal medicine)",
    "490": "Anaesthesiology",
    "500": "Gastroenterological internal medicine",
    "510": "Gastroenterological surgery",
    "520": "Hepato-biliary-pancreatic surgery",
    "530": "Diabetes internal medicine",
    "540": "Colorectal and anal surgery",
    "550": "Oculoplastic and orbital surgery",
    "560": "Reproductive endocrinology",
    "570": "Collagen disease and rheumatology",
    "580": "Stroke medicine",
    "590": "Oncology",
    "600": "General medicine",
    "610": "Breast and thyroid surgery",
    "620": "Neonatology",
    "630": "Paediatric cardiology",
    "640": "Palliative care",
    "650": "Endocrinology and rheumatology",
    "660": "Haematology and oncology",
    "670": "Renal failure",
    "680": "Neuropsychiatry",
    "690": "Endocrinology and metabolism",
    "700": "Diagnostic pathology",
    "710": "Laboratory medicine",
}
_DESTINATION_EN = {
    "0": "Transfer to another ward of this hospital (child form)",
    "1": "Home, follow-up at this hospital",
    "2": "Home, follow-up at another hospital or clinic",
    "3": "Home, other",
    "4": "Transfer to another hospital or clinic",
    "5": "Admission to a long-term care health facility (介護老人保健施設)",
    "6": "Admission to a special nursing home (介護老人福祉施設)",
    "7": "Admission to a welfare facility or residential home",
    "8": "End of care (death etc.)",
    "9": "Other",
    "a": "Admission to an integrated care hospital (介護医療院)",
}

_ROUTE_EN = {
    "0": "Transfer from another ward of this hospital (child form)",
    "1": "From home",
    "4": "Transfer from another hospital or clinic",
    "5": "From a care or welfare facility",
    "8": "Born in this hospital",
    "9": "Other",
}

_ADMISSION_TYPE_EN = {
    "100": "Planned admission",
    "101": "Planned readmission for chemotherapy of a malignant tumour",
    "200": "Unplanned admission, not emergency care",
}
# the two-digit reasons of 救急医療入院 3** (p43–44); 1x, 2x are the states "equivalent to" 0x, 3x
_EMERGENCY_REASON_EN = {
    "01": "haematemesis, haemoptysis or severe dehydration",
    "02": "impaired consciousness or coma",
    "33": "severe respiratory failure",
    "34": "severe heart failure",
    "04": "acute drug poisoning",
    "05": "shock",
    "06": "severe metabolic disorder",
    "07": "extensive, facial or airway burns",
    "08": "severe trauma, tetanus etc.",
    "09": "needs emergency surgery, catheter treatment or t-PA",
    "31": "gastrointestinal disease needing emergency treatment",
    "32": "needs resuscitation",
    "20": "other severe state",
}
_EQUIVALENT_OF = {"11": "01", "12": "02", "23": "33", "24": "34", "14": "04", "15": "05", "16": "06", "17": "07",
                  "18": "08", "19": "09", "21": "31", "22": "32"}  # fmt: skip


def _admission_type_en(code: str) -> str:
    if code in _ADMISSION_TYPE_EN:
        return _ADMISSION_TYPE_EN[code]
    reason = code[1:]
    if reason in _EQUIVALENT_OF:
        return f"Emergency care admission: a state equivalent to {_EQUIVALENT_OF[reason]} ({reason})"
    return f"Emergency care admission: {_EMERGENCY_REASON_EN[reason]} ({reason})"


def admission_class(code: str) -> str:
    """p43: 100/101 planned, 200 unplanned (not emergency care), 3** 救急医療入院 (emergency care)."""
    return {"1": "planned", "2": "unplanned"}.get(code[0], "emergency_care")


def emergency_care_addition(code: str) -> str:
    """p44: the reasons that correspond to 救急医療管理加算1 (301–302, 304–309, 331–334) and 加算2 (311–312,
    314–324); empty for admissions that are not 救急医療入院."""
    if not code.startswith("3"):
        return ""
    reason = int(code[1:])
    if reason in (1, 2) or 4 <= reason <= 9 or 31 <= reason <= 34:
        return "1"
    if reason in (11, 12) or 14 <= reason <= 24:
        return "2"
    raise ValueError(f"予定・救急医療入院 {code}: no 救急医療管理加算 mapping on p44")


_ANAESTHESIA_EN = {
    "1": "General anaesthesia",
    "2": "Epidural anaesthesia",
    "3": "Spinal anaesthesia",
    "4": "Intravenous anaesthesia",
    "5": "Local anaesthesia",
    "6": "General and epidural anaesthesia",
    "7": "Spinal and epidural anaesthesia",
    "8": "Other",
    "9": "None",
}
_OUTCOME_EN = {
    "1": "Cured or improved",
    "3": "Remission",
    "4": "Unchanged",
    "5": "Worsened",
    "6": "Death from the most resource-consuming diagnosis",
    "7": "Death from another cause",
    "9": "Other (including diagnostic admissions)",
}
_READMISSION_TYPE_EN = {"1": "Planned readmission", "2": "Unplanned readmission"}


@dataclass(frozen=True)
class SpecSeed:
    """A seed transcribed from one code list: code, name_ja, name_en, then the derived columns, then spec_page."""

    list_id: str
    english: Callable[[str], str]
    derived: dict[str, Callable[[str], str]] = field(default_factory=dict)


def _bool(predicate: Callable[[str], bool]) -> Callable[[str], str]:
    return lambda code: "true" if predicate(code) else "false"


SPEC_SEEDS: dict[str, SpecSeed] = {
    "ref_department": SpecSeed("department", _DEPARTMENT_EN.__getitem__),
    "ref_discharge_destination": SpecSeed("ff1_discharge_destination", _DESTINATION_EN.__getitem__),
    "ref_admission_route": SpecSeed("ff1_admission_route", _ROUTE_EN.__getitem__),
    "ref_admission_type": SpecSeed(
        "ff1_planned_emergency",
        _admission_type_en,
        {
            "admission_class": admission_class,
            "is_receipt_emergency": _bool(lambda c: admission_class(c) != "planned"),
            "emergency_care_addition": emergency_care_addition,
        },
    ),
    "ref_anaesthesia": SpecSeed(
        "ff1_anaesthesia", _ANAESTHESIA_EN.__getitem__, {"is_general": _bool(lambda c: c in ("1", "6"))}
    ),
    "ref_discharge_outcome": SpecSeed(
        "ff1_discharge_outcome", _OUTCOME_EN.__getitem__, {"is_death": _bool(lambda c: c in ("6", "7"))}
    ),
    "ref_yen_point_flag": SpecSeed("yen_point_flag", {"0": "Points", "1": "Yen"}.__getitem__),
    "ref_ward_type": SpecSeed(
        "ward_type_inpatient",
        {"0": "General ward", "1": "Other than general", "2": "Outpatient care during the stay"}.__getitem__,
    ),
    "ref_readmission_type": SpecSeed(
        "ff1_readmission_type", _READMISSION_TYPE_EN.__getitem__, {"is_unplanned": _bool(lambda c: c == "2")}
    ),
}


# データ区分 of the three claim kinds (p184, p193, p201): one seed, with the kinds each code is valid in
_DATA_CATEGORY_LISTS = {
    "in_d": "d_data_category",
    "in_efn": "ef_data_category_inpatient",
    "in_efg": "ef_data_category_outpatient",
}
_DATA_CATEGORY_EN = {
    "01": "Reason for fee-for-service billing (D only)",
    "11": "First visit",
    "12": "Revisit",
    "13": "Guidance and management",
    "14": "Home care",
    "21": "Oral drugs",
    "22": "Drugs as needed",
    "23": "External drugs",
    "24": "Dispensing (inpatient)",
    "25": "Prescription (outpatient)",
    "26": "Narcotics",
    "27": "Dispensing base fee",
    "31": "Subcutaneous or intramuscular injection",
    "32": "Intravenous injection",
    "33": "Other injection",
    "40": "Procedure",
    "50": "Surgery",
    "54": "Anaesthesia",
    "60": "Laboratory and pathology",
    "70": "Imaging",
    "80": "Other (rehabilitation etc.)",
    "90": "Basic inpatient fee",
    "92": "Specific inpatient fee",
    "93": "DPC bundled per-diem (D only)",
    "94": "DPC adjustment points (D only; may be negative)",
    "97": "Meals and the patient's standard share (yen)",
    "SY": "Diagnosis record (outpatient EF only)",
}


def _survey_years(lst: code_lists.CodeList, entry: code_lists.Code) -> list[int]:
    """The first and last survey year the code is valid in: its own bounds, else the years its list was
    transcribed for (docs/decisions/0025: a code valid in another year is a warning)."""
    first = entry.first_survey_year or min(lst.survey_years)
    last = entry.last_survey_year or max(lst.survey_years)
    return [first, last]


SURVEY_YEAR_COLUMNS = ["valid_from_survey_year", "valid_to_survey_year"]


def render_data_category() -> str:
    lists = {column: code_lists.load(list_id) for column, list_id in _DATA_CATEGORY_LISTS.items()}
    codes: dict[str, tuple[code_lists.CodeList, code_lists.Code]] = {}
    for lst in lists.values():
        for code, entry in lst.codes.items():
            codes.setdefault(code, (lst, entry))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name_ja", "name_en", *lists, "is_bundled", "spec_page", *SURVEY_YEAR_COLUMNS])
    for code in sorted(codes):
        lst, entry = codes[code]
        flags = ["true" if code in kind.codes else "false" for kind in lists.values()]
        bundled = "true" if code == "93" else "false"
        years = _survey_years(lst, entry)
        writer.writerow([code, entry.meaning_ja, _DATA_CATEGORY_EN[code], *flags, bundled, entry.page, *years])
    return out.getvalue()


def render(seed: str) -> str:
    if seed == "ref_data_category":
        return render_data_category()
    spec = SPEC_SEEDS[seed]
    lst = code_lists.load(spec.list_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name_ja", "name_en", *spec.derived, "spec_page", *SURVEY_YEAR_COLUMNS])
    for code, entry in lst.codes.items():
        derived = [column(code) for column in spec.derived.values()]
        writer.writerow([code, entry.meaning_ja, spec.english(code), *derived, entry.page, *_survey_years(lst, entry)])
    return out.getvalue()


DPC_CODE_COLUMNS = (
    "revision",
    "dpc_code",
    "dpc6",
    "mdc_code",
    "name_ja",
    "is_bundled",
    "period_1_days",
    "period_2_days",
    "period_3_days",
    "period_1_points",
    "period_2_points",
    "period_3_points",
    "valid_from",
    "valid_to",
)


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def render_dpc_codes() -> str:
    """``ref_dpc_code.csv``: one row per revision × DPC code of the ministry's tables. ``valid_to`` is the day before
    the next revision starts (the sheets say 99999999, "until further notice"), empty for the newest revision;
    ``period_2_points`` is empty where the sheet prints ``-`` (入院日Ⅰ = 入院日Ⅱ, no period Ⅱ); days and points are
    empty for 出来高 codes (``is_bundled`` false)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DPC_CODE_COLUMNS)
    for rev in masters.revisions():
        valid_to = rev.valid_to.isoformat() if rev.valid_to else ""
        for c in masters.dpc_codes(rev.id):
            writer.writerow(
                [rev.id, c.code, c.dpc6, c.mdc, c.name, "true" if c.bundled else "false"]
                + [_opt(v) for v in (c.days_i, c.days_ii, c.days_iii, c.points_i, c.points_ii, c.points_iii)]
                + [rev.valid_from.isoformat(), valid_to]
            )
    return out.getvalue()


def main(argv: list[str]) -> int:
    seeds = [*SPEC_SEEDS, "ref_data_category"]
    files = {SEEDS / f"{seed}.csv": render(seed) for seed in seeds}
    files[SEEDS / "ref_dpc_code.csv"] = render_dpc_codes()
    return write_or_check(files, argv, "python -m dpc.seeds")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
