"""Fixture writers: DPC files in every published variant, written from dpc.layouts (never copies of real files).

``rows(kind, …)`` gives valid rows (lists of field strings, in layout order) for a facility-month;
``render(kind, rows, …)`` turns them into the bytes of a delivered file in any variant
(cp932 / UTF-8 / UTF-8 with BOM, CRLF / LF, title row current / half-width / full-width / ≤ 2015 /
none, tab-separated or fixed-width); ``write_delivery`` lays files out under ``raw/`` with a manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from dpc.layouts import LAYOUTS, normalise_header_field
from dpc.manifest import build_manifest, file_facts

FACILITY = "131000001"
YYYYMM = 202404
PREFIX = {"FF1": "FF1", "FF4": "FF4", "EFn": "EFn", "EFg": "EFg", "D": "Dn", "H": "Hn", "K": "Kn"}
PATIENTS = ("0000012345", "0000067890", "0000011111")


def file_name(kind: str, facility: str = FACILITY, yyyymm: int = YYYYMM) -> str:
    extension = "csv" if kind == "K" else "txt"  # K生成用データ is a CSV file (p154)
    return f"{PREFIX[kind]}_{facility}_{yyyymm % 10000:04d}.{extension}"


def _blank(kind: str) -> dict[str, str]:
    return dict.fromkeys(LAYOUTS[kind].names, "")


def _ordered(kind: str, values: dict[str, str]) -> list[str]:
    assert set(values) == set(LAYOUTS[kind].names), set(values) ^ set(LAYOUTS[kind].names)
    return [values[n] for n in LAYOUTS[kind].names]


def _ef_pair(kind: str, facility: str, pid: str, adm: str, dis: str, svc: str, seq: int) -> list[list[str]]:
    """One E row (act) and its two F rows (items): E vs F empties as published."""
    base = _blank(kind)
    base.update(facility_code=facility, data_id=pid, data_category="50", sequence_no=f"{seq:04d}", service_date=svc)
    if kind == "EFg":
        base.update(birth_date="19500101", visit_date=svc)
    else:
        base.update(discharge_date=dis, admission_date=adm)
    e = dict(base)
    e.update(
        detail_no="000",
        hospital_master_code="150263310",
        receipt_code="150263310",
        interpretation_no="K5493",
        item_name="経皮的冠動脈ステント留置術①",
        item_points="0",
        yen_point_flag="0",
        ffs_points="0",
        act_points="00024380",
        act_drug_points="0",
        act_material_points="0",
        act_count="001",
        insurer_no="  200055",
        receipt_type="1120",
        receipt_dept="01",
        clinical_dept="010",
        doctor_code="D000000001",
        ward_code="W01",
        ward_type="0",
        in_out_flag="1" if kind == "EFg" else "0",
    )
    f1 = dict(base)
    f1.update(
        detail_no="001",
        hospital_master_code="620000001",
        receipt_code="620000001",
        item_name="生理食塩液ⅰ",
        quantity="0000030.000",
        unit_code="001",
        item_points="000000009.02",
        yen_point_flag="1",
        ffs_points="00000009",
        detail_flags="000010000000",
        act_points="0",
        act_drug_points="0",
        act_material_points="0",
        act_count="001",
        clinical_dept="010",
        doctor_code="D000000001",
        ward_code="W01",
        ward_type="0",
    )
    f2 = dict(f1)
    f2.update(
        detail_no="002", item_name="ステント", quantity="0000001.000", item_points="000000200.5", ffs_points="00000201"
    )
    if kind == "EFg":  # outpatient: 病棟コード 9999999999, 病棟区分 9 on every record (p202 (10), (11))
        for r in (e, f1, f2):
            r.update(ward_code="9999999999", ward_type="9")
    return [_ordered(kind, e), _ordered(kind, f1), _ordered(kind, f2)]


def rows(kind: str, facility: str = FACILITY, yyyymm: int = YYYYMM) -> list[list[str]]:
    """Valid rows: 3 patients, 3 stays (one undischarged, 00000000), in the given month."""
    ym = f"{yyyymm}"
    stays = [
        (PATIENTS[0], f"{ym}01", f"{ym}15"),
        (PATIENTS[1], f"{ym}03", "00000000"),
        (PATIENTS[2], f"{ym}10", f"{ym}20"),
    ]
    out: list[list[str]] = []
    if kind in ("EFn", "EFg"):
        for s, (pid, adm, dis) in enumerate(stays):
            out += _ef_pair(kind, facility, pid, adm, dis, adm[:6] + f"{int(adm[6:]) + 1:02d}", s + 1)
        return out
    if kind == "D":
        for s, (pid, adm, dis) in enumerate(stays):
            r = _blank("D")
            r.update(
                facility_code=facility,
                data_id=pid,
                discharge_date=dis,
                admission_date=adm,
                data_category="93",
                sequence_no=f"{s + 1:04d}",
                hospital_master_code="930000001",
                receipt_code="930000001",
                act_name="ＤＰＣ包括①",
                act_points="00002500",
                act_drug_points="0",
                act_material_points="0",
                yen_point_flag="0",
                act_count="010",
                insurer_no="06130017" if s else "  200055",
                receipt_type="1120",
                service_date=adm,
                receipt_dept="01",
                clinical_dept="010",
                doctor_code="D000000001",
                ward_code="W01",
                ward_type="0",
                in_out_flag="0",
                billing_start_date=adm,
                billing_end_date=f"{ym}30",
                billing_origin_date=adm,
                dpc_code="040080x099x0xx",
                hospital_coefficient="1.4382",
            )
            out.append(_ordered("D", r))
        return out
    if kind == "FF1":
        for pid, adm, dis in stays:
            # values and versions as the specification's item table gives them (p21–22, p42–52, dpc/specdata)
            items = [
                ("A000010", {"payload_1": "19450310", "payload_2": "1", "payload_3": "1000001"}),
                ("A000020", {"payload_1": adm, "payload_2": "1", "payload_5": "200"}),
                ("A006010", {"payload_2": "J189", "payload_4": "4868003", "payload_9": "肺炎、詳細不明"}),
            ]
            if dis != "00000000":
                items.append(("A000030", {"payload_1": dis, "payload_2": "1", "payload_3": "1", "payload_4": "0"}))
            for code, payload in items:
                r = _blank("FF1")
                r.update(
                    facility_code=facility,
                    data_id=pid,
                    admission_date=adm,
                    admission_seq="0",
                    parent_info_no="0",
                    item_code=code,
                    version="20140401",
                    seq="0",
                    **payload,
                )
                out.append(_ordered("FF1", r))
        return out
    if kind == "H":
        for pid, adm, dis in stays:
            # ASS0013 (p148, version オ 20240601) and TAR0010 (p145, p150: version 20180401)
            h_items = {
                "ASS0013": (
                    "20240601",
                    {
                        "payload_1": "1",
                        "payload_2": "0",
                        "payload_5": "0",
                        "payload_6": "0",
                        "payload_7": "000",
                        "payload_8": "0",
                    },
                ),
                "TAR0010": ("20180401", {"payload_1": "0"}),
            }
            for code, (version, payload) in h_items.items():
                r = _blank("H")
                r.update(
                    facility_code=facility,
                    ward_code="W01",
                    data_id=pid,
                    discharge_date=dis,
                    admission_date=adm,
                    service_date=adm,
                    item_code=code,
                    version=version,
                    seq="0",
                    **payload,
                )
                out.append(_ordered("H", r))
        return out
    if kind == "FF4":  # p140: discharges of the month only
        for pid, adm, dis in stays:
            if dis != "00000000":
                out.append([facility, pid, adm, dis, "1"])
        return out
    if kind == "K":  # p154: synthetic names only; a 6-digit insurer after two spaces; 枝番 left out once
        names = ("ﾔﾏﾀﾞ ﾀﾛｳ", "スズキハナコ", "ｻﾄｳｼﾞﾛｳ")
        for i, (pid, adm, dis) in enumerate(stays):
            row = [
                facility,
                pid,
                adm,
                dis,
                ym,
                names[i],
                "1" if i != 1 else "2",
                f"19{50 + i}0310",
                "  200055" if i == 0 else "06130017",
                "ｷｺﾞｳ",
                f"{1000 + i}",
                "01",
            ]
            out.append(row[:-1] if i == 2 else row)
        return out
    raise KeyError(kind)


def header(kind: str, style: str = "current") -> list[str]:
    """The title row: ``current`` (as published: half-width katakana for 様式1), ``fullwidth`` (NFKC),
    ``hankaku`` (half-width katakana everywhere it exists), ``2015`` (the ≤ 2015 names)."""
    import unicodedata

    out = []
    for c in LAYOUTS[kind].columns:
        if style == "2015" and c.old_ja:
            out.append(c.old_ja[0])
        elif style == "fullwidth":
            out.append(normalise_header_field(c.ja))
        elif style == "hankaku":
            out.append("".join(_HANKAKU.get(ch, ch) for ch in unicodedata.normalize("NFKC", c.ja)))
        else:
            out.append(c.ja)
    return out


_HANKAKU = {
    "コ": "ｺ",
    "ー": "ｰ",
    "ド": "ﾄﾞ",
    "デ": "ﾃﾞ",
    "タ": "ﾀ",
    "バ": "ﾊﾞ",
    "ジ": "ｼﾞ",
    "ョ": "ｮ",
    "ン": "ﾝ",
    "ペ": "ﾍﾟ",
    "イ": "ｲ",
    "ロ": "ﾛ",
    "マ": "ﾏ",
    "ス": "ｽ",
    "ト": "ﾄ",
    "レ": "ﾚ",
    "セ": "ｾ",
    "プ": "ﾌﾟ",
    "シ": "ｼ",
    "テ": "ﾃ",
    "ム": "ﾑ",
    "ヘ": "ﾍ",
    "ッ": "ｯ",
    "フ": "ﾌ",
}


def fixed_width(kind: str, row: list[str], encoding: str = "cp932") -> bytes:
    """One fixed-width record: every field left-justified and space-padded to its width in cp932 bytes."""
    out = b""
    for c, v in zip(LAYOUTS[kind].columns, row, strict=True):
        b = v.encode(encoding)
        assert len(b) <= c.width, (c.name, v)
        out += b + b" " * (c.width - len(b))
    return out


def render(
    kind: str,
    data_rows: list[list[str]],
    *,
    title: str | None = "current",
    encoding: str = "cp932",
    newline: str = "\r\n",
    bom: bool = False,
    fixed: bool = False,
    final_newline: bool = True,
) -> bytes:
    """The bytes of a delivered file. ``title=None`` writes no title row; ``encoding`` is a Python codec."""
    nl = newline.encode("ascii")
    lines: list[bytes] = []
    sep = LAYOUTS[kind].delimiter
    if LAYOUTS[kind].title_row == "none":
        title = None  # 様式4 and K生成用データ are delivered without a title row (p140, p154)
    if title is not None:
        lines.append(sep.join(header(kind, title)).encode(encoding))
    for r in data_rows:
        lines.append(fixed_width(kind, r, encoding) if fixed else sep.join(r).encode(encoding))
    data = nl.join(lines) + (nl if final_newline and lines else b"")
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_delivery(
    lake: Path, files: dict[str, bytes], facility: str = FACILITY, yyyymm: int = YYYYMM, manifest: bool = True
) -> Path:
    """Write files (name → bytes) under lake/raw/yyyymm=…/facility=…/ plus their manifest.json."""
    d = lake / "raw" / f"yyyymm={yyyymm}" / f"facility={facility}"
    d.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (d / name).write_bytes(data)
    if manifest:
        m = build_manifest(facility, yyyymm, [file_facts(n, b) for n, b in files.items()], "tests")
        (d / "manifest.json").write_text(json.dumps(m, ensure_ascii=False, indent=2), encoding="utf-8")
    return d


def all_kinds_delivery(lake: Path, facility: str = FACILITY, yyyymm: int = YYYYMM, **render_kw) -> Path:
    files = {file_name(k, facility, yyyymm): render(k, rows(k, facility, yyyymm), **render_kw) for k in LAYOUTS}
    return write_delivery(lake, files, facility, yyyymm)
