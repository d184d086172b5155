"""The DPC survey file layouts, as data, transcribed from the official specification.

The authority is the ministry's 令和7年度「DPCの評価・検証等に係る調査」実施説明資料 (edition of 2025-05-30);
every layout, column and code list below cites its printed page (``p146``). Readers, the normaliser, the
generator, the docs (``docs/files.md``) and the tests all read this one table (docs/decisions/0002).

A column has the Japanese name the specification prints (the canonical title-row wording), other wordings
real exports use, an English snake_case name (used in the normalised Parquet and in every dbt model), a width
in cp932 bytes and a type. The width is the specification's (its 桁数 column: EF/D p197–200, K p154, 様式4 p140,
the header parts of 様式1 p20 and H p146; where a table prints none, the comment beside the column says where the
bound comes from). The fixed-width EF/D records are sliced by it, and a longer value — counted in cp932 bytes,
whichever encoding the file came in — is a finding (``value_too_wide``/``field_too_wide``,
``dpc/readers/row_checks.py``), except in the fields the specification marks 可変長 (``variable``: 様式1
ペイロード9 p20, H ペイロード19–20 p146), which are bounded only by what every engine can store
(``VARIABLE_MAX_BYTES``). The types:

- ``str``      text, kept as delivered (trailing spaces trimmed, leading kept for insurer numbers)
- ``code``     digits kept as text because leading zeros matter (施設コード, 順序番号 …)
- ``token``    a short code that is not all digits (統括診療情報番号 ``0``–``9``/``A``/``B``; 外来EF データ区分 ``SY``)
- ``int``      integer (zero-padded in files; may be negative)
- ``decimal``  decimal (quantities, yen amounts, coefficients; adjustment points may be negative, p194)
- ``date``     ``yyyymmdd``; ``00000000`` means not yet known (an undischarged stay, p197)
- ``pid``      データ識別番号: 10 digits (p20), replaced by ``patient_key`` in the normaliser
- ``direct``   a direct identifier (K生成用データ's カナ氏名 and insurance numbers, p154): never leaves the
  normaliser (docs/decisions/0003)
- ``insurer``  EF/D 保険者番号 (p197 E-16): reduced by the normaliser to ``insurer_class`` (its 法別番号, or
  ``kokuho`` for a 6-digit 国民健康保険 number), because the number itself is listed among the direct identifiers

``codes`` names a code list in ``dpc/specdata/code_lists/`` (transcribed per kind where the kinds differ,
each code with its page and the survey years it was verified for); an ``extendable`` list (診療科, p53) is
checked by shape and an unknown code is a warning.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

COLUMN_TYPES = ("str", "code", "token", "int", "decimal", "date", "pid", "direct", "insurer")


@dataclass(frozen=True)
class Column:
    ja: str
    name: str
    width: int
    type: str = "str"
    required: bool = False
    # other wordings of the title (older layouts, the specification's own variants, real exports): accepted,
    # reported as a `title_wording` warning naming the column
    old_ja: tuple[str, ...] = ()
    codes: str | None = None  # code list id (dpc/specdata/code_lists/<id>.json)
    page: int | None = None  # printed page of the specification that defines the column
    de: str = ""  # the specification's data-element number (EF-9, D-30 …)
    partial_date: bool = False  # a birth date: unknown parts written as 0 (19710000, 00000000; p42, p154)
    key: bool = False  # part of the unit's key: a fault here quarantines the whole 様式1 form / EF act
    variable: bool = False  # 可変長 (p20, p146): no width finding; bounded by VARIABLE_MAX_BYTES only


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str
    columns: tuple[Column, ...]
    # file-name prefixes (matched case-insensitively; `<prefix>_<facility>_<yymm>`, p17)
    prefixes: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()
    delimiter: str = "\t"
    # "required" (FF1, H: p17), "optional" (real exports of EF/D have one or not), "none" (the specification
    # defines none: 様式4, K; one is still recognised by structure and skipped when a file has it)
    title_row: str = "optional"
    # how many trailing columns may be left out of a record (K: 枝番 "記録を省略しても可", p154)
    omissible_trailing: int = 0
    service_date_column: str | None = None
    fixed_width_allowed: bool = False
    # columns identifying the unit of quarantine (docs/decisions/0025): a 様式1 form, an EF act
    unit: tuple[str, ...] = ()
    # EF: columns required on the act's E record (行為明細番号 000) only, and on its F records only (p200: the E
    # columns EF-18–20, EF-25 and the F columns EF-12, 14, 16, 17 are 必須 where their record carries them)
    required_on_act: tuple[str, ...] = ()
    required_on_items: tuple[str, ...] = ()
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


def _c(
    ja: str,
    name: str,
    width: int,
    type_: str = "str",
    required: bool = False,
    old: tuple[str, ...] = (),
    *,
    codes: str | None = None,
    page: int | None = None,
    de: str = "",
    partial_date: bool = False,
    key: bool = False,
    variable: bool = False,
) -> Column:
    assert type_ in COLUMN_TYPES, type_
    return Column(ja, name, width, type_, required, old, codes, page, de, partial_date, key, variable)


# The header part of EF/D records (E-1…E-6, F-1…F-7, D-1…D-6; p197–200): the unit of an act
_FAC = _c("施設コード", "facility_code", 9, "code", True, page=197, de="1", key=True)
_PID = _c("データ識別番号", "data_id", 10, "pid", True, page=197, de="2", key=True)
_DIS = _c("退院年月日", "discharge_date", 8, "date", True, ("退院年月日(西暦)",), page=197, de="3", key=True)
_ADM = _c("入院年月日", "admission_date", 8, "date", True, ("入院年月日(西暦)",), page=197, de="4", key=True)

# 入院EF統合 (p200): 31 columns; the E record (行為明細番号 000) and its F records (001 …) form one act
_EF_COLUMNS = (
    _FAC,
    _PID,
    _DIS,
    _ADM,
    _c(
        "データ区分",
        "data_category",
        2,
        "code",
        True,
        codes="ef_data_category_inpatient",
        page=200,
        de="EF-5",
        key=True,
    ),
    _c("順序番号", "sequence_no", 4, "int", True, page=200, de="EF-6", key=True),
    _c("行為明細番号", "detail_no", 3, "int", True, page=200, de="EF-7", key=True),
    _c("病院点数マスタコード", "hospital_master_code", 12, "str", page=200, de="EF-8"),
    _c(
        "レセプト電算処理システム用コード",
        "receipt_code",
        9,
        "code",
        old=("レセプト電算コード", "レセプト電算処理システムコード"),  # p200 prints both
        page=200,
        de="EF-9",
    ),
    _c("解釈番号", "interpretation_no", 8, "str", old=("解釈番号(基本)",), page=200, de="EF-10"),
    _c("診療明細名称", "item_name", 254, "str", old=("診療行為名称",), page=200, de="EF-11"),
    _c("使用量", "quantity", 11, "decimal", page=200, de="EF-12"),
    _c("基準単位", "unit_code", 3, "code", page=200, de="EF-13"),
    _c("明細点数・金額", "item_points", 12, "decimal", old=("明細点数",), page=200, de="EF-14"),
    _c("円・点区分", "yen_point_flag", 1, "code", old=("円点区分",), codes="yen_point_flag", page=200, de="EF-15"),
    _c("出来高実績点数", "ffs_points", 8, "decimal", page=200, de="EF-16"),
    _c("行為明細区分情報", "detail_flags", 12, "code", old=("出来高・包括フラグ",), page=200, de="EF-17"),
    _c("行為点数", "act_points", 8, "decimal", page=200, de="EF-18"),
    _c("行為薬剤料", "act_drug_points", 8, "decimal", page=200, de="EF-19"),
    _c("行為材料料", "act_material_points", 8, "decimal", page=200, de="EF-20"),
    _c("行為回数", "act_count", 3, "int", True, page=200, de="EF-21"),
    _c("保険者番号", "insurer_no", 8, "insurer", page=200, de="EF-22"),
    _c("レセプト種別コード", "receipt_type", 4, "code", page=200, de="EF-23"),
    _c("実施年月日", "service_date", 8, "date", True, page=200, de="EF-24", key=True),
    _c("レセプト科区分", "receipt_dept", 2, "code", codes="receipt_department", page=200, de="EF-25"),
    _c("診療科区分", "clinical_dept", 3, "code", True, codes="department", page=200, de="EF-26"),
    _c("医師コード", "doctor_code", 10, "str", page=200, de="EF-27"),
    _c("病棟コード", "ward_code", 10, "str", True, page=200, de="EF-28"),
    _c("病棟区分", "ward_type", 1, "code", True, codes="ward_type_inpatient", page=200, de="EF-29"),
    _c("入外区分", "in_out_flag", 1, "code", codes="in_out_flag", page=200, de="EF-30"),
    _c("施設タイプ", "facility_type", 3, "str", page=200, de="EF-31"),
)


def _outpatient(c: Column) -> Column:
    """外来EF統合 (p201–207): the same 31 columns, with the outpatient code lists and the SY 傷病名 rows."""
    changes: dict[str, dict[str, object]] = {
        "data_category": {"type": "token", "codes": "ef_data_category_outpatient", "page": 204},
        "receipt_code": {"page": 204},  # 7-digit 傷病名コード on SY rows, incl. 0000999 (p201 (6))
        "service_date": {"ja": "実施年月日・診療開始日", "old_ja": ("実施年月日",), "page": 207},
        "ward_code": {"page": 202},  # always 9999999999 (p202 (10))
        "ward_type": {"codes": "ward_type_outpatient", "page": 202},
        "in_out_flag": {"codes": "in_out_flag_outpatient", "page": 202},
    }
    if c.name not in changes:
        return c
    values = dict(c.__dict__)
    values.update(changes[c.name])
    return Column(**values)


_EFG_COLUMNS = (
    _EF_COLUMNS[0],
    _EF_COLUMNS[1],
    _c("生年月日", "birth_date", 8, "date", True, ("生年月日(西暦)",), page=201, de="EF-3", partial_date=True),
    # yyyymm00 on SY rows (p201 (3)): checked by the reader, not as a calendar date
    _c("外来受診年月日", "visit_date", 8, "date", True, ("外来受診年月日(西暦)",), page=201, de="EF-4", key=True),
    *(_outpatient(c) for c in _EF_COLUMNS[4:]),
)

# D (p199): 30 columns
_D_COLUMNS = (
    _FAC,
    _PID,
    _DIS,
    _ADM,
    _c("データ区分", "data_category", 2, "code", True, codes="d_data_category", page=199, de="D-5", key=True),
    _c("順序番号", "sequence_no", 4, "int", True, page=199, de="D-6", key=True),
    _c("病院点数マスタコード", "hospital_master_code", 12, "str", page=199, de="D-7"),
    _c(
        "レセプト電算処理システム用コード",
        "receipt_code",
        9,
        "code",
        old=("レセプト電算コード", "レセプト電算処理システムコード"),
        page=199,
        de="D-8",
    ),
    _c("解釈番号", "interpretation_no", 8, "str", old=("解釈番号(基本)",), page=199, de="D-9"),
    _c("診療行為名称", "act_name", 254, "str", page=199, de="D-10"),
    _c("行為点数", "act_points", 8, "decimal", True, page=199, de="D-11"),
    _c("行為薬剤料", "act_drug_points", 8, "decimal", True, page=199, de="D-12"),
    _c("行為材料料", "act_material_points", 8, "decimal", True, page=199, de="D-13"),
    _c("円・点区分", "yen_point_flag", 1, "code", old=("円点区分",), codes="yen_point_flag", page=199, de="D-14"),
    _c("行為回数", "act_count", 3, "int", True, page=199, de="D-15"),
    _c("保険者番号", "insurer_no", 8, "insurer", page=199, de="D-16"),
    _c("レセプト種別コード", "receipt_type", 4, "code", page=199, de="D-17"),
    _c("実施年月日", "service_date", 8, "date", True, page=199, de="D-18"),
    _c("レセプト科区分", "receipt_dept", 2, "code", True, codes="receipt_department", page=199, de="D-19"),
    _c("診療科区分", "clinical_dept", 3, "code", True, codes="department", page=199, de="D-20"),
    _c("医師コード", "doctor_code", 10, "str", page=199, de="D-21"),
    _c("病棟コード", "ward_code", 10, "str", True, page=199, de="D-22"),
    _c("病棟区分", "ward_type", 1, "code", True, codes="ward_type_inpatient", page=199, de="D-23"),
    _c("入外区分", "in_out_flag", 1, "code", codes="in_out_flag", page=199, de="D-24"),
    _c("施設タイプ", "facility_type", 3, "str", page=199, de="D-25"),
    _c("算定開始日", "billing_start_date", 8, "date", page=199, de="D-26"),
    _c("算定終了日", "billing_end_date", 8, "date", page=199, de="D-27"),
    _c("算定起算日", "billing_origin_date", 8, "date", page=199, de="D-28"),
    _c("分類番号", "dpc_code", 14, "str", page=199, de="D-29"),
    # 6 wide: "1.1234", the decimal point counts as a digit (p199); files before FY2025 used 7
    _c("医療機関別係数", "hospital_coefficient", 6, "decimal", old=("医療機関係数",), page=199, de="D-30"),
)

# 様式1 (p19–20): header part + payload part; one form = every record with the same header part.
# Widths: p20 prints the header part's digits (施設コード 9, データ識別番号 10, 入院年月日 8) and its codes (回数管理番号,
# 統括診療情報番号: one character each; コード: 7 characters, p21–38; バージョン: 8 digits, p20). It prints no width for
# 連番 (at most 12 in this edition's items, p21–38: 2 digits) or ペイロード1–8: every item puts a code, a date, a
# number or a positional string of at most 18 characters there (p21–38), so 40 bytes bounds them with room.
# ペイロード9 is 可変長文字列 (p20): free text (自由記載欄 全角100文字以内, p23), no width finding.
_FF1_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True, page=20, key=True),
    _c("データ識別番号", "data_id", 10, "pid", True, ("データ識別番", "ﾃﾞｰﾀ識別番号"), page=20, key=True),
    _c("入院年月日", "admission_date", 8, "date", True, page=20, key=True),
    _c("回数管理番号", "admission_seq", 1, "int", True, page=20, key=True),
    _c("統括診療情報番号", "parent_info_no", 1, "token", True, codes="parent_info_no", page=40, key=True),
    _c("コード", "item_code", 7, "str", True, page=20),
    _c("バージョン", "version", 8, "code", True, page=20),
    _c("連番", "seq", 2, "int", True, ("連番号",), page=20),
    *(
        _c(
            f"ペイロード{i}",
            f"payload_{i}",
            254 if i == 9 else 40,
            "str",
            old=(f"ペイロード{i}({'日付等' if i == 1 else 'コード等' if i == 2 else '可変長文字列'})",)
            if i in (1, 2, 9)
            else (),
            page=20,
            variable=i == 9,
        )
        for i in range(1, 10)
    ),
)

# 様式4 (p140): one record per discharge, no title row; p140 gives each field's digits (9, 10, 8, 8, one code digit)
_FF4_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True, page=140),
    _c("データ識別番号", "data_id", 10, "pid", True, page=140),
    _c("入院年月日", "admission_date", 8, "date", True, page=140),
    _c("退院年月日", "discharge_date", 8, "date", True, page=140),
    _c(
        "医療保険外との組合せ",
        "non_insurance_combination",
        1,
        "code",
        True,
        ("医療保険外との組み合わせ",),
        codes="ff4_non_insurance_combination",
        page=140,
    ),
)

# H (p146): header part (6) + コード, バージョン, 連番 + ペイロード1–20 = 29 columns; title row required (p17)
H_PAYLOADS = 20
_H_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True, page=146),
    # p146 prints no width for 病棟コード (病院独自コード); it is the same code as EF's, 10 wide (p197 E-22, p200 EF-28)
    _c("病棟コード", "ward_code", 10, "str", True, page=146),
    _c("データ識別番号", "data_id", 10, "pid", True, page=146),
    _c("退院年月日", "discharge_date", 8, "date", True, page=146),
    _c("入院年月日", "admission_date", 8, "date", True, page=146),
    _c("実施年月日", "service_date", 8, "date", True, page=146),
    _c("コード", "item_code", 7, "str", True, page=146),
    _c("バージョン", "version", 8, "code", True, page=146),
    _c("連番", "seq", 2, "int", True, page=146),
    # ペイロード19 and 20 are 可変長文字列 (p146): no width finding. p146 prints no width for ペイロード1–18; they hold
    # short codes and numbers (p148–152), bounded here by 40 bytes as 様式1's; コード 7 (ASS0010 …), 連番 as 様式1's
    *(
        _c(f"ペイロード{i}", f"payload_{i}", 254 if i >= 19 else 40, "str", page=146, variable=i >= 19)
        for i in range(1, H_PAYLOADS + 1)
    ),
)

# K生成用データ (p154–155): comma-separated, no quotes, Shift_JIS, no title row; 枝番 may be omitted.
# Widths (p154): 施設コード 9, データ識別番号 10, dates yyyymmdd, 実施年月 yyyymm, カナ氏名 at most 80 characters
# (full width allowed, 注1: 160 cp932 bytes), 性別 1, 保険者番号 8, 被保険者記号・番号 at most 38 bytes, 枝番 at most 2.
# カナ氏名 and the insurance numbers are direct identifiers: they never leave the normaliser.
_K_COLUMNS = (
    _c("施設コード", "facility_code", 9, "code", True, page=154),
    _c("データ識別番号", "data_id", 10, "pid", True, page=154),
    _c("入院年月日", "admission_date", 8, "date", True, ("入院年月日(西暦)",), page=154),
    _c("退院年月日", "discharge_date", 8, "date", True, ("退院年月日(西暦)",), page=154),
    _c("実施年月", "service_month", 6, "code", True, page=154),
    _c("カナ氏名", "kana_name", 160, "direct", True, page=154),  # up to 80 characters, half or full width
    _c("性別", "sex", 1, "code", True, codes="k_sex", page=154),
    _c("生年月日", "birth_date", 8, "date", True, page=154, partial_date=True),
    _c("保険者番号", "insurer_no", 8, "direct", page=154),  # a 6-digit number follows two spaces
    _c("被保険者記号", "insured_symbol", 38, "direct", page=154),
    _c("被保険者番号", "insured_number", 38, "direct", page=154),
    _c("枝番", "branch_no", 2, "direct", page=154),
)

_EF_UNIT = ("data_id", "admission_date", "data_category", "sequence_no")
_EF_ON_ACT = ("act_points", "act_drug_points", "act_material_points", "receipt_dept")
_EF_ON_ITEMS = ("quantity", "item_points", "ffs_points", "detail_flags")
LAYOUTS: dict[str, Layout] = {
    "FF1": Layout(
        "FF1",
        "様式1 (clinical summary)",
        _FF1_COLUMNS,
        prefixes=("FF1",),
        pages=(19, 20, 21, 40),
        title_row="required",
        unit=("data_id", "admission_date", "admission_seq", "parent_info_no"),
    ),
    "FF4": Layout(
        "FF4",
        "様式4 (care outside medical insurance)",
        _FF4_COLUMNS,
        prefixes=("FF4",),
        pages=(140,),
        title_row="none",
    ),
    "H": Layout(
        "H",
        "H (重症度、医療・看護必要度)",
        _H_COLUMNS,
        prefixes=("Hn", "H"),
        pages=(144, 146, 147, 148),
        title_row="required",
        service_date_column="service_date",
    ),
    "EFn": Layout(
        "EFn",
        "入院EF統合 (inpatient itemised billing)",
        _EF_COLUMNS,
        prefixes=("EFn",),
        pages=(197, 198, 200),
        service_date_column="service_date",
        fixed_width_allowed=True,
        unit=_EF_UNIT,
        required_on_act=_EF_ON_ACT,
        required_on_items=_EF_ON_ITEMS,
    ),
    "EFg": Layout(
        "EFg",
        "外来EF統合 (outpatient itemised billing)",
        _EFG_COLUMNS,
        prefixes=("EFg",),
        pages=(201, 202, 204, 205, 206, 207),
        service_date_column="service_date",
        fixed_width_allowed=True,
        unit=("data_id", "visit_date", "data_category", "sequence_no"),
        required_on_act=_EF_ON_ACT,
        required_on_items=_EF_ON_ITEMS,
    ),
    "D": Layout(
        "D",
        "D (DPC bundled billing)",
        _D_COLUMNS,
        prefixes=("Dn", "D"),
        pages=(193, 194, 199),
        service_date_column="service_date",
        fixed_width_allowed=True,
    ),
    "K": Layout(
        "K",
        "K生成用データ (link-key source data)",
        _K_COLUMNS,
        prefixes=("Kn", "K"),
        pages=(153, 154, 155),
        delimiter=",",
        title_row="none",
        omissible_trailing=1,
    ),
}

# The lower-case name each kind has in the lake (stage/<kind>/…), in the DuckDB raw schema and in dbt.
KIND_SLUG: dict[str, str] = {"FF1": "ff1", "FF4": "ff4", "H": "h", "EFn": "efn", "EFg": "efg", "D": "d", "K": "k"}

# Columns the normaliser adds to every kind (lineage), after the layout's own columns.
LINEAGE_COLUMNS: tuple[str, ...] = ("yyyymm", "source_file", "line_number", "load_id", "loaded_at")

# Code lists checked as a warning only: hospitals may add their own 診療科 (p53), and the specification allows
# any two digits as レセプト科区分 on an outpatient SY row whose department is not known (p202 Q&A).
WARN_ONLY_LISTS: frozenset[str] = frozenset({"department", "receipt_department"})

# A variable-length field (可変長, p20, p146) has no width in the specification; its bound is what every engine can
# store in one text value (Redshift VARCHAR(65535) is counted in UTF-8 bytes; infra/scripts/redshift_tables.py).
VARIABLE_MAX_BYTES = 65535

# The old fixed-width D record had a 7-byte 医療機関係数; read either length (docs/files.md).
LEGACY_WIDTHS: dict[str, dict[str, int]] = {"D": {"hospital_coefficient": 7}}


def normalise_header_field(text: str) -> str:
    """A title field in comparable form: NFKC (half-width katakana 施設ｺｰﾄﾞ = 施設コード), no spaces, 全角 brackets as ()."""
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("\u3000", "")


def is_facility_code_title(text: str) -> bool:
    """Whether a field reads as a form of 施設コード (施設コード, 施設ｺｰﾄﾞ, 施設CD, 施設番号 …): how a title row is told
    from a data row, by structure rather than exact wording (a data row's first field is 9 digits)."""
    t = normalise_header_field(text).lower().lstrip("\ufeff")
    return t.startswith("施設") and any(w in t for w in ("コード", "cd", "code", "番号"))


def header_names(layout: Layout) -> list[set[str]]:
    """For each column, every known spelling of its title (canonical and other wordings)."""
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


def pid_index(layout: Layout) -> int:
    """0-based position of the patient identifier (データ識別番号) in a layout."""
    return next(i for i, c in enumerate(layout.columns) if c.type == "pid")


def direct_identifier_columns(layout: Layout) -> tuple[str, ...]:
    """Columns holding direct identifiers (p154): dropped by the normaliser, masked in quarantine."""
    return tuple(c.name for c in layout.columns if c.type == "direct")


def record_length(layout: Layout, widths: list[int] | None = None) -> int:
    """Bytes per record of the fixed-width variant (sum of the published widths, cp932)."""
    return sum(widths if widths is not None else layout.widths)


def fixed_width_variants(layout: Layout) -> list[tuple[str, list[int]]]:
    """(variant name, widths) of the fixed-width records a kind may arrive in: the current one, then older ones."""
    out = [("fixed-width", layout.widths)]
    legacy = LEGACY_WIDTHS.get(layout.kind)
    if legacy:
        out.append(("fixed-width-legacy", [legacy.get(c.name, c.width) for c in layout.columns]))
    return out
