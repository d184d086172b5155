"""The payload items of 様式1 and the H file, transcribed from the specification (stdlib only).

A 様式1 or H record names an item by コード and バージョン and carries its values in ペイロード1–9 (様式1, p20) or
ペイロード1–20 (H, p146). Which payloads an item has, what each holds and which code list checks it are the
【ペイロード項目】 tables of 令和7年度 DPC調査 実施説明資料: 様式1 p21–38 (rules and codes p39–132), H p148–152
(p144–145). They are transcribed, one row per (item, version, payload), in ``dpc/specdata/ff1_items.csv`` and
``dpc/specdata/h_items.csv``; the code lists they name are ``dpc/specdata/code_lists/<list_id>.json``. This module
only reads them: it is imported by AWS Lambdas without third-party packages, so it must stay standard-library only.

    >>> from dpc import payload_items
    >>> payload_items.payload("FF1", "A007010", "20140401", 6).list_id
    'ff1_anaesthesia'
    >>> sorted(payload_items.versions("H", "TAR0010"))
    ['20180401']

Versions (バージョン) are 8-digit dates; the letters of the tables map differently in the two files:
様式1 ア 20140401, イ 20160401, ウ 20180401, エ 20200401, オ 20220401, カ 20240601 (p20);
H イ 20180401, ウ 20200401, エ 20220401, オ 20240601 (p147). In this edition every item has exactly one version
(the year it was created); a record with another バージョン for its item is an error (``unknown_version``).

CSV columns: item_code, version, payload_no, name_ja, value_type, list_id, required, seq_rule, page (printed page of
the item table), note (conditions transcribed, decisions), item_name_ja (ペイロード種別), record_required (the item's
レコード必須条件), rule_page (page of the 入力要領 for the payload), pattern (a regular expression the whole value
must match, where the specification fixes the shape), sentinels (``|``-separated literal values with a special
meaning — "unknown", "not applicable" — accepted besides the value type; their meaning is in the note).

``value_type`` vocabulary:

- ``blank``: printed 空欄 — the payload exists in the table but stays empty.
- ``code``: one code of the list ``list_id`` (``department`` is extendable: p53).
- ``date``: a real calendar date yyyymmdd (p20); other values only as listed in ``sentinels`` (e.g. ``00000000``,
  ``99999999``).
- ``date_partial``: yyyymmdd where unknown parts are 0 — ``19710000``, ``19980500`` — and ``00000000`` when even
  the year is unknown (生年月日 p42, 前回退院年月日 p56).
- ``digits``: a fixed-width string of digits, leading zeros kept (郵便番号 p21); ``pattern`` gives the width.
- ``integer``: a non-negative whole number (counts, days, cm, g, ml, mmHg, %, 告示番号).
- ``decimal``: a number with exactly one decimal (体重 kg, ``52.5``, ``53.0``: p61).
- ``number``: a non-negative number, decimal allowed (Burn Index, p107).
- ``composite``: a positional string, one character per sub-item (ADL p86, FIM p93, DESIGN-R p62, SOFA p113,
  GLIM p65 …); ``pattern`` gives the values allowed at each position.
- ``jcs``: a Japan Coma Scale value, ``0`` or 1–300 optionally followed by R, I, A (p96).
- ``icd10``: an ICD-10 (2013) code without the dot, e.g. ``B182`` (p69).
- ``disease_code`` / ``modifier_code``: レセプト電算処理 傷病名コード / 修飾語コード (p76).
- ``kcode``: 医科点数表 手術 K-code with its 細項目, e.g. ``K0821``, ``K082-21`` (p83).
- ``stem7``: 外保連 手術基幹コード STEM7 (p84).
- ``text``: free text (傷病名, 手術名, 自由記載 ≤ 全角100文字).

``required`` vocabulary (the 項目必須条件等有 column; ``record_required`` likewise for the item): ``required`` (○,
also ○* "任意であるが機能評価係数Ⅱの評価項目"), ``conditional`` (※A … ※W, ※1 … ※39: the condition is in the note),
``if_present`` (▲ ある場合必須, ※I), ``optional`` (◇), ``blank`` (-, 空欄).

``seq_rule`` (連番, p20): ``0`` when the item does not use 連番, ``1..N`` when it does, N the maximum the rules set.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Literal

Kind = Literal["FF1", "H"]

FF1_VERSION_LETTERS: Mapping[str, str] = MappingProxyType(
    {"ア": "20140401", "イ": "20160401", "ウ": "20180401", "エ": "20200401", "オ": "20220401", "カ": "20240601"}
)  # p20
H_VERSION_LETTERS: Mapping[str, str] = MappingProxyType(
    {"イ": "20180401", "ウ": "20200401", "エ": "20220401", "オ": "20240601"}
)  # p147
N_PAYLOADS: Mapping[str, int] = MappingProxyType({"FF1": 9, "H": 20})  # p20, p146

VALUE_TYPES = frozenset(
    {
        "blank",
        "code",
        "date",
        "date_partial",
        "digits",
        "integer",
        "decimal",
        "number",
        "composite",
        "jcs",
        "icd10",
        "disease_code",
        "modifier_code",
        "kcode",
        "stem7",
        "text",
    }
)
REQUIRED = frozenset({"required", "conditional", "if_present", "optional", "blank"})
COLUMNS = (
    "item_code",
    "version",
    "payload_no",
    "name_ja",
    "value_type",
    "list_id",
    "required",
    "seq_rule",
    "page",
    "note",
    "item_name_ja",
    "record_required",
    "rule_page",
    "pattern",
    "sentinels",
)
EXTERNAL_LISTS = frozenset({"department"})  # written by another engineer's task (別紙-1, p53/p208)

_FILES = {"FF1": "ff1_items.csv", "H": "h_items.csv"}
_SEQ = re.compile(r"^(0|1\.\.([1-9][0-9]*))$")
_VERSION = re.compile(r"^[0-9]{8}$")
_LIST_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Shapes of the value types that have one whatever the item (the pattern column may narrow them further).
_TYPE_SHAPES = {
    "integer": re.compile(r"[0-9]+"),
    "decimal": re.compile(r"[0-9]+\.[0-9]"),
    "number": re.compile(r"[0-9]+(\.[0-9]+)?"),
    "digits": re.compile(r"[0-9]+"),
}


class PayloadTableError(ValueError):
    """A transcribed item table is missing or malformed."""


@dataclass(frozen=True)
class Payload:
    """One payload field of one version of an item."""

    item_code: str
    version: str
    number: int  # ペイロード番号, 1–9 (様式1) or 1–20 (H)
    name_ja: str
    value_type: str
    list_id: str  # "" unless value_type is "code"
    required: str
    page: int  # printed page of the item table row
    note: str = ""
    rule_page: int | None = None  # printed page of the 入力要領 (rules) for this payload
    pattern: str = ""  # regular expression for re.fullmatch; "" when the specification fixes no shape
    sentinels: frozenset[str] = frozenset()

    def matches_pattern(self, value: str) -> bool:
        """True when there is no pattern or ``value`` matches it whole."""
        return not self.pattern or _compiled(self.pattern).fullmatch(value) is not None


@dataclass(frozen=True)
class Item:
    """An item (コード) of the 様式1 or H payload table, with its payloads per version."""

    kind: str
    code: str
    name_ja: str  # ペイロード種別
    versions: frozenset[str]
    record_required: str
    seq_rule: str  # "0" or "1..N" (p20)
    page: int
    by_version: Mapping[str, Mapping[int, Payload]]

    @property
    def payloads(self) -> Mapping[int, Payload]:
        """The payloads of the newest version, by payload number."""
        return self.by_version[max(self.versions)]

    @property
    def uses_seq(self) -> bool:
        return self.seq_rule != "0"

    @property
    def max_seq(self) -> int:
        """The largest 連番 allowed (0 when 連番 is not used and must be "0")."""
        return 0 if self.seq_rule == "0" else int(self.seq_rule.split("..")[1])


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _read_text(*parts: str) -> str:
    node = resources.files("dpc").joinpath("specdata")
    for part in parts:
        node = node.joinpath(part)
    try:
        return node.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PayloadTableError(f"dpc/specdata/{'/'.join(parts)} not found") from exc


def _page(text: str, where: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 238:  # the document ends at p238
        raise PayloadTableError(f"{where}: not a printed page: {text!r}")
    return int(text)


def _parse(kind: str, text: str) -> dict[str, Item]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise PayloadTableError(f"{_FILES[kind]}: columns must be {', '.join(COLUMNS)}")
    rows: dict[tuple[str, str, int], Payload] = {}
    heads: dict[str, tuple[str, str, str, int]] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{_FILES[kind]} line {line}"
        if None in row or any(v is None for v in row.values()):
            raise PayloadTableError(f"{where}: wrong number of fields")
        code, version = row["item_code"], row["version"]
        if not code or not _VERSION.match(version):
            raise PayloadTableError(f"{where}: bad item_code/version {code!r}/{version!r}")
        if not row["payload_no"].isdigit() or not 1 <= int(row["payload_no"]) <= N_PAYLOADS[kind]:
            raise PayloadTableError(f"{where}: payload_no must be 1–{N_PAYLOADS[kind]}")
        n = int(row["payload_no"])
        vt, list_id = row["value_type"], row["list_id"]
        if vt not in VALUE_TYPES:
            raise PayloadTableError(f"{where}: unknown value_type {vt!r}")
        if (vt == "code") != bool(list_id) or (list_id and not _LIST_ID.match(list_id)):
            raise PayloadTableError(f"{where}: a code payload needs a list_id, and only a code payload has one")
        if row["required"] not in REQUIRED or row["record_required"] not in REQUIRED - {"blank"}:
            raise PayloadTableError(f"{where}: bad required/record_required")
        if (vt == "blank") != (row["required"] == "blank"):
            raise PayloadTableError(f"{where}: a blank payload is exactly one whose required is 'blank'")
        if not _SEQ.match(row["seq_rule"]):
            raise PayloadTableError(f"{where}: seq_rule must be 0 or 1..N")
        if row["pattern"]:
            try:
                re.compile(row["pattern"])
            except re.error as exc:
                raise PayloadTableError(f"{where}: bad pattern {row['pattern']!r}") from exc
        key = (code, version, n)
        if key in rows:
            raise PayloadTableError(f"{where}: duplicate (item, version, payload) {key}")
        head = (row["item_name_ja"], row["record_required"], row["seq_rule"], _page(row["page"], where))
        if code in heads and heads[code][:3] != head[:3]:
            raise PayloadTableError(f"{where}: item {code} is described differently on another row")
        heads.setdefault(code, head)
        rows[key] = Payload(
            item_code=code,
            version=version,
            number=n,
            name_ja=row["name_ja"],
            value_type=vt,
            list_id=list_id,
            required=row["required"],
            page=_page(row["page"], where),
            note=row["note"],
            rule_page=_page(row["rule_page"], where) if row["rule_page"] else None,
            pattern=row["pattern"],
            sentinels=frozenset(s for s in row["sentinels"].split("|") if s),
        )
    by_item: dict[str, dict[str, dict[int, Payload]]] = {}
    for (code, version, n), p in rows.items():
        by_item.setdefault(code, {}).setdefault(version, {})[n] = p
    if not by_item:
        raise PayloadTableError(f"{_FILES[kind]}: no rows")
    items: dict[str, Item] = {}
    for code, per_version in by_item.items():
        name, record_required, seq_rule, page = heads[code]
        items[code] = Item(
            kind=kind,
            code=code,
            name_ja=name,
            versions=frozenset(per_version),
            record_required=record_required,
            seq_rule=seq_rule,
            page=page,
            by_version=MappingProxyType(
                {v: MappingProxyType(dict(sorted(ps.items()))) for v, ps in sorted(per_version.items())}
            ),
        )
    return items


@functools.cache
def _items(kind: str) -> Mapping[str, Item]:
    if kind not in _FILES:
        raise ValueError(f"kind must be 'FF1' or 'H', got {kind!r}")
    return MappingProxyType(_parse(kind, _read_text(_FILES[kind])))


def items(kind: Kind) -> dict[str, Item]:
    """Every item of the 様式1 (``"FF1"``) or H (``"H"``) payload table by item code (a new dict each call; the
    items themselves are cached and read-only)."""
    return dict(_items(kind))


def item(kind: Kind, item_code: str) -> Item | None:
    return _items(kind).get(item_code)


def versions(kind: Kind, item_code: str) -> frozenset[str]:
    """The バージョン values of an item (empty for an item the table does not list)."""
    found = _items(kind).get(item_code)
    return found.versions if found else frozenset()


def payload(kind: Kind, item_code: str, version: str, n: int) -> Payload | None:
    """Payload ``n`` of ``item_code`` at ``version``; None when the item, the version or the payload is not defined
    (an undefined payload must be empty: p20, p146)."""
    found = _items(kind).get(item_code)
    if found is None:
        return None
    return found.by_version.get(version, {}).get(n)


def list_ids(kind: Kind | None = None) -> frozenset[str]:
    """The code-list ids the table(s) refer to (``department`` included)."""
    kinds = (kind,) if kind else tuple(_FILES)
    return frozenset(
        p.list_id
        for k in kinds
        for it in _items(k).values()
        for ps in it.by_version.values()
        for p in ps.values()
        if p.list_id
    )


@functools.cache
def _codes(list_id: str) -> tuple[frozenset[str], bool]:
    """(codes, extendable) of a code list, read straight from its JSON file (NFKC-normalised codes)."""
    raw = json.loads(_read_text("code_lists", f"{list_id}.json"))
    codes = frozenset(unicodedata.normalize("NFKC", c["code"]) for c in raw["codes"])
    return codes, bool(raw.get("extendable", False))


def _real_date(value: str) -> bool:
    if len(value) != 8 or not value.isdigit():
        return False
    try:
        _dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return False
    return True


def _partial_date(value: str) -> bool:
    if _real_date(value) or value == "00000000":
        return True
    if len(value) != 8 or not value.isdigit() or value[:4] == "0000":
        return False
    month, day = int(value[4:6]), int(value[6:])
    return day == 0 and 0 <= month <= 12


def problem(kind: Kind, item_code: str, version: str, n: int, value: str | None) -> str | None:
    """Why ``value`` in payload ``n`` of a record breaks the table, or None when it conforms.

    Answers one of ``unknown_item``, ``unknown_version``, ``undefined_payload`` (a value where the item defines no
    payload, p20/p146), ``not_blank`` (a value in a 空欄 payload), ``unknown_code``, ``invalid_date``, ``bad_format``
    (the value type or the pattern). An empty value conforms: whether it is required depends on other fields
    (the conditions in the note). Codes are compared after NFKC normalisation; an extendable list (診療科, p53)
    accepts any value of its pattern.
    """
    if value is None or value == "":
        return None
    found = _items(kind).get(item_code)
    if found is None:
        return "unknown_item"
    if version not in found.versions:
        return "unknown_version"
    p = found.by_version[version].get(n)
    if p is None:
        return "undefined_payload"
    if p.value_type == "blank":
        return "not_blank"
    if value in p.sentinels:
        return None
    if p.value_type == "code":
        codes, extendable = _codes(p.list_id)
        if unicodedata.normalize("NFKC", value) not in codes and not (extendable and p.pattern):
            return "unknown_code"
    elif p.value_type == "date":
        if not _real_date(value):
            return "invalid_date"
    elif p.value_type == "date_partial":
        if not _partial_date(value):
            return "invalid_date"
    elif p.value_type in _TYPE_SHAPES and not _TYPE_SHAPES[p.value_type].fullmatch(value):
        return "bad_format"
    return None if p.matches_pattern(value) else "bad_format"
