"""The synthetic item master: EF items per data category, surgery per DPC6, wards and departments per MDC.

Item codes and points are ILLUSTRATIVE (the receipt master is not part of the specification), except those the
specification's worked examples print, which are taken from there and cited (p215, p217, p219, p226, p228).
Names use cp932-only characters (①, ⅰ, Ⅰ, ㎎, ㏄) on purpose, so every reader exercises its encoding path.
Items are points (``yen=False``: ``value`` is the points of one use) or yen-priced drugs, materials and meals
(``yen=True``: ``value`` is the yen price of one unit, ``quantity`` the units used).

Departments are the specification's codes: 診療科区分 (別紙-1, p53/p208, 3 digits) with the レセプト科区分 of the
same speciality (別紙-2, p209, 2 digits).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    receipt_code: str  # レセプト電算処理システム用コード, 9 digits
    interpretation_no: str  # 解釈番号 (empty for drugs)
    name: str
    value: float
    yen: bool = False
    unit_code: str = ""  # 基準単位 (3 digits, 別紙-3 p210) when a quantity is recorded
    quantity: float = 0.0
    # technique, drug (6…), material (7…), comment (8…) or meal (食事療養 197…); derived from the code
    kind: str = field(init=False, repr=False, compare=False)
    # 行為明細薬剤料 / 材料料: price × quantity (p186), yen
    yen_amount: float = field(init=False, repr=False, compare=False)
    points: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        head = self.receipt_code[0]
        kind = {"6": "drug", "7": "material", "8": "comment"}.get(head, "technique")
        if self.receipt_code.startswith("197"):
            kind = "meal"
        yen = self.value * self.quantity if self.yen else 0.0
        points = material_points(yen) if kind == "material" else drug_points(yen) if self.yen else int(self.value)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "yen_amount", yen)
        object.__setattr__(self, "points", points)


def drug_points(yen: float) -> int:
    """薬剤料 in points: 1 point up to 15 yen, then 1 point per started 10 yen above 15 (医科点数表 投薬・注射)."""
    if yen <= 15:
        return 1
    return 1 + int(-(-(yen - 15) // 10))


def material_points(yen: float) -> int:
    """特定保険医療材料料 in points: yen / 10, rounded half up."""
    return max(1, int(yen / 10 + 0.5))


def comment(text: str) -> Item:
    """A free comment row of an F record: コード 810000000, no points (p198 F-9; e.g. 右 on a surgery, p228)."""
    return Item("810000000", "", text, 0)


def _pt(code: str, interp: str, name: str, points: int) -> Item:
    return Item(code, interp, name, points)


def _drug(code: str, name: str, yen: float, unit: str, qty: float) -> Item:
    return Item(code, "", name, yen, yen=True, unit_code=unit, quantity=qty)


# 90 入院基本料
BASIC_FEE = _pt("190212510", "A100", "急性期一般入院料１（ⅰ）", 1688)
EARLY_ADDON = _pt("190077410", "A100", "入院期間加算（１４日以内）", 450)
RECORD_ADDON = _pt("190101770", "A207", "診療録管理体制加算１", 140)
NIGHT_ADDON = _pt("190179270", "A207-4", "看護職員夜間１２対１配置加算１", 110)
AIDE_ADDON = _pt("190195970", "A207-3", "急性期看護補助体制加算（２５対１）（看護補助者５割以上）", 240)
CLERK_ADDON = _pt("190121870", "A207-2", "医師事務作業補助体制加算１（１５対１）", 1070)
# 97 食事療養 (yen per meal): code, name and price as the worked example prints them (p215: 3 meals = 1,920 yen)
MEAL_YEN = 640
MEAL = Item("197000110", "", "入院時食事療養（１）", float(MEAL_YEN), yen=True, unit_code="128", quantity=1)
# 92 特定入院料: the DPC addition for an ICU day as the worked example prints it (p215: 7,188 points a day)
ICU_FEE = Item("193001610", "A301", "特定集中治療室管理料１（７日以内）", 7188)
ICU_DAYS_MAX = 7
# 92 地域包括ケア病棟入院料 (その他病棟グループ, p41): illustrative code and points
COMMUNITY_CARE_FEE = Item("190178510", "A308-3", "地域包括ケア病棟入院料２", 2649)
# 24 調剤料（入院）, one a day with oral drugs (p219)
DISPENSING = Item("120001110", "F000", "調剤料（入院）", 7)
# 21 内服
ORAL = (
    _drug("620004851", "アムロジピン錠５㎎「サワイ」", 10.1, "009", 1),
    _drug("620008765", "ランソプラゾールＯＤ錠１５㎎「トーワ」", 17.9, "009", 1),
    _drug("622078101", "ロキソプロフェンＮａ錠６０㎎「ＥＭＥＣ」", 9.8, "009", 3),
    _drug("620007145", "酸化マグネシウム錠３３０㎎「ヨシダ」", 5.7, "009", 3),
    _drug("621924601", "エドキサバン錠３０㎎", 260.9, "009", 1),
    _drug("622224401", "フロセミド錠２０㎎「ＮＰ」", 9.8, "009", 1),
)
# 33 点滴注射
DRIP_FEE = _pt("130009110", "G004", "点滴注射（その他）", 102)
DRIPS = (
    _drug("620007399", "生理食塩液「ヒカリ」５００ｍＬ", 193.0, "011", 500),
    _drug("620008820", "ソリタ－Ｔ３号輸液５００ｍＬ", 176.0, "011", 500),
    _drug("620006874", "セフトリアキソンナトリウム静注用１ｇ「日医工」", 403.0, "024", 1),
    _drug("620005566", "アンピシリンナトリウム・スルバクタム静注用１．５ｇ", 380.0, "024", 2),
    _drug("622095801", "ヘパリンＮａロック用１００単位／ｍＬシリンジ５㏄", 120.0, "024", 1),
)
# 60 検査
LABS = (
    _pt("160008010", "D005", "末梢血液一般検査", 21),
    _pt("160019210", "D007", "生化学的検査（Ⅰ）（１０項目以上）", 103),
    _pt("160017410", "D015", "ＣＲＰ", 16),
    _pt("160022010", "D007", "ＨｂＡ１ｃ", 49),
    _pt("160061810", "D026", "検体検査判断料（生化学的検査（Ⅰ））", 144),
    _pt("160095710", "D400", "Ｂ－Ｖ（血液採取・静脈）", 40),
)
# 70 画像
XRAY = (
    _pt("170000410", "E001", "単純撮影（デジタル撮影）胸部", 68),
    _pt("170028810", "E002", "撮影料（デジタル撮影）", 68),
)
CT = (
    _pt("170033410", "E200", "ＣＴ撮影（６４列以上・共同利用施設以外）", 1000),
    _pt("170034810", "E203", "コンピューター断層診断", 450),
    _pt("170027910", "E", "電子画像管理加算（コンピューター断層診断料）", 120),
)
# 40 処置
OXYGEN = (_pt("140005610", "J024", "酸素吸入", 65), _drug("712000001", "酸素（液化酸素ＣＥ）", 0.19, "011", 1200))
WOUND = (_pt("140000610", "J000", "創傷処置①（１００ｃ㎡未満）", 52),)
DIALYSIS = (_pt("140007310", "J038", "人工腎臓（慢性維持透析）（４時間以上５時間未満）", 2075),)
# 80 リハビリテーション (count = units of 20 minutes)
REHAB = {
    "01": _pt("180027410", "H001", "脳血管疾患等リハビリテーション料（Ⅰ）", 245),
    "04": _pt("180030810", "H003", "呼吸器リハビリテーション料（Ⅰ）", 175),
    "05": _pt("180037010", "H000", "心大血管疾患リハビリテーション料（Ⅰ）", 205),
    "07": _pt("180029110", "H002", "運動器リハビリテーション料（Ⅰ）", 185),
    "16": _pt("180029110", "H002", "運動器リハビリテーション料（Ⅰ）", 185),
    "": _pt("180049810", "H007-3", "廃用症候群リハビリテーション料（Ⅰ）", 180),
}
# 13 医学管理
DRUG_MGMT = _pt("113003310", "B008", "薬剤管理指導料１", 380)

# 54 麻酔: anaesthesia code (A007010 payload 3) → items
ANAESTHESIA = {
    "1": (
        _pt("150233410", "L008", "閉鎖循環式全身麻酔５（２時間まで）", 6000),
        _drug("620003455", "プロポフォール静注１％２０ｍＬ「マルイシ」", 618.0, "024", 1),
        _drug("620002530", "セボフルラン吸入麻酔液「ＶＴＲＳ」", 27.2, "011", 30),
    ),
    "2": (
        _pt("150228810", "L004", "脊椎麻酔", 850),
        _drug("620005120", "マーカイン注脊麻用０．５％高比重", 395.0, "024", 1),
    ),
    "3": (
        _pt("150229110", "L", "局所麻酔（表面麻酔を含む）", 0),
        _drug("620008116", "キシロカイン注ポリアンプ１％", 82.0, "024", 1),
    ),
}


@dataclass(frozen=True)
class Surgery:
    k_code: str  # 解釈番号, e.g. K282
    receipt_code: str
    name: str
    points: int
    anaesthesia: (
        str  # which ANAESTHESIA act (0 none, 1 general, 2 spinal, 3 local); ANAESTHESIA_CODE maps it to A007010 ⑥
    )
    material: Item | None = None


_MAT_CATH = _drug("700590000", "特定保険医療材料（カテーテル）", 38600.0, "024", 1)
_MAT_PROS = _drug("730440000", "特定保険医療材料（人工関節用材料）", 412000.0, "024", 1)

# by DPC6 first, then by MDC
SURGERY_BY_DPC6: dict[str, Surgery] = {
    "020110": Surgery("K2821ﾛ", "150263310", "水晶体再建術（眼内レンズを挿入）（その他）", 12100, "3"),
    "050050": Surgery("K5493", "150375510", "経皮的冠動脈ステント留置術（その他）", 24380, "3", _MAT_CATH),
    "050070": Surgery("K5951", "150311010", "経皮的カテーテル心筋焼灼術（心房中隔穿刺）", 40760, "3", _MAT_CATH),
    "050030": Surgery("K5491", "150375310", "経皮的冠動脈ステント留置術（急性心筋梗塞）", 34380, "3", _MAT_CATH),
    "050210": Surgery("K5972", "150317510", "ペースメーカー移植術（経静脈電極）", 9520, "3", _MAT_CATH),
    "060100": Surgery("K7212", "150285010", "内視鏡的大腸ポリープ・粘膜切除術（長径２ｃｍ以上）", 7000, "0"),
    "060340": Surgery("K688", "150153010", "内視鏡的胆道ステント留置術", 11540, "0"),
    "060335": Surgery("K672-2", "150254010", "腹腔鏡下胆嚢摘出術", 21500, "1"),
    "060020": Surgery(
        "K6532", "150353710", "内視鏡的胃、十二指腸ポリープ・粘膜切除術（早期悪性腫瘍粘膜下層剥離術）", 18370, "1"
    ),
    "060035": Surgery("K719-3", "150318410", "腹腔鏡下結腸悪性腫瘍切除術", 59510, "1"),
    "060160": Surgery("K634", "150282110", "腹腔鏡下鼠径ヘルニア手術（両側）", 22960, "1"),
    "070230": Surgery("K0821", "150050010", "人工関節置換術（膝）", 37690, "1", _MAT_PROS),
    "070343": Surgery("K142", "150089010", "脊椎固定術、椎弓切除術、椎弓形成術", 32890, "1"),
    "160800": Surgery("K0811", "150049110", "人工骨頭挿入術（股）", 19500, "1", _MAT_PROS),
    "090010": Surgery("K4763", "150110210", "乳腺悪性腫瘍手術（乳房切除術）", 22520, "1"),
    "110070": Surgery("K8036ｲ", "150191010", "膀胱悪性腫瘍手術（経尿道的手術）（電解質溶液利用）", 10400, "2"),
    "120180": Surgery("K8982", "150203610", "帝王切開術（選択帝王切開）", 20140, "2"),
    "020160": Surgery("K2801", "150262010", "硝子体茎顕微鏡下離断術（網膜付着組織を含む）", 38950, "3"),
}
SURGERY_BY_MDC: dict[str, Surgery] = {
    "01": Surgery("K174", "150100410", "水頭症手術（シャント手術）", 24310, "1"),
    "02": Surgery("K2801", "150262010", "硝子体茎顕微鏡下離断術", 29400, "3"),
    "03": Surgery("K340-5", "150277310", "内視鏡下鼻・副鼻腔手術３型", 24910, "1"),
    "04": Surgery("K514-23", "150339710", "胸腔鏡下肺悪性腫瘍手術（肺葉切除）", 92000, "1"),
    "05": Surgery("K5612ｲ", "150297210", "ステントグラフト内挿術（腹部大動脈）", 49440, "1", _MAT_CATH),
    "06": Surgery("K695-22", "150350310", "腹腔鏡下肝切除術（亜区域切除）", 108820, "1"),
    "07": Surgery("K0461", "150030010", "骨折観血的手術（大腿）", 21630, "1"),
    "08": Surgery("K0072", "150006410", "皮膚悪性腫瘍切除術（単純切除）", 11000, "3"),
    "11": Surgery("K781", "150183010", "経尿道的尿路結石除去術（レーザー）", 22270, "2"),
    "12": Surgery("K877-2", "150245210", "腹腔鏡下腟式子宮全摘術", 42050, "1"),
    "13": Surgery("K921", "150209010", "造血幹細胞採取（末梢血幹細胞採取）", 21640, "0"),
    "14": Surgery("K836", "150198010", "停留精巣固定術", 11020, "1"),
    "16": Surgery("K164", "150094310", "頭蓋内血腫除去術（開頭）（硬膜下）", 35520, "1"),
    "18": Surgery("K0002", "150000210", "創傷処理（筋肉、臓器に達するもの）", 2400, "3"),
}


def surgery_for(dpc_code: str) -> Surgery:
    return SURGERY_BY_DPC6.get(dpc_code[:6]) or SURGERY_BY_MDC.get(dpc_code[:2]) or SURGERY_BY_MDC["18"]


# A007010 ⑥ 麻酔 (p85) of the anaesthesia acts above: 1 全身麻酔 (L008), 3 脊椎麻酔 (L004), 5 局所麻酔, 9 無
ANAESTHESIA_CODE = {"0": "9", "1": "1", "2": "3", "3": "5"}
# DPC6 / MDC whose operations have a side (A007010 ⑤ 手術側数, p84): eyes, joints, breast
SIDED_MDC = frozenset({"02", "09"})
SIDED_DPC6 = frozenset({"070230", "160800"})

# 診療科区分 (別紙-1, p53) and レセプト科区分 (別紙-2, p209) by MDC: (medical, surgical) as (診療科区分, レセプト科区分)
DEPARTMENT_BY_MDC: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "01": (("280", "04"), ("150", "14")),  # 神経内科 / 脳神経外科
    "02": (("230", "26"), ("230", "26")),  # 眼科
    "03": (("240", "27"), ("240", "27")),  # 耳鼻咽喉科 / 耳鼻いんこう科
    "04": (("340", "05"), ("160", "15")),  # 呼吸器内科 (呼吸器科) / 呼吸器外科
    "05": (("350", "08"), ("170", "16")),  # 循環器内科 (循環器科) / 心臓血管外科
    "06": (("500", "06"), ("510", "10")),  # 消化器内科 (消化器科) / 消化器外科 (外科)
    "07": (("090", "35"), ("120", "11")),  # リウマチ科 / 整形外科
    "08": (("300", "19"), ("300", "19")),  # 皮膚科
    "09": (("610", "10"), ("610", "10")),  # 乳腺甲状腺外科 (外科)
    "10": (("690", "01"), ("110", "10")),  # 内分泌代謝科 (内科) / 外科
    "11": (("410", "01"), ("310", "20")),  # 腎臓内科 (内科) / 泌尿器科 (ひ尿器科)
    "12": (("330", "25"), ("220", "23")),  # 婦人科 / 産婦人科
    "13": (("480", "01"), ("480", "01")),  # 血液内科 (内科)
    "14": (("620", "09"), ("180", "17")),  # 新生児科 (小児科) / 小児外科
    "15": (("100", "09"), ("180", "17")),  # 小児科 / 小児外科
    "16": (("460", "39"), ("120", "11")),  # 救急医学科 (救急科) / 整形外科
    "17": (("680", "02"), ("680", "02")),  # 精神神経科 (精神科)
    "18": (("010", "01"), ("110", "10")),  # 内科 / 外科
}
# 病棟コード (hospital's own, ≤ 10 characters, p186/p197): general wards by department; ICU; the 地域包括ケア病棟
WARDS: tuple[str, ...] = ("3E", "3W", "4E", "4W", "5E", "5W", "6E", "6W")
ICU_WARD = "ICU"
COMMUNITY_CARE_WARD = "7W"

# K生成用データ カナ氏名 (p154): SYNTHETIC names, combinations of common family and given names written in katakana
# (別紙1's alphabet, p155), never a real person's; a few patients have Latin names in full-width letters (p155 Q&A)
FAMILY_NAMES = (
    "サトウ", "スズキ", "タカハシ", "タナカ", "ワタナベ", "イトウ", "ヤマモト", "ナカムラ", "コバヤシ", "カトウ",
    "ヨシダ", "ヤマダ", "ササキ", "ヤマグチ", "マツモト", "イノウエ", "キムラ", "ハヤシ", "シミズ", "モリ",
)  # fmt: skip
GIVEN_NAMES_M = ("ヒロシ", "タカシ", "ケンジ", "マコト", "ショウタ", "ユウキ", "リョウ", "ダイスケ", "ジュン", "ハルト")
GIVEN_NAMES_F = ("ケイコ", "ヨウコ", "ユウコ", "ミサキ", "キョウコ", "ユイ", "アヤ", "サクラ", "ジュンコ", "メイ")
LATIN_FAMILY = ("ＳＭＩＴＨ", "ＢＲＯＷＮ", "ＧＡＲＣＩＡ", "ＬＥＥ")
LATIN_GIVEN = ("ＡＮＮＡ", "ＭＡＲＫ", "ＬＵＣＡＳ", "ＥＭＩＬＹ")


def _half_width_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for cp in range(0xFF61, 0xFFA0):
        ch = chr(cp)
        table.setdefault(unicodedata.normalize("NFKC", ch), ch)
    return table


_HALF = _half_width_table()


def half_width(kana: str) -> str:
    """Full-width katakana as half-width (ガ → ｶﾞ): 別紙1 allows both (p155)."""
    out = []
    for ch in unicodedata.normalize("NFD", kana):
        if ch == "\u3099":
            out.append("ﾞ")
        elif ch == "\u309a":
            out.append("ﾟ")
        else:
            out.append(_HALF.get(ch, ch))
    return "".join(out)


# Disease-name codes (傷病名コード, 7 digits) and names for comorbidities and complications (ICD-10, code, name)
COMORBIDITIES: tuple[tuple[str, str, str], ...] = (
    ("I10", "8833421", "本態性高血圧症"),
    ("E119", "2500015", "２型糖尿病"),
    ("E785", "2724010", "脂質異常症"),
    ("N185", "5859003", "慢性腎臓病ステージ５"),
    ("I480", "4273006", "発作性心房細動"),
    ("F03", "2900011", "認知症"),
    ("M810", "7330013", "骨粗鬆症"),
    ("K219", "5301017", "逆流性食道炎"),
    ("J449", "4962002", "慢性閉塞性肺疾患"),
    ("E43", "2639003", "高度栄養失調"),
)
COMPLICATIONS: tuple[tuple[str, str, str], ...] = (
    ("J690", "5070004", "誤嚥性肺炎"),
    ("N390", "5990010", "尿路感染症"),
    ("L89", "7070003", "褥瘡"),
    ("A047", "0088003", "クロストリジウム・ディフィシル腸炎"),
    ("R509", "7806003", "発熱"),
)
