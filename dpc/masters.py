"""The ministry's DPC code tables (診断群分類（DPC）電子点数表), vendored in ``reference/masters/``.

Four editions of the workbook are kept as published (see ``reference/masters/SOURCE.md``; checksums in
``SHA256SUMS``). Reading sheet ``11）診断群分類点数表`` of the four workbooks takes about 5 s with openpyxl, so
:func:`dpc_codes` reads a compact extract, ``reference/masters/dpc_codes.csv``, generated from the workbooks by

    python -m dpc.masters --extract

(``--check`` regenerates it in memory and fails if the committed file differs; ``--verify`` checks the
workbooks against SHA256SUMS). The extract is read with the standard library only. The generator reads the
workbooks with openpyxl (``read_only=True``) when it is installed and otherwise with a small reader built on
``zipfile`` + ``xml.etree`` (:func:`_sheet_rows_stdlib`); both give the same rows (tested).

Revisions do not always start on 1 April: the 令和6年度 table took effect on 2024-06-01. Match a stay with
:func:`revision_for` on the date that decides its billing, not with a fiscal year.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import os
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

from dpc.paths import PROJECT_DIR

SHEET = "11）診断群分類点数表"
FLAG_SHEET = "12）変換テーブル"  # 包括フラグ per code (branch values → code; NOT a mapping between revisions)
EXTRACT = "dpc_codes.csv"
EXTRACT_SOURCE = "dpc_codes.SOURCE.md"
CHECKSUMS = "SHA256SUMS"


def masters_dir() -> Path:
    """``reference/masters/`` of the checkout (override with ``DPC_MASTERS_DIR``)."""
    return Path(os.environ.get("DPC_MASTERS_DIR", PROJECT_DIR / "reference" / "masters"))


@dataclass(frozen=True)
class Revision:
    id: str  # the fiscal year of the 診療報酬改定, e.g. "2024"
    name_ja: str
    file: str  # workbook in reference/masters/
    valid_from: date  # 有効期間 開始日 of every code in the sheet
    valid_to: date | None  # the day before the next revision's valid_from; None for the newest


# (id, name, file, valid_from); valid_from equals the sheet's 開始日 column (checked by the extractor).
_REVISIONS = (
    ("2018", "平成30年度", "診断群分類_DPC_電子点数表_20190522.xlsx", date(2018, 4, 1)),
    ("2020", "令和2年度", "診断群分類_DPC_電子点数表_20211124.xlsx", date(2020, 4, 1)),
    ("2022", "令和4年度", "診断群分類_DPC_電子点数表_20231121.xlsx", date(2022, 4, 1)),
    ("2024", "令和6年度", "診断群分類_DPC_電子点数表_20250520.xlsx", date(2024, 6, 1)),
)


def revisions() -> list[Revision]:
    """The four vendored revisions, oldest first."""
    out = []
    for i, (rid, name, file, start) in enumerate(_REVISIONS):
        nxt = _REVISIONS[i + 1][3] if i + 1 < len(_REVISIONS) else None
        out.append(Revision(rid, name, file, start, nxt - timedelta(days=1) if nxt else None))
    return out


def revision_for(day: date | str) -> Revision:
    """The revision in force on ``day`` (a date or ``yyyymmdd``); LookupError before 2018-04-01."""
    if isinstance(day, str):
        if not re.fullmatch(r"\d{8}", day):
            raise ValueError(f"expected yyyymmdd, got {day!r}")
        day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
    found = [r for r in revisions() if r.valid_from <= day]
    if not found:
        raise LookupError(f"no vendored DPC table is valid on {day.isoformat()} (the oldest starts 2018-04-01)")
    return found[-1]


@dataclass(frozen=True)
class DpcCode:
    """One row of ``11）診断群分類点数表``. Days and points are None where the cell is blank (出来高 codes)
    or ``-`` (points for 入院期間Ⅱ when 入院日Ⅰ equals 入院日Ⅱ, i.e. there is no period Ⅱ)."""

    revision: str
    code: str  # 14 characters, e.g. 010010xx9900xx
    name: str  # 傷病名 (the DPC6 disease name)
    surgery: str  # 手術名
    procedure_1: str  # 手術・処置等１
    procedure_2: str  # 手術・処置等２
    comorbidity: str  # 定義副傷病
    severity: str  # 重症度等
    days_i: int | None  # 入院日Ⅰ / Ⅱ / Ⅲ: last day of each billing period
    days_ii: int | None
    days_iii: int | None
    points_i: int | None  # 点数 for 入院期間Ⅰ / Ⅱ / Ⅲ: points per day before the hospital coefficient
    points_ii: int | None
    points_iii: int | None
    change_flag: str  # 変更区分
    valid_from: date  # 有効期間 開始日
    valid_to: date | None  # 有効期間 終了日; None for 99999999 (the sheet's "until further notice")
    bundled: bool = True  # 包括フラグ of sheet 12）変換テーブル: 1 包括対象, 0 包括対象外 (出来高算定)
    mdc: str = field(init=False)  # first 2 characters
    dpc6: str = field(init=False)  # first 6 characters

    def __post_init__(self) -> None:
        object.__setattr__(self, "mdc", self.code[:2])
        object.__setattr__(self, "dpc6", self.code[:6])

    @property
    def fee_for_service(self) -> bool:
        """True for the 出来高 codes (包括フラグ 0), which have no periods or points."""
        return not self.bundled


_CSV_COLUMNS = (
    "revision",
    "code",
    "name",
    "surgery",
    "procedure_1",
    "procedure_2",
    "comorbidity",
    "severity",
    "days_i",
    "days_ii",
    "days_iii",
    "points_i",
    "points_ii",
    "points_iii",
    "change_flag",
    "valid_from",
    "valid_to",
    "bundled",
)
_INT_COLUMNS = ("days_i", "days_ii", "days_iii", "points_i", "points_ii", "points_iii")


def _opt_int(text: str) -> int | None:
    return None if text in ("", "-") else int(text)


def _iso(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@functools.cache
def _load(path: str) -> tuple[DpcCode, ...]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != _CSV_COLUMNS:
            raise ValueError(f"{path}: unexpected columns {reader.fieldnames}")
        out = []
        for row in reader:
            start = _iso(row["valid_from"])
            assert start is not None
            out.append(
                DpcCode(
                    revision=row["revision"],
                    code=row["code"],
                    name=row["name"],
                    surgery=row["surgery"],
                    procedure_1=row["procedure_1"],
                    procedure_2=row["procedure_2"],
                    comorbidity=row["comorbidity"],
                    severity=row["severity"],
                    **{c: _opt_int(row[c]) for c in _INT_COLUMNS},
                    change_flag=row["change_flag"],
                    valid_from=start,
                    valid_to=_iso(row["valid_to"]),
                    bundled=row["bundled"] == "1",
                )
            )
    return tuple(out)


def dpc_codes(revision: str | None = None) -> list[DpcCode]:
    """The DPC codes of one revision (``"2018"``, ``"2020"``, ``"2022"``, ``"2024"``), or of all four when None,
    in sheet order. Read from ``reference/masters/dpc_codes.csv`` (cached)."""
    known = {r.id for r in revisions()}
    if revision is not None and revision not in known:
        raise ValueError(f"unknown revision {revision!r}; known: {sorted(known)}")
    rows = _load(str(masters_dir() / EXTRACT))
    return [r for r in rows if revision is None or r.revision == revision]


# ---------------------------------------------------------------------------------------------------------------
# checksums


class ChecksumError(RuntimeError):
    """A vendored file is missing or does not match SHA256SUMS."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_checksums(root: Path | None = None) -> dict[str, str]:
    """``{file name: sha256}`` from ``SHA256SUMS`` (sha256sum's format: ``HASH  NAME``)."""
    root = root or masters_dir()
    out = {}
    for line in (root / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            out[name.lstrip("*")] = digest.lower()
    return out


def verify_checksums(root: Path | None = None) -> list[str]:
    """Check every file listed in SHA256SUMS (and that every revision's workbook is listed); return the names
    checked. Raises ChecksumError on a missing, unlisted or changed file."""
    root = root or masters_dir()
    sums = read_checksums(root)
    unlisted = [r.file for r in revisions() if r.file not in sums]
    if unlisted:
        raise ChecksumError(f"{root / CHECKSUMS} does not list {unlisted}")
    bad = []
    for name, expected in sums.items():
        path = root / name
        if not path.is_file():
            bad.append(f"{name}: missing")
        elif (actual := _sha256(path)) != expected:
            bad.append(f"{name}: sha256 {actual} != {expected}")
    if bad:
        raise ChecksumError("; ".join(bad))
    return sorted(sums)


# ---------------------------------------------------------------------------------------------------------------
# reading the workbooks (generator only)

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _norm(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _number(text: str) -> int | float:
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def _col_index(ref: str) -> int:
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + (ord(ch.upper()) - 64)
    return n - 1


def _sheet_rows_stdlib(path: Path, sheet: str) -> Iterator[tuple[object, ...]]:
    """Cell values of one sheet, like openpyxl's ``iter_rows(values_only=True)`` for this kind of workbook
    (shared strings without their phonetic runs, numbers as int/float, blank cells as None)."""
    with zipfile.ZipFile(path) as zf:
        strings: list[str] = []
        if "xl/sharedStrings.xml" in zf.namelist():
            for si in ET.fromstring(zf.read("xl/sharedStrings.xml")).iter(f"{_NS}si"):
                parts = [si.findtext(f"{_NS}t") or ""] + [r.findtext(f"{_NS}t") or "" for r in si.iter(f"{_NS}r")]
                strings.append("".join(parts))
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rid = next((s.get(_DOC_REL) for s in book.iter(f"{_NS}sheet") if _norm(s.get("name")) == _norm(sheet)), None)
        if rid is None:
            raise ValueError(f"{path.name}: no sheet {sheet!r}")
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.iter(f"{_RELS_NS}Relationship") if r.get("Id") == rid)
        if target is None:
            raise ValueError(f"{path.name}: the relationship of sheet {sheet!r} has no Target")
        member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        root = ET.fromstring(zf.read(member))
    expected_row = 1
    for row in root.iter(f"{_NS}row"):
        number = int(row.get("r", expected_row))
        while expected_row < number:  # openpyxl yields empty rows in between
            yield ()
            expected_row += 1
        cells: dict[int, object] = {}
        for c in row.iter(f"{_NS}c"):
            kind, v = c.get("t", "n"), c.findtext(f"{_NS}v")
            if kind == "inlineStr":
                value: object = "".join(t.text or "" for t in c.iter(f"{_NS}t"))
            elif v is None:
                value = None
            elif kind == "s":
                value = strings[int(v)]
            elif kind in ("str", "e"):
                value = v
            elif kind == "b":
                value = v == "1"
            else:
                value = _number(v)
            cells[_col_index(c.get("r", ""))] = value
        yield tuple(cells.get(i) for i in range(max(cells) + 1)) if cells else ()
        expected_row = number + 1


def _sheet_rows_openpyxl(path: Path, sheet: str) -> Iterator[tuple[object, ...]]:
    import openpyxl  # not a dependency of the package: only the generator may use it

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        name = next((n for n in wb.sheetnames if _norm(n) == _norm(sheet)), None)
        if name is None:
            raise ValueError(f"{path.name}: no sheet {sheet!r}")
        yield from wb[name].iter_rows(values_only=True)
    finally:
        wb.close()


def _reader(name: str) -> Callable[[Path, str], Iterator[tuple[object, ...]]]:
    if name == "stdlib":
        return _sheet_rows_stdlib
    if name == "openpyxl":
        return _sheet_rows_openpyxl
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return _sheet_rows_stdlib
    return _sheet_rows_openpyxl


# columns B.. of the sheet (0-based index in the row tuple) and the header labels they must carry (NFKC, no spaces)
_HEADER_ROW3 = {1: "番号", 2: "診断群分類番号", 3: "傷病名", 4: "手術名", 5: "手術・処置等1", 6: "手術・処置等2",
                7: "定義副傷病", 8: "重症度等", 9: "入院日(日)", 12: "点数(点)", 15: "変更区分", 16: "有効期間"}  # fmt: skip
_HEADER_ROW4 = {
    9: "I",
    10: "II",
    11: "III",
    12: "入院期間I",
    13: "入院期間II",
    14: "入院期間III",
    16: "開始日",
    17: "終了日",
}
_CODE = re.compile(r"^\d{2}[0-9x]{4}[0-9A-Zx]{8}$")  # MDC digits; DPC6 may hold x (01021x); branches A–E


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"unexpected non-integer number {value!r}")
        value = int(value)
    return str(value)


def _yyyymmdd(text: str) -> str:
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(f"bad date {text!r}")
    return "" if text == "99999999" else date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


_FLAG_HEADER = {0: "電算用通し番号", 1: "診断群分類番号", 2: "包括フラグ(包括対象は1、包括対象外は0)"}


def bundled_flags(revision: Revision, root: Path | None = None, reader: str = "auto") -> dict[str, str]:
    """``{code: "1" | "0"}``: the 包括フラグ of each code in sheet ``12）変換テーブル``. That sheet maps the values of
    the tree's branches (手術, 手術・処置等１/２, 定義副傷病, 重症度等 …) to a code, one row per combination, so a
    code appears on one or more rows; every row of a code must carry the same flag."""
    root = root or masters_dir()
    rows = iter(_reader(reader)(root / revision.file, FLAG_SHEET))
    where = f"{revision.file} / {FLAG_SHEET}"
    header = next(rows)
    got = {i: _norm(_cell_text(header[i]) if i < len(header) else "") for i in _FLAG_HEADER}
    if got != {i: _norm(v) for i, v in _FLAG_HEADER.items()}:
        raise ValueError(f"{where}: header {got}: has the layout changed?")
    next(rows)  # second header row
    flags: dict[str, str] = {}
    for n, row in enumerate(rows, start=3):
        if len(row) < 3 or row[1] in (None, ""):
            continue
        code, flag = _cell_text(row[1]), _cell_text(row[2])
        if flag not in ("0", "1"):
            raise ValueError(f"{where}: row {n}: 包括フラグ {flag!r}")
        if flags.setdefault(code, flag) != flag:
            raise ValueError(f"{where}: row {n}: {code} has both 包括フラグ 0 and 1")
    return flags


def extract_rows(revision: Revision, root: Path | None = None, reader: str = "auto") -> list[list[str]]:
    """The CSV rows (without header) of one revision, read from its workbook: sheet 11 and the 包括フラグ of
    sheet 12, which must agree with sheet 11 (flag 0 exactly where the days and points are blank)."""
    root = root or masters_dir()
    flags = bundled_flags(revision, root, reader)
    rows = [tuple(r) + (None,) * (19 - len(r)) for r in _reader(reader)(root / revision.file, SHEET)]
    where = f"{revision.file} / {SHEET}"
    for idx, labels in ((2, _HEADER_ROW3), (3, _HEADER_ROW4)):
        got = {i: _norm(_cell_text(rows[idx][i])) for i in labels}
        want = {i: _norm(v) for i, v in labels.items()}
        if got != want:
            raise ValueError(f"{where}: header row {idx + 1} is {got}, expected {want}: has the layout changed?")
    out: list[list[str]] = []
    for n, row in enumerate(rows[4:], start=5):
        if row[2] in (None, ""):
            if any(v not in (None, "") for v in row):
                raise ValueError(f"{where}: row {n} has no DPC code but other cells")
            continue
        cells = [_cell_text(v) for v in row[:19]]
        code = cells[2]
        if not _CODE.match(code):
            raise ValueError(f"{where}: row {n}: {code!r} is not a 14-character DPC code")
        if cells[1] != str(len(out) + 1):
            raise ValueError(f"{where}: row {n}: 番号 {cells[1]!r}, expected {len(out) + 1}")
        for i in range(9, 15):
            if cells[i] not in ("", "-") and not re.fullmatch(r"\d+", cells[i]):
                raise ValueError(f"{where}: row {n}: column {i + 1} {cells[i]!r} is not a number, blank or '-'")
        start = _yyyymmdd(cells[16])
        if start != revision.valid_from.isoformat():
            raise ValueError(f"{where}: row {n}: 開始日 {cells[16]} differs from the revision's {revision.valid_from}")
        flag = flags.pop(code, None)
        if flag is None:
            raise ValueError(f"{where}: row {n}: {code} is not in {FLAG_SHEET}")
        if (flag == "0") != (cells[9] == "" and cells[12] == ""):
            raise ValueError(f"{where}: row {n}: {code}: 包括フラグ {flag} but days {cells[9]!r}, points {cells[12]!r}")
        out.append([revision.id, *cells[2:9], *cells[9:15], cells[15], start, _yyyymmdd(cells[17]), flag])
    if flags:
        raise ValueError(f"{revision.file}: {FLAG_SHEET} has codes sheet 11 lacks: {sorted(flags)[:5]}")
    return out


def extract(root: Path | None = None, reader: str = "auto") -> str:
    """The text of ``dpc_codes.csv``: every revision's codes (UTF-8, LF, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    for rev in revisions():
        rows = extract_rows(rev, root, reader)
        codes = [r[1] for r in rows]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{rev.file}: duplicate DPC codes")
        writer.writerows(rows)
    return buf.getvalue()


def extract_source(root: Path | None = None) -> str:
    """The text of ``dpc_codes.SOURCE.md``, recording the generator and the workbooks' sha256."""
    root = root or masters_dir()
    sums = read_checksums(root)
    lines = [
        "# dpc_codes.csv — generated, do not edit",
        "",
        "Generated by `python -m dpc.masters --extract` (dpc/masters.py) from sheet `11）診断群分類点数表` of the",
        "four workbooks below; `python -m dpc.masters --check` regenerates it and fails if this file or the CSV",
        "differ. One row per DPC code and revision, in sheet order. Columns: revision (fiscal year of the",
        "revision), code (14 characters), name (傷病名), surgery (手術名), procedure_1 / procedure_2",
        "(手術・処置等１/２), comorbidity (定義副傷病), severity (重症度等), days_i..iii (入院日Ⅰ–Ⅲ), points_i..iii",
        "(点数 for 入院期間Ⅰ–Ⅲ; `-` as in the sheet where there is no period Ⅱ), change_flag (変更区分),",
        "valid_from / valid_to (有効期間, ISO dates; valid_to empty for 99999999), bundled (包括フラグ of sheet",
        "`12）変換テーブル`: 1 包括対象, 0 包括対象外 = 出来高算定; the generator checks that 0 is exactly where",
        "sheet 11 leaves days and points blank).",
        "",
        "| revision | workbook | sha256 |",
        "|---|---|---|",
    ]
    lines += [f"| {r.id} | `{r.file}` | `{sums[r.file]}` |" for r in revisions()]
    return "\n".join(lines) + "\n"


def _main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dpc.masters", description=__doc__.split("\n\n")[0])
    ap.add_argument("--extract", action="store_true", help=f"(re)write {EXTRACT} and {EXTRACT_SOURCE}")
    ap.add_argument("--check", action="store_true", help=f"fail if {EXTRACT} / {EXTRACT_SOURCE} are out of date")
    ap.add_argument("--verify", action="store_true", help="check the workbooks against SHA256SUMS")
    ap.add_argument("--reader", choices=("auto", "openpyxl", "stdlib"), default="auto")
    args = ap.parse_args(argv)
    root = masters_dir()
    if args.verify or args.extract or args.check:
        print(f"checksums OK: {len(verify_checksums(root))} files")
    if args.extract or args.check:
        texts = {EXTRACT: extract(root, args.reader), EXTRACT_SOURCE: extract_source(root)}
        for name, text in texts.items():
            path = root / name
            if args.extract:
                path.write_bytes(text.encode("utf-8"))
                print(f"wrote {path}")
            elif not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                print(f"{path} is out of date: run python -m dpc.masters --extract", file=sys.stderr)
                return 1
        if args.check:
            print(f"{EXTRACT} is up to date")
        return 0
    for rev in revisions():
        n = len(dpc_codes(rev.id))
        print(f"{rev.id} {rev.name_ja} valid {rev.valid_from} – {rev.valid_to or ''}: {n} codes ({rev.file})")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
