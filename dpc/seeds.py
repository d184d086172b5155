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

# seed file → (code list, English glosses)
SPEC_SEEDS: dict[str, tuple[str, dict[str, str]]] = {
    "ref_department": ("department", _DEPARTMENT_EN),
    "ref_discharge_destination": ("ff1_discharge_destination", _DESTINATION_EN),
    "ref_admission_route": ("ff1_admission_route", _ROUTE_EN),
}


def render(seed: str) -> str:
    list_id, english = SPEC_SEEDS[seed]
    lst = code_lists.load(list_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name_ja", "name_en", "spec_page"])
    for code, entry in lst.codes.items():
        writer.writerow([code, entry.meaning_ja, english[code], entry.page])
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
    files = {SEEDS / f"{seed}.csv": render(seed) for seed in SPEC_SEEDS}
    files[SEEDS / "ref_dpc_code.csv"] = render_dpc_codes()
    return write_or_check(files, argv, "python -m dpc.seeds")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
