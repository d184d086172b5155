"""The tables of the 病院情報の公表 page: which mart model each one shows, its columns with the headings hospitals
publish, and its 集計方法と定義 text (docs/hospital-indicators.md gives the sources and the edition followed).

Every table reads one model of ``models/mart/disclosure/`` from the published ``mart`` schema. A value the mart
leaves null — masked by the ministry's rule (fewer than 10 cases) or not defined — is printed ``-``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str  # the mart column
    heading: str  # the page's and the CSV's heading


@dataclass(frozen=True)
class TableSpec:
    key: str  # anchor and CSV file name
    model: str  # mart model
    title: str
    columns: tuple[Column, ...]
    order_by: str
    definition: tuple[str, ...]
    group_by: tuple[Column, ...] = ()  # one table per value on the page (the department); columns in the CSV
    transpose: bool = False  # printed as two rows (年齢区分 / 患者数), as hospitals do


COMMON_RULES = (
    "集計対象は当該年度（4月1日〜翌年3月31日）に退院した患者で、一般病棟に1回以上入院した患者です（様式1 A000050 ②）。",
    "医療保険のみの患者が対象です（様式4 医療保険外との組合せが「1 医科レセプトのみ」）。自費、労災、自賠責等は含みません。",
    "入院後24時間以内に死亡した患者（様式1 A000030 ④）、生後7日未満に死亡した新生児、臓器移植の患者は対象外です。",
    "在院日数は入院日と退院日を含めて数えています。年齢は入院時の年齢です。",
    "患者数が10未満の場合は「-」と表示しています（平均在院日数（全国）を除く）。",
)

HOSPITAL_INDICATORS: tuple[TableSpec, ...] = (
    TableSpec(
        "age-bands",
        "disc_age_band_discharges",
        "1. 年齢階級別退院患者数",
        (Column("age_band", "年齢区分"), Column("discharges", "患者数")),
        "age_band_order",
        (
            "当該年度の退院患者を、入院時の年齢により10歳刻みで集計しています。90歳以上は1つの階級です。",
            "生年月日の一部が不明で年齢が定まらない患者は含みません。合計は表示していません。",
        ),
        transpose=True,
    ),
    TableSpec(
        "dpc-top5",
        "disc_dpc_code_top5",
        "2. 診断群分類別患者数等（診療科別患者数上位5位まで）",
        (
            Column("dpc_code", "DPCコード"),
            Column("dpc_name", "DPC名称"),
            Column("cases", "患者数"),
            Column("mean_los_days", "平均在院日数（自院）"),
            Column("national_mean_los_days", "平均在院日数（全国）"),
            Column("transfer_rate_pct", "転院率（%）"),
            Column("mean_age", "平均年齢"),
        ),
        "department_code, department_rank",
        (
            "診療科（様式1 A000040、当院の診療科コード）ごとに、患者数の多いDPCコード（診断群分類番号、Dファイル）上位5つです。",
            "平均在院日数（全国）は厚生労働省の診断群分類点数表の入院期間Ⅱ（全国の平均在院日数）です。",
            "転院率は退院先が「他の病院・診療所への転院」（様式1 A000030 ②＝4）の割合です。",
            "Dファイルのない出来高算定病院の患者はDPCコードがないため、この表には含みません。",
        ),
        group_by=(Column("department_code", "診療科コード"), Column("department_name", "診療科")),
    ),
    TableSpec(
        "cancer",
        "disc_cancer_uicc_stage",
        "3. 初発の5大癌のUICC病期分類別並びに再発患者数",
        (
            Column("cancer_name_ja", ""),
            Column("stage_1", "初発 Stage I"),
            Column("stage_2", "初発 Stage II"),
            Column("stage_3", "初発 Stage III"),
            Column("stage_4", "初発 Stage IV"),
            Column("stage_unknown", "初発 不明"),
            Column("recurrence", "再発"),
            Column("uicc_edition", "版数"),
        ),
        "cancer_order",
        (
            "医療資源を最も投入した傷病名（様式1 A006030）が胃癌（C16）、大腸癌（C18〜C20）、乳癌（C50）、肺癌（C34）、"
            "肝癌（C22）の延べ患者数です。",
            "初発・再発は様式1 CAN0010 ③、病期はUICC TNM分類（様式1 CAN0020 のT・N・M）から求めたStage I〜IVです"
            "（病期分類基準：UICC TNM分類）。T・N・Mのいずれかが不明（X）の場合は「不明」、Stage 0 は対象外です。",
            "再発は、当院・他院を問わず初回治療が完了した後に当院で治療した患者です。",
        ),
    ),
    TableSpec(
        "pneumonia",
        "disc_pneumonia_severity",
        "4. 成人市中肺炎の重症度別患者数等",
        (
            Column("severity_ja", "重症度"),
            Column("cases", "患者数"),
            Column("mean_los_days", "平均在院日数"),
            Column("mean_age", "平均年齢"),
        ),
        "severity_order",
        (
            "20歳以上で、入院の契機となった傷病名（A006020）と医療資源を最も投入した傷病名（A006030）がともにJ13〜J18の"
            "市中肺炎（様式1 M040020 ② の院内/市中が市中、医療・介護関連肺炎を除く）の患者です。",
            "重症度はA-DROPスコア（男性70歳以上・女性75歳以上、BUN 21mg/dL以上又は脱水、SpO2 90%以下、意識障害、"
            "収縮期血圧90mmHg以下の該当数）で、0 軽症、1〜2 中等症、3 重症、4〜5 超重症、1つでも不明なら不明です。",
        ),
    ),
    TableSpec(
        "cerebral-infarction",
        "disc_cerebral_infarction",
        "5. 脳梗塞の患者数等",
        (
            Column("onset_ja", "発症日から"),
            Column("cases", "患者数"),
            Column("mean_los_days", "平均在院日数"),
            Column("mean_age", "平均年齢"),
            Column("transfer_rate_pct", "転院率（%）"),
        ),
        "onset_order",
        (
            "医療資源を最も投入した傷病名がI63（脳梗塞）の患者を、発症から入院までの日数（様式1 M010010 ③ 脳卒中の"
            "発症時期：発症3日目以内）で「3日以内」と「その他」に分けています。",
        ),
    ),
    TableSpec(
        "surgery-top5",
        "disc_surgery_top5",
        "6. 診療科別主要手術別患者数等（診療科別患者数上位5位まで）",
        (
            Column("k_code", "Kコード"),
            Column("operation_name", "名称"),
            Column("cases", "患者数"),
            Column("mean_days_before", "平均術前日数"),
            Column("mean_days_after", "平均術後日数"),
            Column("transfer_rate_pct", "転院率（%）"),
            Column("mean_age", "平均年齢"),
        ),
        "department_code, department_rank",
        (
            "診療科ごとに、主たる手術（様式1 A007010 の最初の手術）の点数表コード（Kコード）別患者数の上位5つです。",
            "輸血（K920）、創傷処理（K000）、皮膚切開術（K001）、非観血的整復術（K044）、徒手整復術（K061）と加算は"
            "対象外です。術前日数は入院日から手術日まで、術後日数は手術日から退院日まで（いずれも手術日を含まない）です。",
        ),
        group_by=(Column("department_code", "診療科コード"), Column("department_name", "診療科")),
    ),
    TableSpec(
        "other",
        "disc_dic_sepsis_mycosis_complication",
        "7. その他（DIC、敗血症、その他の真菌症および手術・術後の合併症の発生率）",
        (
            Column("dpc6", "DPC"),
            Column("condition_ja", "傷病名"),
            Column("admission_relation_ja", "入院契機"),
            Column("cases", "症例数"),
            Column("incidence_pct", "発生率（%）"),
        ),
        "row_order",
        (
            "DPC上6桁（Dファイルの診断群分類）が130100 播種性血管内凝固症候群、180010 敗血症、180035 その他の真菌感染症、"
            "180040 手術・処置等の合併症の患者数と、全退院患者に対する割合です。",
            "入院契機は、入院の契機となった傷病名と医療資源を最も投入した傷病名が同じ分類（ICD-10の3桁）か否かです。",
        ),
    ),
)

QUALITY_INDICATORS = TableSpec(
    "quality",
    "disc_quality_indicators",
    "医療の質指標",
    (
        Column("indicator_ja", "指標"),
        Column("numerator", "分子"),
        Column("denominator", "分母"),
        Column("rate", "値"),
        Column("unit", "単位"),
    ),
    "indicator_order",
    (
        "様式1の機能評価係数Ⅱの評価項目（A001040 褥瘡、A004030 ⑨ 栄養アセスメント、A004040 転倒・転落、A004050 "
        "身体的拘束）と手術情報（A007010 ⑦ 予防的抗菌薬投与）から求めています。項目が入力された患者のみが対象で、"
        "分母が10未満の場合は「-」です。",
        "転倒・転落発生率＝転倒・転落件数÷入院延べ日数（‰）。レベル3b以上も同様。",
        "手術開始前1時間以内の予防的抗菌薬投与率＝全身麻酔手術で術前1時間以内に投与した手術÷予防的抗菌薬を投与した"
        "全身麻酔手術（%）。",
        "d2以上の褥瘡発生率＝入院中にd2以上の褥瘡が発生した患者÷入院時にd2以上の褥瘡のない患者の入院延べ日数（%）。",
        "65歳以上の患者の入院早期の栄養アセスメント実施割合＝48時間以内に実施した患者÷65歳以上の患者（%）。",
        "身体的拘束の実施率＝身体的拘束日数÷入院延べ日数（%）。",
    ),
)

OUT_OF_SCOPE = (
    (
        "リスクレベルが「中」以上の手術を施行した患者の肺血栓塞栓症の予防対策の実施率",
        "手術のリスクレベルの一覧がDPCの提出ファイルにないため",
    ),
    ("血液培養2セット実施率", "検査の算定単位（セット）をEFファイルから数える規則をまだ実装していないため"),
    ("広域スペクトル抗菌薬使用時の細菌培養実施率", "広域スペクトル抗菌薬の薬剤分類がこのリポジトリにないため"),
)

# 保険診療指数 data-quality figures (issue 26 item 3, built elsewhere): shown when this table is published.
INSURANCE_INDEX_QUALITY = "fct_insurance_index_quality"
