"""The published DPC file layouts, as data.

One table that the readers, the generator, the normaliser, the docs and the tests
all read (see ../shared/dpc/README.md for the source of each layout). A column has
a Japanese name (as printed in the title row), an English snake_case name (used in
the normalised Parquet and in every dbt model), a maximum width (in cp932 bytes, used
to slice the old fixed-width EF and D files) and a type:

- ``str``      text, kept as delivered (trailing spaces trimmed, leading kept for insurer numbers)
- ``code``     digits kept as text because leading zeros matter (施設コード, データ区分 …)
- ``int``      zero-padded integer
- ``decimal``  zero-padded decimal (quantities, yen amounts, coefficients)
- ``date``     ``yyyymmdd`` text; ``00000000`` means unknown (undischarged stay)
- ``pid``      the patient identifier (データ識別番号): replaced by ``patient_key`` in the normaliser
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

COLUMN_TYPES = ("str", "code", "int", "decimal", "date", "pid")


@dataclass(frozen=True)
class Column:
    ja: str
    name: str
    width: int
    type: str = "str"
    required: bool = False
    # names this column had in layouts up to 2015 (header detection accepts them)
    old_ja: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str
    columns: tuple[Column, ...]
    # file-name prefixes (matched case-insensitively); D and H are unconfirmed, so configurable
    prefixes: tuple[str, ...] = ()
    # column index (0-based) of each date column that the "month of delivery" check applies to
    service_date_column: str | None = None
    fixed_width_allowed: bool = False
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def widths(self) -> list[int]:
        return [c.width for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.kind} has no column {name!r}")


def _c(ja: str, name: str, width: int, type_: str = "str", required: bool = False, old: tuple[str, ...] = ()) -> Column:
    assert type_ in COLUMN_TYPES, type_
    return Column(ja=ja, name=name, width=width, type=type_, required=required, old_ja=old)


# EF: 31 columns, E rows (行為明細番号 000) followed by their F rows (001, 002 …)
_EF_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True),
    _c("データ識別番号", "data_id", 10, "pid", True),
    _c("退院年月日", "discharge_date", 8, "date", True),
    _c("入院年月日", "admission_date", 8, "date", True),
    _c("データ区分", "data_category", 2, "code", True),
    _c("順序番号", "sequence_no", 4, "int", True),
    _c("行為明細番号", "detail_no", 3, "int", True),
    _c("病院点数マスタコード", "hospital_master_code", 12, "str"),
    _c("レセプト電算処理システム用コード", "receipt_code", 9, "code"),
    _c("解釈番号", "interpretation_no", 8, "str"),
    _c("診療明細名称", "item_name", 254, "str"),
    _c("使用量", "quantity", 11, "decimal"),
    _c("基準単位", "unit_code", 3, "code"),
    _c("明細点数・金額", "item_points", 12, "decimal", old=("明細点数",)),
    _c("円・点区分", "yen_point_flag", 1, "code"),
    _c("出来高実績点数", "ffs_points", 8, "decimal"),
    _c("行為明細区分情報", "detail_flags", 12, "code", old=("出来高・包括フラグ",)),
    _c("行為点数", "act_points", 8, "decimal"),
    _c("行為薬剤料", "act_drug_points", 8, "decimal"),
    _c("行為材料料", "act_material_points", 8, "decimal"),
    _c("行為回数", "act_count", 3, "int"),
    _c("保険者番号", "insurer_no", 8, "str"),
    _c("レセプト種別コード", "receipt_type", 4, "code"),
    _c("実施年月日", "service_date", 8, "date", True),
    _c("レセプト科区分", "receipt_dept", 2, "code"),
    _c("診療科区分", "clinical_dept", 3, "code"),
    _c("医師コード", "doctor_code", 10, "str"),
    _c("病棟コード", "ward_code", 10, "str"),
    _c("病棟区分", "ward_type", 1, "code"),
    _c("入外区分", "in_out_flag", 1, "code"),
    _c("施設タイプ", "facility_type", 3, "str"),
)

# Outpatient EF: same 31 columns, but column 3 is the birth date and column 4 the visit date
_EFG_COLUMNS = (
    _EF_COLUMNS[0],
    _EF_COLUMNS[1],
    _c("生年月日", "birth_date", 8, "date", True),
    _c("外来受診年月日", "visit_date", 8, "date", True),
    *_EF_COLUMNS[4:],
)

_D_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True),
    _c("データ識別番号", "data_id", 10, "pid", True),
    _c("退院年月日", "discharge_date", 8, "date", True),
    _c("入院年月日", "admission_date", 8, "date", True),
    _c("データ区分", "data_category", 2, "code", True),
    _c("順序番号", "sequence_no", 4, "int", True),
    _c("病院点数マスタコード", "hospital_master_code", 12, "str"),
    _c("レセプト電算処理システム用コード", "receipt_code", 9, "code"),
    _c("解釈番号", "interpretation_no", 8, "str"),
    _c("診療行為名称", "act_name", 254, "str"),
    _c("行為点数", "act_points", 8, "decimal"),
    _c("行為薬剤料", "act_drug_points", 8, "decimal"),
    _c("行為材料料", "act_material_points", 8, "decimal"),
    _c("円・点区分", "yen_point_flag", 1, "code"),
    _c("行為回数", "act_count", 3, "int"),
    _c("保険者番号", "insurer_no", 8, "str"),
    _c("レセプト種別コード", "receipt_type", 4, "code"),
    _c("実施年月日", "service_date", 8, "date", True),
    _c("レセプト科区分", "receipt_dept", 2, "code"),
    _c("診療科区分", "clinical_dept", 3, "code"),
    _c("医師コード", "doctor_code", 10, "str"),
    _c("病棟コード", "ward_code", 10, "str"),
    _c("病棟区分", "ward_type", 1, "code"),
    _c("入外区分", "in_out_flag", 1, "code"),
    _c("施設タイプ", "facility_type", 3, "str"),
    _c("算定開始日", "billing_start_date", 8, "date"),
    _c("算定終了日", "billing_end_date", 8, "date"),
    _c("算定起算日", "billing_origin_date", 8, "date"),
    _c("分類番号", "dpc_code", 14, "str"),
    _c("医療機関係数", "hospital_coefficient", 7, "decimal"),
)

# 様式1: code + payload rows. The official title row uses half-width katakana.
_FF1_COLUMNS = (
    _c("施設ｺｰﾄﾞ", "facility_code", 9, "code", True),
    _c("ﾃﾞｰﾀ識別番号", "data_id", 10, "pid", True),
    _c("入院年月日", "admission_date", 8, "date", True),
    _c("回数管理番号", "admission_seq", 1, "int", True),
    _c("統括診療情報番号", "parent_info_no", 1, "code", True),
    _c("ｺｰﾄﾞ", "item_code", 7, "str", True),
    _c("ﾊﾞｰｼﾞｮﾝ", "version", 8, "code", True),
    _c("連番", "seq", 2, "int", True),
    *(_c(f"ﾍﾟｲﾛｰﾄﾞ{i}", f"payload_{i}", 254 if i == 9 else 40, "str") for i in range(1, 10)),
)

H_PAYLOADS = 11
_H_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True),
    _c("病棟コード", "ward_code", 10, "str", True),
    _c("データ識別番号", "data_id", 10, "pid", True),
    _c("退院年月日", "discharge_date", 8, "date", True),
    _c("入院年月日", "admission_date", 8, "date", True),
    _c("実施年月日", "service_date", 8, "date", True),
    _c("コード", "item_code", 7, "str", True),
    _c("バージョン", "version", 8, "code", True),
    _c("連番", "seq", 2, "int", True),
    *(_c(f"ペイロード{i}", f"payload_{i}", 4, "str") for i in range(1, H_PAYLOADS + 1)),
)

LAYOUTS: dict[str, Layout] = {
    "FF1": Layout("FF1", "様式1 (clinical summary)", _FF1_COLUMNS, prefixes=("FF1",)),
    "EFn": Layout(
        "EFn",
        "EF inpatient itemised billing",
        _EF_COLUMNS,
        prefixes=("EFn",),
        service_date_column="service_date",
        fixed_width_allowed=True,
    ),
    "EFg": Layout(
        "EFg",
        "EF outpatient itemised billing",
        _EFG_COLUMNS,
        prefixes=("EFg",),
        service_date_column="service_date",
        fixed_width_allowed=True,
    ),
    "D": Layout(
        "D",
        "D bundled (DPC) billing",
        _D_COLUMNS,
        prefixes=("Dn", "D"),
        service_date_column="service_date",
        fixed_width_allowed=True,
    ),
    "H": Layout("H", "H nursing necessity", _H_COLUMNS, prefixes=("Hn", "H"), service_date_column="service_date"),
}

# The lower-case name each kind has in the lake (stage/<kind>/…), in the DuckDB raw schema and in dbt.
KIND_SLUG: dict[str, str] = {"FF1": "ff1", "EFn": "efn", "EFg": "efg", "D": "d", "H": "h"}

# Columns the normaliser adds to every kind (lineage), after the layout's own columns.
LINEAGE_COLUMNS: tuple[str, ...] = ("yyyymm", "source_file", "line_number", "load_id", "loaded_at")


def normalise_header_field(text: str) -> str:
    """Compare header fields in NFKC form, so half-width katakana (施設ｺｰﾄﾞ) match full-width (施設コード)."""
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("\u3000", "")


def header_names(layout: Layout) -> list[set[str]]:
    """For each column, every accepted spelling of its title (current and ≤ 2015)."""
    return [{normalise_header_field(c.ja), *(normalise_header_field(o) for o in c.old_ja)} for c in layout.columns]


def kind_for_filename(name: str, prefixes: dict[str, tuple[str, ...]] | None = None) -> str | None:
    """The kind named by a file's prefix (``EFn_…``), case-insensitively; longest prefix wins."""
    table = prefixes or {k: lay.prefixes for k, lay in LAYOUTS.items()}
    stem = name.rsplit("/", 1)[-1]
    best: tuple[int, str] | None = None
    for kind, pfxs in table.items():
        for p in pfxs:
            if stem.lower().startswith(p.lower() + "_") and (best is None or len(p) > best[0]):
                best = (len(p), kind)
    return best[1] if best else None


# Code lists the readers check (row-level `unknown_code`); see ../shared/dpc/README.md.
DATA_CATEGORIES: frozenset[str] = frozenset(
    # fmt: off
    (
        "11",
        "12",
        "13",
        "14",
        "21",
        "22",
        "23",
        "24",
        "25",
        "26",
        "27",
        "28",
        "31",
        "32",
        "33",
        "39",
        "40",
        "50",
        "54",
        "60",
        "70",
        "80",
        "90",
        "92",
        "93",
        "97",
    )
    # fmt: on
)
CODE_SETS: dict[str, frozenset[str]] = {
    "data_category": DATA_CATEGORIES,
    "yen_point_flag": frozenset({"0", "1"}),
    "ward_type": frozenset({"0", "1", "2"}),
    "in_out_flag": frozenset({"0", "1"}),
}


def pid_index(layout: Layout) -> int:
    """0-based position of the patient identifier (データ識別番号) in a layout."""
    return next(i for i, c in enumerate(layout.columns) if c.type == "pid")


def record_length(layout: Layout) -> int:
    """Bytes per record of the old fixed-width variant (sum of the published widths, cp932)."""
    return sum(layout.widths)
