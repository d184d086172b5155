"""The code lists of the DPC file columns, transcribed from the specification (stdlib only).

The data are JSON files in ``dpc/specdata/`` (one per list in ``code_lists/``, plus ``detail_flags.json`` for
the 12 positions of 行為明細区分情報), each code citing the printed page of 令和7年度 DPC調査 実施説明資料 where it
is defined. This module only reads them: it is imported by AWS Lambdas that have no third-party packages, so it
must stay standard-library only.

    >>> from dpc import code_lists
    >>> code_lists.load("d_data_category").meaning("93")
    'DPC包括点数のレコード'
    >>> code_lists.detail_flags("inpatient").decode("000010000000")["DPC適用区分"]
    '1'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

PACKAGE = "dpc.specdata"
_LIST_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# Which list checks which column (kind and column names as in dpc/layouts.py and the task's column list).
COLUMN_LISTS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("FF1", "parent_info_no"): "parent_info_no",
        ("FF4", "non_insurance_combination"): "ff4_non_insurance_combination",
        ("K", "sex"): "k_sex",
        **{
            (kind, column): list_id
            for kind, suffix in (("EFn", "inpatient"), ("EFg", "outpatient"))
            for column, list_id in (
                ("data_category", f"ef_data_category_{suffix}"),
                ("yen_point_flag", "yen_point_flag"),
                ("receipt_dept", "receipt_department"),
                ("clinical_dept", "department"),
                ("ward_type", f"ward_type_{suffix}"),
                ("in_out_flag", "in_out_flag" if suffix == "inpatient" else "in_out_flag_outpatient"),
            )
        },
        ("D", "data_category"): "d_data_category",
        ("D", "yen_point_flag"): "yen_point_flag",
        ("D", "receipt_dept"): "receipt_department",
        ("D", "clinical_dept"): "department",
        ("D", "ward_type"): "ward_type_inpatient",
        ("D", "in_out_flag"): "in_out_flag",
    }
)


class CodeListError(ValueError):
    """A code-list file is missing or malformed."""


@dataclass(frozen=True)
class Code:
    code: str
    meaning_ja: str
    page: int
    description_ja: str = ""
    first_survey_year: int | None = None
    last_survey_year: int | None = None

    def valid_in(self, survey_year: int) -> bool:
        return (self.first_survey_year is None or survey_year >= self.first_survey_year) and (
            self.last_survey_year is None or survey_year <= self.last_survey_year
        )


@dataclass(frozen=True)
class CodeList:
    id: str
    title_ja: str
    pages: tuple[int, ...]
    survey_years: tuple[int, ...]
    extendable: bool
    codes: Mapping[str, Code]  # read-only, in the order of the file
    note: str = ""

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def meaning(self, code: str) -> str:
        """The Japanese meaning of a listed code (KeyError if it is not listed)."""
        return self.codes[code].meaning_ja

    def is_valid(self, code: str, survey_year: int | None = None) -> bool:
        """True for a listed code (valid in ``survey_year`` when given). An extendable list (診療科, p53) also
        accepts any unlisted code of the same shape (digits, same width) as its listed codes."""
        found = self.codes.get(code)
        if found is not None:
            return survey_year is None or found.valid_in(survey_year)
        if not self.extendable or not code.isdigit():
            return False
        return len(code) in {len(c) for c in self.codes}


@dataclass(frozen=True)
class FlagPosition:
    position: int  # 1-based
    name_ja: str
    values: Mapping[str, str]
    page: int
    values_complete: bool = True  # False: the specification defers to a master it does not reprint
    note: str = ""


@dataclass(frozen=True)
class DetailFlags:
    """The 12 one-digit positions of 行為明細区分情報 (F-19, EF-17) for one kind of EF file."""

    kind: str  # "inpatient" or "outpatient"
    title_ja: str
    pages: tuple[int, ...]
    survey_years: tuple[int, ...]
    width: int
    positions: tuple[FlagPosition, ...]
    note: str = ""

    def decode(self, value: str) -> dict[str, str]:
        """``{name_ja: digit}`` for a 12-digit value (ValueError if it is not ``width`` digits)."""
        if len(value) != self.width or not value.isdigit():
            raise ValueError(f"行為明細区分情報 must be {self.width} digits, got {value!r}")
        return {
            p.name_ja if p.name_ja != "予備" else f"予備{p.position}": value[p.position - 1] for p in self.positions
        }

    def problems(self, value: str) -> list[str]:
        """Human-readable reasons why ``value`` breaks the specification; empty when it conforms.
        Positions whose values the specification does not list in full (DPC適用区分) are not checked."""
        if len(value) != self.width or not value.isdigit():
            return [f"not {self.width} digits: {value!r}"]
        out = []
        for p in self.positions:
            digit = value[p.position - 1]
            if p.values_complete and digit not in p.values:
                out.append(f"position {p.position} ({p.name_ja}, p{p.page}): {digit!r} not in {sorted(p.values)}")
        return out


def _data(name: str) -> Any:
    try:
        text = resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CodeListError(f"{PACKAGE}/{name} not found") from exc
    return json.loads(text)


def _int_tuple(obj: Any, what: str) -> tuple[int, ...]:
    if not isinstance(obj, list) or not obj or not all(isinstance(x, int) and not isinstance(x, bool) for x in obj):
        raise CodeListError(f"{what}: expected a non-empty list of integers, got {obj!r}")
    return tuple(obj)


def _parse_list(list_id: str, raw: Any) -> CodeList:
    where = f"code list {list_id!r}"
    if not isinstance(raw, dict):
        raise CodeListError(f"{where}: not a JSON object")
    if raw.get("id") != list_id:
        raise CodeListError(f"{where}: file says id {raw.get('id')!r}")
    codes: dict[str, Code] = {}
    for item in raw.get("codes") or []:
        try:
            code = Code(
                code=item["code"],
                meaning_ja=item["meaning_ja"],
                page=item["page"],
                description_ja=item.get("description_ja", ""),
                first_survey_year=item.get("first_survey_year"),
                last_survey_year=item.get("last_survey_year"),
            )
        except (KeyError, TypeError) as exc:
            raise CodeListError(f"{where}: bad code entry {item!r}") from exc
        if not isinstance(code.code, str) or not code.code or not isinstance(code.meaning_ja, str):
            raise CodeListError(f"{where}: code and meaning_ja must be text: {item!r}")
        if not isinstance(code.page, int) or isinstance(code.page, bool) or code.page < 1:
            raise CodeListError(f"{where}: code {code.code!r} has no printed page")
        if code.code in codes:
            raise CodeListError(f"{where}: code {code.code!r} listed twice")
        codes[code.code] = code
    if not codes:
        raise CodeListError(f"{where}: no codes")
    if not isinstance(raw.get("title_ja"), str) or not isinstance(raw.get("extendable"), bool):
        raise CodeListError(f"{where}: title_ja (text) and extendable (true/false) are required")
    return CodeList(
        id=list_id,
        title_ja=raw["title_ja"],
        pages=_int_tuple(raw.get("pages"), f"{where}: pages"),
        survey_years=_int_tuple(raw.get("survey_years"), f"{where}: survey_years"),
        extendable=raw["extendable"],
        codes=MappingProxyType(codes),
        note=raw.get("note", ""),
    )


@functools.cache
def load(list_id: str) -> CodeList:
    """The code list ``dpc/specdata/code_lists/<list_id>.json`` (cached; CodeListError if missing or malformed)."""
    if not _LIST_ID.match(list_id):
        raise CodeListError(f"not a code-list id: {list_id!r}")
    return _parse_list(list_id, _data(f"code_lists/{list_id}.json"))


def list_ids() -> list[str]:
    """The ids of every list shipped in ``dpc/specdata/code_lists/``, sorted."""
    folder = resources.files(PACKAGE).joinpath("code_lists")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def all_lists() -> dict[str, CodeList]:
    """Every shipped code list by id (a new dict each call; the lists themselves are cached and read-only)."""
    return {list_id: load(list_id) for list_id in list_ids()}


def for_column(kind: str, column: str) -> CodeList | None:
    """The list that checks ``column`` of ``kind`` (``"EFn"``, ``"D"`` …), or None if the column is not coded."""
    list_id = COLUMN_LISTS.get((kind, column))
    return load(list_id) if list_id else None


_FLAG_KINDS = {"inpatient": "inpatient", "efn": "inpatient", "outpatient": "outpatient", "efg": "outpatient"}


def detail_flags(kind: str) -> DetailFlags:
    """The positions of 行為明細区分情報 for ``"inpatient"`` / ``"outpatient"`` (or the kinds ``"EFn"`` / ``"EFg"``)."""
    key = _FLAG_KINDS.get(kind.lower())
    if key is None:
        raise ValueError(f"detail_flags: kind must be inpatient/outpatient (or EFn/EFg), got {kind!r}")
    return _detail_flags(key)


@functools.cache
def _detail_flags(key: str) -> DetailFlags:
    raw = _data("detail_flags.json")[key]
    positions = tuple(
        FlagPosition(
            position=p["position"],
            name_ja=p["name_ja"],
            values=MappingProxyType(dict(p["values"])),
            page=p["page"],
            values_complete=p.get("values_complete", True),
            note=p.get("note", ""),
        )
        for p in raw["positions"]
    )
    if [p.position for p in positions] != list(range(1, raw["width"] + 1)):
        raise CodeListError(f"detail_flags.json {key}: positions must be 1..{raw['width']} in order")
    return DetailFlags(
        kind=key,
        title_ja=raw["title_ja"],
        pages=_int_tuple(raw["pages"], f"detail_flags.json {key}: pages"),
        survey_years=_int_tuple(raw["survey_years"], f"detail_flags.json {key}: survey_years"),
        width=raw["width"],
        positions=positions,
        note=raw.get("note", ""),
    )
