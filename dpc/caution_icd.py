"""The specification's 留意すべきICDコード list (p157–p180) and its 部位不明・詳細不明コード, as a seed.

The list prints one row per code or code range with two columns of ○: 「部位不明・詳細不明コード」 (the codes whose
share among 医療資源を最も投入した傷病名 the 保険診療指数 judges, p157) and 「その他留意が必要なICDコード」 (not judged).
A text rendering with layout loses which column a single ○ is in, so the transcription keeps positions:

1. ``python -m dpc.caution_icd --extract PDF`` reads pages 157–180 with ``pdftotext -bbox`` (poppler-utils) and
   writes ``dpc/specdata/caution_icd_rows.csv``: one row per printed row with its page, its y position (pt) and the
   x position of each ○ (521.76 = 部位不明・詳細不明コード, 549.72 = その他留意), and
   ``caution_icd_rows.SOURCE.md`` with the PDF's and the extraction's sha256. Only the generator needs the PDF.
2. ``python -m dpc.caution_icd`` expands each printed row into ICD codes against sheet ``４）ＩＣＤ`` of the
   ministry's latest code tables (``reference/masters/``, dpc/masters.py) and writes ``seeds/ref/ref_icd10_caution.csv``;
   ``--check`` fails when the seed is stale or the extraction's checksum differs from its SOURCE (a test runs it).

Expansion of the printed code column (each rule checked against the whole list; anything else is an error):

- a range ``LO-HI`` covers the sheet's codes (``$`` dropped) from LO up to HI (compared on HI's length); its title
  says which of them: ``この範囲の全て`` all, ``この範囲の「9」となるもの`` those whose 4th character is 9,
  ``この範囲の部位コード「9」となるもの`` 5-character codes whose 部位コード (5th) is 9, ``…「3」「6」…`` 3 or 6;
- ``T08-0`` (a 3-character category with the digit the list adds: 0 閉鎖性, 1 開放性; ``M45-9`` 部位不明) is
  ``T080``; ``Q419a``/``b``/``c`` (three rows of one code, 欠損/閉鎖/狭窄) are ``Q419``; a full-width letter is
  normalised (NFKC: ``Ｏ969`` → ``O969``); every other code is taken as printed (``F603D`` too: not in the sheet).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import io
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dpc import masters
from dpc.generated import write_or_check
from dpc.paths import PROJECT_DIR

FIRST_PAGE, LAST_PAGE = 157, 180
SPECDATA = PROJECT_DIR / "dpc" / "specdata"
ROWS_CSV = SPECDATA / "caution_icd_rows.csv"
ROWS_SOURCE = SPECDATA / "caution_icd_rows.SOURCE.md"
SEED = PROJECT_DIR / "seeds" / "ref" / "ref_icd10_caution.csv"
ICD_SHEET = "４）ＩＣＤ"
ICD_REVISION = "2024"  # the code tables in force for the 令和7年度 survey (診断群分類_DPC_電子点数表_20250520.xlsx)

# x of the ○ glyph in each column (pt, pdftotext -bbox); a ○ elsewhere is an error
UNSPECIFIED_X = 521.76
OTHER_X = 549.72
_X_TOLERANCE = 3.0
_CODE_X = (225.0, 260.0)  # ICDコード column
_TITLE_X = (260.0, 510.0)  # 留意すべきICD分類名称 column
_CATEGORY_X_MAX = 225.0  # 中分類名称等 column
_HEADING = "ICDコード"  # the column heading, printed on p157 only: rows start below it (from the top elsewhere)

ROW_COLUMNS = ("page", "row", "y_pt", "category", "listed_code", "title", "unspecified_x", "other_x")
SEED_COLUMNS = (
    "icd10_code",
    "listed_code",
    "title",
    "category",
    "is_unspecified",
    "is_other_caution",
    "in_icd_sheet",
    "source_page",
    "source_row",
)


@dataclass(frozen=True)
class PrintedRow:
    page: int
    row: int
    y_pt: str
    category: str
    listed_code: str
    title: str
    unspecified_x: str
    other_x: str

    @property
    def is_unspecified(self) -> bool:
        return self.unspecified_x != ""

    @property
    def is_other_caution(self) -> bool:
        return self.other_x != ""


# ---------------------------------------------------------------------------------------------------------------
# 1. the PDF → the committed extraction (generator only)

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>')


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&quot;", '"')


def parse_bbox_page(page: int, html: str) -> list[PrintedRow]:
    """The printed rows of one page of ``pdftotext -bbox`` output."""
    words = [(float(x), float(y), _unescape(w)) for x, y, w in _WORD.findall(html)]
    heading = [y for x, y, w in words if w == _HEADING and _CODE_X[0] < x < _CODE_X[1] + 20]
    top = max(heading) + 5.0 if heading else 0.0
    codes = sorted((y, w) for x, y, w in words if _CODE_X[0] < x < _CODE_X[1] and y > top and w != _HEADING)
    rows: list[PrintedRow] = []
    used_marks: set[tuple[float, float]] = set()
    previous_category = ""
    for n, (y, code) in enumerate(codes, start=1):
        same = sorted((x, w, yy) for x, yy, w in words if abs(yy - y) < 3.0)
        category = " ".join(w for x, w, _ in same if x < _CATEGORY_X_MAX)
        title = " ".join(w for x, w, _ in same if _TITLE_X[0] < x < _TITLE_X[1])
        marks = [(x, yy) for x, w, yy in same if w == "○"]
        unspecified = other = ""
        for x, yy in marks:
            if abs(x - UNSPECIFIED_X) < _X_TOLERANCE:
                unspecified = f"{x:.2f}"
            elif abs(x - OTHER_X) < _X_TOLERANCE:
                other = f"{x:.2f}"
            else:
                raise ValueError(f"p{page}: {code}: a ○ at x={x} is in neither column")
            used_marks.add((x, yy))
        if not title:
            raise ValueError(f"p{page}: {code}: no title")
        # a few rows print no 中分類 of their own (the cell spans rows): they belong to the row above's
        category = category or previous_category
        previous_category = category
        rows.append(PrintedRow(page, n, f"{y:.2f}", category, code, title, unspecified, other))
    stray = [(x, y) for x, y, w in words if w == "○" and y > top and (x, y) not in used_marks]
    if stray:
        raise ValueError(f"p{page}: ○ outside every row: {stray[:3]}")
    return rows


def extract_pdf(pdf: Path) -> list[PrintedRow]:
    """Every printed row of p157–p180, read with ``pdftotext -bbox`` (poppler-utils)."""
    rows: list[PrintedRow] = []
    for page in range(FIRST_PAGE, LAST_PAGE + 1):
        html = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        page_rows = parse_bbox_page(page, html)
        if not page_rows:
            raise ValueError(f"p{page}: no rows")
        rows += page_rows
    return rows


def rows_text(rows: Sequence[PrintedRow]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ROW_COLUMNS)
    for r in rows:
        writer.writerow([r.page, r.row, r.y_pt, r.category, r.listed_code, r.title, r.unspecified_x, r.other_x])
    return buf.getvalue()


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_text(pdf_name: str, pdf_sha256: str, rows_sha256: str, count: int) -> str:
    return "\n".join(
        [
            "# caution_icd_rows.csv — generated, do not edit",
            "",
            "The 留意すべきICDコード list of 令和7年度「DPCの評価・検証等に係る調査」実施説明資料, p157–p180, one row per",
            "printed row, read by `python -m dpc.caution_icd --extract PDF` (dpc/caution_icd.py) with `pdftotext -bbox`",
            "(poppler-utils). Columns: page (printed page), row (its row on the page), y_pt (the row's y, pt), category",
            "(中分類名称等), listed_code (ICDコード as printed), title (留意すべきICD分類名称), unspecified_x / other_x (x of",
            f"the ○ in the 部位不明・詳細不明コード column ({UNSPECIFIED_X}) / その他留意が必要なICDコード column ({OTHER_X});",
            "empty = no ○).",
            "",
            "| file | sha256 |",
            "|---|---|",
            f"| `{pdf_name}` (the specification, not in the repository) | `{pdf_sha256}` |",
            f"| `caution_icd_rows.csv` ({count} rows) | `{rows_sha256}` |",
            "",
        ]
    )


def recorded_rows_sha256(source: str) -> str:
    match = re.search(r"\| `caution_icd_rows\.csv` \(\d+ rows\) \| `([0-9a-f]{64})` \|", source)
    if not match:
        raise ValueError(f"{ROWS_SOURCE.name}: no sha256 of caution_icd_rows.csv")
    return match.group(1)


# ---------------------------------------------------------------------------------------------------------------
# 2. the committed extraction → the seed


def load_rows(path: Path = ROWS_CSV) -> list[PrintedRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            PrintedRow(
                int(r["page"]),
                int(r["row"]),
                r["y_pt"],
                r["category"],
                r["listed_code"],
                r["title"],
                r["unspecified_x"],
                r["other_x"],
            )
            for r in csv.DictReader(fh)
        ]


def icd_sheet_codes(root: Path | None = None) -> set[str]:
    """The ICD codes of sheet ４）ＩＣＤ of the code tables of :data:`ICD_REVISION`. A code the sheet prints with
    ``$`` (``A53$``: the code with any further character) stands for itself and its codes one character longer;
    in chapter M, whose codes carry a 5th character (部位コード), also those two characters longer (``M10$`` →
    ``M100`` … ``M1099``)."""
    revision = next(r for r in masters.revisions() if r.id == ICD_REVISION)
    path = (root or masters.masters_dir()) / revision.file
    codes: set[str] = set()
    for n, row in enumerate(masters._sheet_rows_stdlib(path, ICD_SHEET)):
        if n < 2 or len(row) < 4 or not row[3]:
            continue
        code = unicodedata.normalize("NFKC", str(row[3])).strip()
        if code.endswith("$"):
            stem = code[:-1]
            longer = [stem + d for d in "0123456789"]
            if stem.startswith("M") and len(stem) == 3:
                longer += [c + d for c in longer for d in "0123456789"]
            codes.update(longer)
        codes.add(code.rstrip("$"))
    return codes


_RANGE = re.compile(r"^([A-Z]\d{2,4})-([A-Z]\d{2,4})$")
_DIGIT_ADDED = re.compile(r"^([A-Z]\d{2})-(\d)$")
_VARIANT = re.compile(r"^([A-Z]\d{3})[a-c]$")


def _in_range(code: str, lo: str, hi: str) -> bool:
    return code[0] == lo[0] and code >= lo and code[: len(hi)] <= hi


_RANGE_RULES: dict[str, Callable[[str], bool]] = {
    "この範囲の全て": lambda c: True,
    "この範囲の「9」となるもの": lambda c: len(c) >= 4 and c[3] == "9",
    "この範囲の部位コード「9」となるもの": lambda c: len(c) == 5 and c[4] == "9",
    "この範囲の部位コード「3」「6」となるもの": lambda c: len(c) == 5 and c[4] in "36",
}


def _codes_between(lo: str, hi: str) -> list[str]:
    """Every 4- and 5-character code of the range's letter between lo and hi (used only when the sheet has none)."""
    letter = lo[0]
    out = []
    for category in range(int(lo[1:3]), int(hi[1:3]) + 1):
        for d4 in "0123456789":
            stem = f"{letter}{category:02d}{d4}"
            out += [c for c in [stem, *(stem + d5 for d5 in "0123456789")] if _in_range(c, lo, hi)]
    return out


def expand(row: PrintedRow, sheet: set[str], ordered: Sequence[str] = ()) -> list[tuple[str, bool]]:
    """The ICD codes one printed row stands for, each with whether the ICD sheet has it (``ordered``: the sheet's
    codes sorted, when the caller expands many rows)."""
    listed = unicodedata.normalize("NFKC", row.listed_code).strip()
    match = _RANGE.match(listed)
    if match:
        lo, hi = match.groups()
        title = unicodedata.normalize("NFKC", row.title)
        if title not in _RANGE_RULES:
            raise ValueError(f"p{row.page}: {row.listed_code}: a range with title {row.title!r}")
        rule = _RANGE_RULES[title]
        ordered = ordered or sorted(sheet)
        chosen = []
        for code in ordered[bisect.bisect_left(ordered, lo) :]:
            if not _in_range(code, lo, hi):
                break
            if rule(code):
                chosen.append(code)
        if chosen:
            return [(c, True) for c in chosen]
        # the sheet has none of them (M840-M848 部位コード 9: the code tables list no such code): the codes the
        # rule names, built from the range itself, flagged as not in the sheet
        built = [c for c in _codes_between(lo, hi) if rule(c)]
        if not built:
            raise ValueError(f"p{row.page}: {row.listed_code}: the range names no code")
        return [(c, False) for c in built]
    added = _DIGIT_ADDED.match(listed)
    if added:
        code = added.group(1) + added.group(2)
    elif _VARIANT.match(listed):
        code = listed[:-1]
    else:
        code = listed
    if not re.fullmatch(r"[A-Z]\d{2}[0-9A-Z]{0,2}", code):
        raise ValueError(f"p{row.page}: unexpected code {row.listed_code!r}")
    return [(code, code in sheet)]


def seed_text(rows: Sequence[PrintedRow], sheet: set[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    seen: set[tuple[str, int, int]] = set()
    ordered = sorted(sheet)
    for r in rows:
        for code, in_sheet in expand(r, sheet, ordered):
            key = (code, r.page, r.row)
            if key in seen:
                continue
            seen.add(key)
            writer.writerow(
                [
                    code,
                    r.listed_code,
                    r.title,
                    r.category,
                    str(r.is_unspecified).lower(),
                    str(r.is_other_caution).lower(),
                    str(in_sheet).lower(),
                    r.page,
                    r.row,
                ]
            )
    return buf.getvalue()


def check_rows_checksum() -> None:
    recorded = recorded_rows_sha256(ROWS_SOURCE.read_text(encoding="utf-8"))
    actual = _sha256_bytes(ROWS_CSV.read_bytes())
    if recorded != actual:
        raise ValueError(f"{ROWS_CSV.name}: sha256 {actual} differs from {ROWS_SOURCE.name} ({recorded})")


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="python -m dpc.caution_icd", description=__doc__.split("\n\n")[0])
    ap.add_argument("--extract", metavar="PDF", type=Path, help="re-read p157–p180 of the specification PDF")
    ap.add_argument("--check", action="store_true", help="fail if the seed or the extraction's checksum is stale")
    args = ap.parse_args(argv)
    if args.extract:
        rows = extract_pdf(args.extract)
        text = rows_text(rows)
        ROWS_CSV.write_text(text, encoding="utf-8")
        pdf_sha = _sha256_bytes(args.extract.read_bytes())
        ROWS_SOURCE.write_text(
            source_text(args.extract.name, pdf_sha, _sha256_bytes(text.encode("utf-8")), len(rows)), encoding="utf-8"
        )
        print(f"wrote {ROWS_CSV} ({len(rows)} rows) and {ROWS_SOURCE}")
    check_rows_checksum()
    text = seed_text(load_rows(), icd_sheet_codes())
    return write_or_check({SEED: text}, ["--check"] if args.check else [], "python -m dpc.caution_icd")


if __name__ == "__main__":
    sys.exit(_main())
