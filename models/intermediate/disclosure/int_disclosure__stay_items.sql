{#-
  The 様式1 items the 病院指標 and the 医療の質指標 read, one row per stay, from the stay's own form
  (int_form1__stays.source_form_id: the parent form, p40), as the specification lays them out:
    CAN0010 ③ がんの初発、再発 (p29, p87); CAN0020 ③–⑥ UICC病期分類 T, N, M, 版 (p29, p88–89);
    M040020 ② 肺炎の重症度分類 (7 digits: BUN, SpO2, 意識障害, 血圧, 免疫不全, 規定因子, 院内/市中) and
      ③ 医療介護関連肺炎 (p31, p100); M010010 ② 発症前Rankin Scale, ③ 脳卒中の発症時期 (p31, p98);
    A001040 ③ 入院時 and ⑤ 入院中の最大深度 DESIGN-R (p24, p62–63); A004030 ⑨ 入院後48時間以内の栄養アセスメント
      (p25, p66); A004040 ② 転倒・転落回数, ③ レベル3b以上 (p25, p67); A004050 ② 身体的拘束日数 (p25, p68).
  A001040, A004030 ⑨, A004040 and A004050 are marked ＊ 機能評価係数Ⅱの評価項目 (p24–25) and asked only for
  admissions from 2024-06-01 (p63, p66–68): null when the hospital did not enter them.
-#}
with form1 as (
    select * from {{ ref('stg_dpc__ff1') }}
    where item_code in (
            'CAN0010', 'CAN0020', 'M040020', 'M010010', 'A001040', 'A004030', 'A004040', 'A004050'
        )
),

forms as (
    select * from {{ ref('int_form1__forms') }}
),

stays as (
    select * from {{ ref('int_form1__stays') }}
),

source_forms as (
    select
        forms.stay_id,
        forms.admission_seq,
        forms.form_no,
        forms.form_yyyymm
    from forms
    inner join stays
        on forms.form_id = stays.source_form_id
),

item_rows as (
    select form1.*
    from form1
    inner join source_forms
        on form1.stay_id = source_forms.stay_id
        and form1.admission_seq = source_forms.admission_seq
        and form1.parent_info_no = source_forms.form_no
        and form1.yyyymm = source_forms.form_yyyymm
),

final as (
    select
        stay_id,
        max(case when item_code = 'CAN0010' then payload_3 end) as cancer_onset_code,
        max(case when item_code = 'CAN0020' then payload_3 end) as uicc_t,
        max(case when item_code = 'CAN0020' then payload_4 end) as uicc_n,
        max(case when item_code = 'CAN0020' then payload_5 end) as uicc_m,
        max(case when item_code = 'CAN0020' then payload_6 end) as uicc_edition,
        max(case when item_code = 'M040020' then payload_2 end) as pneumonia_severity_digits,
        max(case when item_code = 'M040020' then payload_3 end) as healthcare_associated_pneumonia_code,
        max(case when item_code = 'M010010' then payload_2 end) as premorbid_rankin_code,
        max(case when item_code = 'M010010' then payload_3 end) as stroke_onset_code,
        max(case when item_code = 'A001040' then payload_3 end) as pressure_ulcer_at_admission,
        max(case when item_code = 'A001040' then payload_5 end) as pressure_ulcer_worst,
        max(case when item_code = 'A004030' then payload_9 end) as nutrition_assessment_48h_code,
        max(case when item_code = 'A004040' then payload_2 end) as falls_text,
        max(case when item_code = 'A004040' then payload_3 end) as falls_level_3b_text,
        max(case when item_code = 'A004050' then payload_2 end) as restraint_days_text
    from item_rows
    group by stay_id
)

select * from final
