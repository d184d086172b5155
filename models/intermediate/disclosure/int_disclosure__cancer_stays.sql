{#-
  The stays of the population whose 医療資源を最も投入した傷病名 (A006030, p27) is one of the five cancers of
  病院指標 3, with their 初発/再発 (CAN0010 ③, p29, p87) and UICC stage (I–IV, or 'unknown'; 'stage_0' for
  Tis/Ta, which the table does not count) derived from CAN0020 ③ T, ④ N, ⑤ M (p29, p88–89):
    - M1… → IV; any of T, N, M missing, X or unrecognised → unknown; Tis/Ta with N0 M0 → stage_0;
    - otherwise the anatomic stage groups of the UICC TNM classification, 8th edition, condensed to I–IV per site:
      stomach (clinical): T1–T2 N0 → I; T1–T2 N+ or T3–T4a N0 → II; T3–T4a N+ → III; T4b → IV;
      colorectum: T1–T2 N0 → I; T3–T4 N0 → II; N+ → III;
      liver (hepatocellular): T1 N0 → I; T2 N0 → II; T3–T4 N0 → III; N1 → IV;
      lung: T1–T2a N0 → I; T2b N0, T1–T2 N1, T3 N0 → II; other N0–N3 → III;
      breast: T0–T1 N0–N1mi → I; T0–T2 N1, T2 N0, T3 N0 → II; T3 N1, T4, N2–N3 → III.
  The specification records T, N and M only (CAN0030 is the 癌取扱い規約 stage, not UICC): the grouping above is
  this project's transcription of the UICC tables (docs/hospital-indicators.md lists it for review).
-#}
with population as (
    select * from {{ ref('int_disclosure__stays') }}
    where is_in_population
),

items as (
    select * from {{ ref('int_disclosure__stay_items') }}
),

sited as (
    select
        population.stay_id,
        population.facility_code,
        population.fiscal_year,
        case
            when population.most_resource_icd10 like 'C16%' then 'stomach'
            when
                population.most_resource_icd10 like 'C18%'
                or population.most_resource_icd10 like 'C19%'
                or population.most_resource_icd10 like 'C20%'
                then 'colorectum'
            when population.most_resource_icd10 like 'C50%' then 'breast'
            when population.most_resource_icd10 like 'C34%' then 'lung'
            when population.most_resource_icd10 like 'C22%' then 'liver'
        end as cancer_site,
        items.cancer_onset_code,
        upper(replace(items.uicc_t, ' ', '')) as t,
        upper(replace(items.uicc_n, ' ', '')) as n,
        upper(replace(items.uicc_m, ' ', '')) as m,
        items.uicc_edition
    from population
    left join items
        on population.stay_id = items.stay_id
),

classified as (
    select
        *,
        case
            when t like 'T1%' then 1
            when t like 'T2%' then 2
            when t like 'T3%' then 3
            when t like 'T4B%' and cancer_site = 'stomach' then 5
            when t like 'T4%' then 4
            when t = 'T0' then 0
            when t like 'TIS%' or t = 'TA' then -1
        end as t_level,
        case
            when n = 'N0' then 0
            when n like 'N1MI%' then 0
            when n like 'N1%' then 1
            when n like 'N2%' then 2
            when n like 'N3%' then 3
            when n like 'N4%' then 3
        end as n_level,
        n like 'N1MI%' as is_n1mi,
        t like 'T2B%' as is_t2b,
        case
            when m like 'M1%' then 1
            when m = 'M0' then 0
        end as m_level
    from sited
    where cancer_site is not null
),

staged as (
    select
        *,
        case
            when m_level = 1 then 'IV'
            when t_level is null or n_level is null or m_level is null then 'unknown'
            when t_level = -1 and n_level = 0 and not is_n1mi then 'stage_0'
            when cancer_site = 'stomach'
                then
                    case
                        when t_level = 5 then 'IV'
                        when t_level <= 2 and n_level = 0 then 'I'
                        when t_level <= 2 or n_level = 0 then 'II'
                        else 'III'
                    end
            when cancer_site = 'colorectum'
                then
                    case
                        when n_level > 0 then 'III'
                        when t_level <= 2 then 'I'
                        else 'II'
                    end
            when cancer_site = 'liver'
                then
                    case
                        when n_level > 0 then 'IV'
                        when t_level <= 1 then 'I'
                        when t_level = 2 then 'II'
                        else 'III'
                    end
            when cancer_site = 'lung'
                then
                    case
                        when n_level = 0 and t_level <= 2 and not is_t2b then 'I'
                        when n_level = 0 and (is_t2b or t_level = 3) then 'II'
                        when n_level = 1 and t_level <= 2 then 'II'
                        else 'III'
                    end
            when cancer_site = 'breast' then
                case
                    when n_level = 0 and t_level <= 1 then 'I'
                    when n_level = 1 and t_level <= 2 then 'II'
                    when n_level = 0 and t_level <= 3 then 'II'
                    else 'III'
                end
        end as uicc_stage
    from classified
),

final as (
    select
        stay_id,
        facility_code,
        fiscal_year,
        cancer_site,
        coalesce(cancer_onset_code = '0', false) as is_first_onset,
        coalesce(cancer_onset_code = '1', false) as is_recurrence,
        t as uicc_t,
        n as uicc_n,
        m as uicc_m,
        uicc_edition,
        uicc_stage
    from staged
)

select * from final
