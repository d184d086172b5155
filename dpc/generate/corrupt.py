"""Break a generated delivery the way real deliveries break (``dpc generate --corrupt KIND``).

Applied after generation to one delivery folder (``raw/yyyymm=…/facility=…/``). Each fault says what it did
(:class:`Corruption`: file, line, column) and what the pipeline must answer (``outcome`` and ``reason_codes``),
so the fault tests can assert the exact error. Faults come in three families:

- **content faults** — the hospital's export is wrong, and its manifest describes the wrong file faithfully, so
  the manifest IS re-written: one bad row is quarantined with its reason, the rest of the delivery loads
  (``undecodable``, ``extra-column-row``, ``not-numeric``, ``invalid-date``, ``discharge-before-admission``,
  ``service-date-outside-month``, ``unknown-code``, ``duplicate-rows``, ``mixed-encoding``), or the whole file
  is unreadable and the delivery is rejected by the normaliser (``extra-column-file``: a column added by a newer
  survey year, in the title row and every row).
- **upload faults** — the files do not match a correct manifest, which is NOT re-written, and the manifest check
  rejects the delivery (``missing-file``, ``extra-file``, ``checksum-mismatch``, ``row-count-mismatch``,
  ``truncated``).
- **re-deliveries** — ``same-month-twice`` (identical bytes and manifest: nothing changes), ``corrected-month``
  (one stay removed from every file, manifest re-written: the delivery replaces its previous version) and
  ``utf8`` (every file re-encoded as UTF-8 — accepted: the same rows load).

Deterministic: the line a fault hits is chosen from the fault's name, never at random, and faults applied to the
same delivery together (``corrupt_delivery(dir, [a, b])``) never hit the same line.

Units: the reader quarantines a whole 様式1 form or EF act when a column of its key is faulty
(docs/decisions/0025). A row fault in such a column reports the other lines of the unit it takes down in
``unit_lines`` (reason ``form_key_fault`` / ``act_key_fault``); ``lines`` are the lines the fault itself changed.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dpc.layouts import LAYOUTS, Layout, kind_for_filename
from dpc.manifest import MANIFEST_NAME, count_data_rows, delivery_from_path, has_title_row, write_manifest

__all__ = ["FAULTS", "Corruption", "Fault", "corrupt_delivery"]

ROW, FILE, UPLOAD, REDELIVERY = "row", "file", "upload", "redelivery"


@dataclass(frozen=True)
class Fault:
    family: str  # row | file | upload | redelivery
    default_kind: str | None  # file kind the fault hits by default (None: the whole delivery)
    outcome: str  # quarantined | rejected | unchanged | loaded
    reason_codes: tuple[str, ...]
    rewrites_manifest: bool
    doc: str


FAULTS: dict[str, Fault] = {
    "undecodable": Fault(
        ROW, "EFn", "quarantined", ("undecodable",), True, "bytes that are valid in no encoding in one row's text"
    ),
    "extra-column-row": Fault(
        ROW, "EFn", "quarantined", ("wrong_column_count",), True, "one row has an extra tab-separated column"
    ),
    "not-numeric": Fault(
        ROW, "EFn", "quarantined", ("not_numeric",), True, "a letter O instead of a zero in an integer column"
    ),
    "invalid-date": Fault(
        ROW,
        "EFn",
        "quarantined",
        ("invalid_date",),
        True,
        "day 32 in a date column (実施年月日, or 入院年月日 in 様式1)",
    ),
    "discharge-before-admission": Fault(
        ROW, "D", "quarantined", ("discharge_before_admission",), True, "退院年月日 one day before 入院年月日"
    ),
    "service-date-outside-month": Fault(
        ROW,
        "EFn",
        "quarantined",
        ("service_date_outside_month",),
        True,
        "実施年月日 on the first day of the next month",
    ),
    "unknown-code": Fault(ROW, "EFn", "quarantined", ("unknown_code",), True, "データ区分 99 (not a data category)"),
    "duplicate-rows": Fault(
        ROW, "D", "quarantined", ("duplicate_row",), True, "rows repeated exactly at the end of the file"
    ),
    "mixed-encoding": Fault(
        ROW, "EFn", "quarantined", ("undecodable",), True, "one Japanese row encoded as UTF-8 inside a cp932 file"
    ),
    "extra-column-file": Fault(
        FILE,
        "EFn",
        "rejected",
        ("file_rejected",),
        True,
        "a newer survey year's extra column, in the title row and every row",
    ),
    "missing-file": Fault(
        UPLOAD, "H", "rejected", ("missing_file",), False, "a file listed in the manifest was not uploaded"
    ),
    "extra-file": Fault(
        UPLOAD,
        "EFn",
        "rejected",
        ("extra_file",),
        False,
        "a second copy of a file uploaded under another name, not in the manifest",
    ),
    "checksum-mismatch": Fault(
        UPLOAD,
        "EFn",
        "rejected",
        ("checksum_mismatch",),
        False,
        "one digit changed after the manifest was written (same size, same rows)",
    ),
    "row-count-mismatch": Fault(
        UPLOAD,
        "D",
        "rejected",
        ("row_count_mismatch",),
        False,
        "the manifest counts one data row more than the file has (title row counted)",
    ),
    "truncated": Fault(
        UPLOAD,
        "EFn",
        "rejected",
        ("size_mismatch", "checksum_mismatch", "row_count_mismatch"),
        False,
        "the upload stopped in the middle of a line",
    ),
    "same-month-twice": Fault(
        REDELIVERY, None, "unchanged", (), True, "the same delivery sent again: identical files, identical manifest"
    ),
    "corrected-month": Fault(
        REDELIVERY,
        None,
        "loaded",
        (),
        True,
        "a corrected delivery: one stay (admitted and discharged in the month) removed",
    ),
    "utf8": Fault(
        REDELIVERY, None, "loaded", (), True, "every file re-encoded as UTF-8 (accepted: UTF-8 is read like cp932)"
    ),
}


@dataclass(frozen=True)
class Corruption:
    fault: str
    file: str | None  # delivered file name (None: the whole delivery)
    line: int | None  # physical line, title row = 1 (None: not a single line)
    column: str | None
    outcome: str
    reason_codes: tuple[str, ...]
    manifest_rewritten: bool
    detail: str
    lines: tuple[int, ...] = ()  # every line the fault touched (duplicates: the appended lines)
    # other lines of the 様式1 form / EF act whose key the fault broke: quarantined with unit_reason (decision 0025)
    unit_lines: tuple[int, ...] = ()
    unit_reason: str | None = None
    removed: dict[str, tuple[int, ...]] = field(default_factory=dict)  # corrected-month: lines removed per file
    stay: tuple[str, str] | None = None  # corrected-month: (データ識別番号, 入院年月日) of the removed stay

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# a delivered file as lines


@dataclass
class _File:
    path: Path
    kind: str
    layout: Layout
    lines: list[bytes]
    newline: bytes
    encoding: str
    header: bool

    @classmethod
    def read(cls, path: Path) -> _File:
        kind = kind_for_filename(path.name)
        if kind is None:
            raise ValueError(f"{path.name}: not a delivered DPC file")
        data = path.read_bytes()
        newline = b"\r\n" if b"\r\n" in data else b"\n"
        body = data[: -len(newline)] if data.endswith(newline) else data
        lines = body.split(newline) if body else []
        encoding = "utf-8" if _is_utf8(data) else "cp932"
        header = bool(lines) and has_title_row(lines[0])
        return cls(path, kind, LAYOUTS[kind], lines, newline, encoding, header)

    def write(self) -> None:
        self.path.write_bytes(self.newline.join(self.lines) + self.newline if self.lines else b"")

    @property
    def first(self) -> int:
        return 1 if self.header else 0

    @property
    def sep(self) -> str:
        return self.layout.delimiter

    def fields(self, i: int) -> list[str]:
        return self.lines[i].decode(self.encoding).split(self.sep)

    def set_fields(self, i: int, fields: list[str]) -> None:
        self.lines[i] = self.sep.join(fields).encode(self.encoding)

    def value(self, i: int, column: str) -> str:
        return self.fields(i)[self.layout.names.index(column)]


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _pick(f: _File, fault: str, taken: set[tuple[str, int]], ok: Callable[[int], bool] = lambda i: True) -> int:
    """A data line index for the fault: chosen from the fault's name, skipping lines other faults took."""
    candidates = [i for i in range(f.first, len(f.lines)) if (f.path.name, i) not in taken and ok(i)]
    if not candidates:
        raise ValueError(f"{f.path.name}: no line is suitable for the fault {fault}")
    i = candidates[zlib.crc32(fault.encode()) % len(candidates)]
    taken.add((f.path.name, i))
    return i


def _yyyymm(directory: Path) -> int:
    located = delivery_from_path(directory.as_posix())
    if not located:
        raise ValueError(f"{directory} is not a delivery folder (…/yyyymm=YYYYMM/facility=NNNNNNNNN/)")
    return located[1]


def _ymd(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def _file_of(directory: Path, kind: str) -> Path:
    for p in sorted(directory.iterdir()):
        if p.name != MANIFEST_NAME and kind_for_filename(p.name) == kind:
            return p
    raise ValueError(f"{directory} has no {kind} file")


# ---------------------------------------------------------------------------------------------
# the faults


def _row_fault(f: _File, fault: str, yyyymm: int, taken: set[tuple[str, int]], rows: int) -> Corruption:
    spec = FAULTS[fault]
    layout = f.layout
    names = layout.names
    column: str | None = None
    detail = spec.doc
    sep = f.sep.encode()
    if fault == "undecodable":
        strs = [c.name for c in layout.columns if c.type in ("str", "direct")]
        text_col = next((n for n in strs if n.endswith("name")), strs[-1])
        i = _pick(f, fault, taken)
        raw_fields = f.lines[i].split(sep)
        raw_fields[names.index(text_col)] += b"\x85\x40"  # 0x85 leads no cp932 character and is no UTF-8 lead byte
        f.lines[i] = sep.join(raw_fields)
    elif fault == "extra-column-row":
        i = _pick(f, fault, taken)
        f.lines[i] += sep + b"1"
        detail = f"{len(names) + 1} columns on one row, the {layout.kind} layout has {len(names)}"
    elif fault == "not-numeric":
        int_column = next((c.name for c in layout.columns if c.type == "int" and c.required), None)
        if int_column is None:
            raise ValueError(f"{layout.kind} has no required integer column: use --corrupt-file EFn, D, FF1 or H")
        column = int_column
        i = _pick(f, fault, taken, lambda i: "0" in f.value(i, int_column))  # noqa: B023
        fields = f.fields(i)
        fields[names.index(column)] = fields[names.index(column)].replace("0", "O", 1)
        f.set_fields(i, fields)
    elif fault == "invalid-date":
        column = layout.service_date_column or "admission_date"
        i = _pick(f, fault, taken)
        fields = f.fields(i)
        fields[names.index(column)] = f"{yyyymm}32"
        f.set_fields(i, fields)
    elif fault == "discharge-before-admission":
        if "discharge_date" not in names:
            raise ValueError(f"{layout.kind} has no 退院年月日: use --corrupt-file D, EFn or H")
        column = "discharge_date"
        i = _pick(f, fault, taken, lambda i: f.value(i, "discharge_date") != "00000000")
        fields = f.fields(i)
        admitted = _ymd(fields[names.index("admission_date")])
        fields[names.index(column)] = (admitted - timedelta(days=1)).strftime("%Y%m%d")
        f.set_fields(i, fields)
    elif fault == "service-date-outside-month":
        column = layout.service_date_column
        if column is None:
            raise ValueError(f"{layout.kind} has no 実施年月日")
        i = _pick(f, fault, taken)
        y, m = divmod(yyyymm, 100)
        fields = f.fields(i)
        fields[names.index(column)] = f"{y + m // 12}{m % 12 + 1:02d}01"
        f.set_fields(i, fields)
    elif fault == "unknown-code":
        column = "data_category"
        if column not in names or not layout.column(column).codes:
            raise ValueError(f"{layout.kind} has no データ区分: use --corrupt-file EFn or D")
        i = _pick(f, fault, taken)
        fields = f.fields(i)
        fields[names.index(column)] = "99"
        f.set_fields(i, fields)
    elif fault == "duplicate-rows":
        originals = [_pick(f, f"{fault}-{k}", taken) for k in range(rows)]
        appended = []
        for i in originals:
            f.lines.append(f.lines[i])
            appended.append(len(f.lines))
            taken.add((f.path.name, len(f.lines) - 1))
        return Corruption(
            fault,
            f.path.name,
            appended[0],
            None,
            spec.outcome,
            spec.reason_codes,
            True,
            f"lines {', '.join(str(i + 1) for i in originals)} repeated at the end",
            lines=tuple(appended),
        )
    elif fault == "mixed-encoding":
        if f.encoding != "cp932":
            raise ValueError(f"{f.path.name} is not cp932: mixed-encoding needs a cp932 file")
        i = _pick(f, fault, taken, lambda i: not f.lines[i].isascii())
        f.lines[i] = f.lines[i].decode("cp932").encode("utf-8")
    else:  # pragma: no cover - FAULTS and this function agree
        raise ValueError(fault)
    mates, unit_reason = _unit_mates(f, i, column)
    return Corruption(
        fault,
        f.path.name,
        i + 1,
        column,
        spec.outcome,
        spec.reason_codes,
        True,
        detail,
        lines=(i + 1,),
        unit_lines=mates,
        unit_reason=unit_reason,
    )


def _unit_mates(f: _File, i: int, column: str | None) -> tuple[tuple[int, ...], str | None]:
    """The other lines of the unit (様式1 form, EF act) a fault in a key column of line ``i`` takes down, as the
    reader does (docs/decisions/0025): the lines whose unit columns hold the faulty line's values."""
    layout = f.layout
    if not layout.unit or column is None or not layout.column(column).key:
        return (), None
    idx = [layout.names.index(u) for u in layout.unit]
    fields = f.fields(i)
    key = [fields[k] for k in idx]
    mates = []
    for j in range(f.first, len(f.lines)):
        if j == i:
            continue
        # another fault may have made a line undecodable on purpose: it is in no unit the reader can see
        other = f.lines[j].decode(f.encoding, errors="replace").split(f.sep)
        if len(other) == len(layout.names) and [other[k] for k in idx] == key:
            mates.append(j + 1)
    return tuple(mates), ("form_key_fault" if layout.kind == "FF1" else "act_key_fault") if mates else None


def _extra_column_file(f: _File) -> Corruption:
    for i in range(len(f.lines)):
        extra = "新項目" if (i == 0 and f.header) else ""
        f.lines[i] += f.sep.encode() + extra.encode(f.encoding)
    n = len(f.layout.columns)
    return Corruption(
        "extra-column-file",
        f.path.name,
        1,
        None,
        "rejected",
        ("file_rejected",),
        True,
        f"title row and every row have {n + 1} columns, the {f.layout.kind} layout has {n}",
    )


def _corrected_month(directory: Path, yyyymm: int) -> Corruption:
    """Remove one stay admitted and discharged within the month from every file of the delivery."""
    first = _ymd(f"{yyyymm}01")
    files = [_File.read(p) for p in sorted(directory.iterdir()) if p.name != MANIFEST_NAME]
    d = next(f for f in files if f.kind == "D")

    def inside(i: int) -> bool:
        adm, dis = d.value(i, "admission_date"), d.value(i, "discharge_date")
        return dis != "00000000" and _ymd(adm) >= first and dis[:6] == str(yyyymm)

    i = _pick(d, "corrected-month", set(), inside)
    stay = (d.value(i, "data_id"), d.value(i, "admission_date"))
    removed: dict[str, tuple[int, ...]] = {}
    for f in files:
        if "data_id" not in f.layout.names or "admission_date" not in f.layout.names:
            continue  # 外来EF統合 has no 入院年月日: outpatient visits are not part of a stay
        keep, gone = [], []
        for j, line in enumerate(f.lines):
            if j >= f.first and (f.value(j, "data_id"), f.value(j, "admission_date")) == stay:
                gone.append(j + 1)
            else:
                keep.append(line)
        if gone:
            f.lines = keep
            f.write()
            removed[f.path.name] = tuple(gone)
    return Corruption(
        "corrected-month",
        None,
        None,
        None,
        "loaded",
        (),
        True,
        f"stay admitted {stay[1]} removed ({sum(len(v) for v in removed.values())} rows)",
        removed=removed,
        stay=stay,
    )


def _upload_fault(directory: Path, fault: str, path: Path) -> Corruption:
    spec = FAULTS[fault]
    data = path.read_bytes()
    if fault == "missing-file":
        path.unlink()
        return Corruption(fault, path.name, None, None, spec.outcome, spec.reason_codes, False, spec.doc)
    if fault == "extra-file":
        extra = path.with_name(path.stem + "_resent" + path.suffix)
        extra.write_bytes(data)
        return Corruption(fault, extra.name, None, None, spec.outcome, spec.reason_codes, False, spec.doc)
    if fault == "checksum-mismatch":
        f = _File.read(path)
        i = _pick(f, fault, set(), lambda i: any(ch in b"123456789" for ch in f.lines[i]))
        # change one non-zero digit of a data line in place: same size, same row count, another checksum
        edited = bytearray(f.lines[i])
        pos = max(k for k, ch in enumerate(edited) if ch in b"123456789")
        edited[pos] = ord("1") if edited[pos] != ord("1") else ord("2")
        f.lines[i] = bytes(edited)
        f.write()
        return Corruption(
            fault,
            path.name,
            i + 1,
            None,
            spec.outcome,
            spec.reason_codes,
            False,
            f"one digit of line {i + 1} changed after the manifest was written",
        )
    if fault == "row-count-mismatch":
        manifest_path = directory / MANIFEST_NAME
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            if entry["name"] == path.name:
                entry["rows"] = count_data_rows(data) + 1
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return Corruption(fault, path.name, None, None, spec.outcome, spec.reason_codes, False, spec.doc)
    if fault == "truncated":
        cut = len(data) * 3 // 5
        while data[cut - 1 : cut] in (b"\n", b"\r"):  # stop in the middle of a line, not at its end
            cut -= 1
        path.write_bytes(data[:cut])
        line = data[:cut].count(b"\n") + 1
        return Corruption(
            fault,
            path.name,
            line,
            None,
            spec.outcome,
            spec.reason_codes,
            False,
            f"{len(data) - cut} of {len(data)} bytes missing: the upload stopped in line {line}",
        )
    raise ValueError(fault)  # pragma: no cover


def corrupt_delivery(
    directory: Path,
    faults: str | Iterable[str],
    *,
    file_kind: str | None = None,
    rows: int = 1,
) -> list[Corruption]:
    """Apply one or more faults to the delivery folder ``directory``; returns what each did.

    ``file_kind`` overrides the file kind a fault hits (its default is in :data:`FAULTS`); ``rows`` is how
    many rows ``duplicate-rows`` repeats. Content faults are applied first and the manifest re-written once
    (the hospital's export is wrong, its manifest describes it); upload faults come after, against that manifest.
    """
    names = [faults] if isinstance(faults, str) else list(faults)
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise ValueError(f"unknown fault(s) {unknown}: choose from {', '.join(FAULTS)}")
    directory = Path(directory)
    yyyymm = _yyyymm(directory)
    taken: set[tuple[str, int]] = set()
    done: list[Corruption] = []
    content = [n for n in names if FAULTS[n].rewrites_manifest]
    upload = [n for n in names if not FAULTS[n].rewrites_manifest]
    for name in content:
        spec = FAULTS[name]
        if spec.family == REDELIVERY:
            done.append(_redelivery(directory, name, yyyymm))
            continue
        f = _File.read(_file_of(directory, file_kind or spec.default_kind or "EFn"))
        if spec.family == FILE:
            done.append(_extra_column_file(f))
        else:
            done.append(_row_fault(f, name, yyyymm, taken, rows))
        f.write()
    if content:
        write_manifest(directory, created_by="dpc generate")
    for name in upload:
        path = _file_of(directory, file_kind or FAULTS[name].default_kind or "EFn")
        done.append(_upload_fault(directory, name, path))
    return done


def _redelivery(directory: Path, fault: str, yyyymm: int) -> Corruption:
    spec = FAULTS[fault]
    if fault == "corrected-month":
        return _corrected_month(directory, yyyymm)
    for p in sorted(directory.iterdir()):
        if p.name == MANIFEST_NAME:
            continue
        data = p.read_bytes()
        if fault == "utf8" and not _is_utf8(data):
            data = data.decode("cp932").encode("utf-8")
        p.write_bytes(data)  # same-month-twice: the same bytes uploaded again
    return Corruption(fault, None, None, None, spec.outcome, spec.reason_codes, True, spec.doc)
