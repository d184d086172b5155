"""The reader against the specification's own worked examples (令和7年度 DPC調査 実施説明資料).

Each file of tests/fixtures/spec/examples.yml is delivered as hospitals deliver it (cp932, CRLF line ends) and read
with dpc.readers.read_delivered_file. The examples file says, per file, what a reader that follows the specification
must make of it: the kind, the title row, how many rows it accepts and quarantines and why, some typed values, the
findings it records on kept rows. Where a worked example has an error of its own, the fixture either corrects it or
keeps it and expects the reader's finding; examples.yml documents each case (docs/decisions/0026).

The expectations come from the specification, not from today's reader: a failure here is a reader that does not yet
do what the specification says, never a reason to change an expectation.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "spec"
EXAMPLES: list[dict[str, Any]] = yaml.safe_load((SPEC / "examples.yml").read_text(encoding="utf-8"))["examples"]

# columns per kind, in order (the project's names, docs/decisions and the layout tables p19-20, p140, p146, p154,
# p199, p200, p207)
_EF = [
    "facility_code", "data_id", "discharge_date", "admission_date", "data_category", "sequence_no", "detail_no",
    "hospital_master_code", "receipt_code", "interpretation_no", "item_name", "quantity", "unit_code", "item_points",
    "yen_point_flag", "ffs_points", "detail_flags", "act_points", "act_drug_points", "act_material_points",
    "act_count", "insurer_no", "receipt_type", "service_date", "receipt_dept", "clinical_dept", "doctor_code",
    "ward_code", "ward_type", "in_out_flag", "facility_type",
]  # fmt: skip
COLUMNS: dict[str, list[str]] = {
    "FF1": [
        "facility_code", "data_id", "admission_date", "admission_seq", "parent_info_no", "item_code", "version", "seq",
        *(f"payload_{i}" for i in range(1, 10)),
    ],
    "FF4": ["facility_code", "data_id", "admission_date", "discharge_date", "non_insurance_combination"],
    "H": [
        "facility_code", "ward_code", "data_id", "discharge_date", "admission_date", "service_date", "item_code",
        "version", "seq", *(f"payload_{i}" for i in range(1, 21)),
    ],
    "EFn": _EF,
    "EFg": [*_EF[:2], "birth_date", "visit_date", *_EF[4:]],
    "D": [
        "facility_code", "data_id", "discharge_date", "admission_date", "data_category", "sequence_no",
        "hospital_master_code", "receipt_code", "interpretation_no", "act_name", "act_points", "act_drug_points",
        "act_material_points", "yen_point_flag", "act_count", "insurer_no", "receipt_type", "service_date",
        "receipt_dept", "clinical_dept", "doctor_code", "ward_code", "ward_type", "in_out_flag", "facility_type",
        "billing_start_date", "billing_end_date", "billing_origin_date", "dpc_code", "hospital_coefficient",
    ],
    "K": [
        "facility_code", "data_id", "admission_date", "discharge_date", "service_month", "kana_name", "sex",
        "birth_date", "insurer_no", "insured_symbol", "insured_number", "branch_no",
    ],
}  # fmt: skip
SEPARATOR = {"K": ","}


def _pages(pages: list[int]) -> str:
    return "p" + ",".join(str(p) for p in pages)


def _cases(select: str | None = None) -> list[Any]:
    out = []
    for ex in EXAMPLES:
        for f in ex["files"]:
            if select and not f.get(select):
                continue
            test_id = ex["id"] if len(ex["files"]) == 1 else f"{ex['id']}-{f['name']}"
            out.append(pytest.param(ex, f, id=f"{test_id}[{_pages(ex['pages'])}]"))
    return out


def _text(ex: dict[str, Any], f: dict[str, Any]) -> str:
    return (SPEC / ex["id"] / f["name"]).read_text(encoding="utf-8")


def _delivered(text: str) -> bytes:
    """The file as a hospital delivers it: cp932 with CRLF line ends."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp932")


@functools.cache
def _read(example_id: str, name: str, text: str | None = None) -> Any:
    from dpc.readers import read_delivered_file

    ex = next(e for e in EXAMPLES if e["id"] == example_id)
    f = next(x for x in ex["files"] if x["name"] == name)
    data = _delivered(text if text is not None else _text(ex, f))
    return read_delivered_file(name, data, expected_facility=ex["facility_code"], expected_yyyymm=ex["yyyymm"])


def _row(accepted: Any, line: int) -> dict[str, Any] | None:
    numbers = [int(n) if n is not None else None for n in accepted.column("line_number").to_pylist()]
    hits = [i for i, n in enumerate(numbers) if n == line]
    if len(hits) != 1:
        return None
    return {name: accepted.column(name)[hits[0]].as_py() for name in accepted.column_names}


# ---------------------------------------------------------------------------------------------------------------------
# the fixtures themselves (independent of the reader)


@pytest.mark.parametrize(("ex", "f"), _cases())
def test_fixture_is_what_examples_yml_says(ex: dict[str, Any], f: dict[str, Any]) -> None:
    """Row and column counts, file name and encodability: the fixture matches its entry."""
    text = _text(ex, f)
    assert text.endswith("\n") and "\r" not in text
    lines = text.split("\n")[:-1]
    sep = SEPARATOR.get(f["kind"], "\t")
    width = len(COLUMNS[f["kind"]])
    assert all(len(line.split(sep)) == width for line in lines), f"every line has {width} fields"
    assert len(lines) - (1 if f["title_row"] else 0) == f["data_rows"]
    assert f["accepted"] + f["quarantined"] == f["data_rows"]
    assert sum(f.get("reasons", {}).values()) == f["quarantined"]
    _delivered(text)  # cp932 can carry every character
    yymm = f"{ex['yyyymm'] % 10000:04d}"
    assert f["name"].split("_")[1:] == [ex["facility_code"], f"{yymm}.{'csv' if f['kind'] == 'K' else 'txt'}"]
    for t in f.get("typed", []):
        assert t["column"] in COLUMNS[f["kind"]], t
        assert 1 <= t["line"] <= len(lines), t
        value = lines[t["line"] - 1].split(sep)[COLUMNS[f["kind"]].index(t["column"])]
        if t["value"] is None:
            assert value in ("", "NULL", "Null", "null") or "findings" in f, (t, value)
        else:
            assert value == t["value"], (t, value)


# ---------------------------------------------------------------------------------------------------------------------
# the reader


@pytest.mark.parametrize(("ex", "f"), _cases())
def test_reads_as_the_specification_says(ex: dict[str, Any], f: dict[str, Any]) -> None:
    r = _read(ex["id"], f["name"])
    got = {
        "kind": r.kind,
        "header": r.header,
        "data_rows": r.data_rows,
        "accepted": r.accepted.num_rows,
        "quarantined": len(r.quarantined),
        "reasons": dict(r.reasons),
    }
    want = {
        "kind": f["kind"],
        "header": f["title_row"],
        "data_rows": f["data_rows"],
        "accepted": f["accepted"],
        "quarantined": f["quarantined"],
        "reasons": f.get("reasons", {}),
    }
    detail = [f"{q.line}: {q.reason_code} {q.column}: {q.reason}" for q in r.quarantined[:20]]
    assert got == want, "\n".join(detail)


@pytest.mark.parametrize(("ex", "f"), _cases("typed"))
def test_typed_values(ex: dict[str, Any], f: dict[str, Any]) -> None:
    r = _read(ex["id"], f["name"])
    wrong = []
    for t in f["typed"]:
        row = _row(r.accepted, t["line"])
        if row is None:
            wrong.append(f"line {t['line']}: not exactly one accepted row")
            continue
        if t["column"] not in row:
            wrong.append(f"line {t['line']}: no column {t['column']}")
            continue
        value = row[t["column"]]
        if t["value"] is None:
            if (value if value is not None else "") != "":
                wrong.append(
                    f"line {t['line']} {t['column']}: {value!r}, want empty (the specification prints NULL/blank)"
                )
        elif value != t["value"]:
            wrong.append(f"line {t['line']} {t['column']}: {value!r}, want {t['value']!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("ex", "f"), _cases("findings"))
def test_findings_on_kept_rows(ex: dict[str, Any], f: dict[str, Any]) -> None:
    """docs/decisions/0025: a forbidden payload value nulls the field and is recorded; the row is kept."""
    r = _read(ex["id"], f["name"])
    recorded = [*getattr(r, "field_findings", []), *r.warnings, *r.quarantined]
    missing = []
    for want in f["findings"]:
        codes = {want["reason_code"], f"payload_{want['reason_code']}"}
        if not any(x.line == want["line"] and x.column == want["column"] and x.reason_code in codes for x in recorded):
            missing.append(f"line {want['line']} {want['column']}: {want['reason_code']}")
    assert not missing, "no finding recorded for:\n" + "\n".join(missing)


GAPS = [(ex, f) for ex in EXAMPLES for f in ex["files"] if f.get("not_yet_checked")]


@pytest.mark.parametrize(("ex", "f"), GAPS, ids=[f"{ex['id']}" for ex, _ in GAPS])
def test_conditional_requirements_are_an_open_gap(ex: dict[str, Any], f: dict[str, Any]) -> None:
    """The 様式1 payloads required only under a condition (※A, ※D …, p21–22) are not checked yet. This test pins
    that gap: when the conditions are implemented it fails, and the findings move to ``findings:``."""
    r = _read(ex["id"], f["name"])
    recorded = [*r.field_findings, *r.warnings, *r.quarantined]
    for want in f["not_yet_checked"]:
        assert not any(x.line == want["line"] and x.column == want["column"] for x in recorded), want


def test_title_row_in_the_wording_of_p200() -> None:
    """p200 also calls EF-9 レセプト電算コード (E8/F9 column): a title row in that wording is still a title row."""
    ex = next(e for e in EXAMPLES if e["id"] == "efn_p228")
    f = ex["files"][0]
    canonical = _text(ex, f)
    title, rest = canonical.split("\n", 1)
    assert "\tレセプト電算処理システム用コード\t" in title
    variant = title.replace("\tレセプト電算処理システム用コード\t", "\tレセプト電算コード\t") + "\n" + rest
    r = _read(ex["id"], f["name"], variant)
    assert (r.kind, r.header, r.data_rows, r.accepted.num_rows) == ("EFn", True, f["data_rows"], f["accepted"])
    assert any(w.reason_code == "title_wording" and w.column == "receipt_code" for w in r.warnings), r.warnings


@pytest.mark.parametrize("ex", [pytest.param(ex, id=f"{ex['id']}[{_pages(ex['pages'])}]") for ex in EXAMPLES])
def test_each_example_normalises_as_one_delivery_that_reconciles(
    ex: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example laid out as a delivery (raw/yyyymm=…/facility=…/ with its manifest) goes through the normaliser:
    every file whose rows are all forbidden rejects the delivery, otherwise delivered rows = staged + quarantined
    per file, and no データ識別番号, カナ氏名 or insurance number of the example is in any file the run leaves."""
    import pyarrow.parquet as pq

    from dpc.readers import FileRejected
    from dpc.steps.normalise import normalise_delivery
    from dpc.storage import LocalStorage
    from tests.python import fixtures_dpc as F

    monkeypatch.setenv("DPC_LINK_KEY", "cd" * 32)
    files = {f["name"]: _delivered(_text(ex, f)) for f in ex["files"]}
    F.write_delivery(tmp_path, files, ex["facility_code"], ex["yyyymm"])
    storage = LocalStorage(tmp_path)
    if any(f["data_rows"] > 0 and f["accepted"] == 0 for f in ex["files"]):
        with pytest.raises(FileRejected, match="none of its"):
            normalise_delivery(storage, storage, ex["facility_code"], ex["yyyymm"], key=b"k" * 32, load_id="t")
        return
    result = normalise_delivery(storage, storage, ex["facility_code"], ex["yyyymm"], key=b"k" * 32, load_id="t")
    by_name = {f["name"]: f for f in ex["files"]}
    for got in result.files:
        want = by_name[got.source_file]
        assert (got.delivered, got.accepted, got.quarantined) == (
            want["data_rows"],
            want["accepted"],
            want["quarantined"],
        )
    secrets = set()
    for f in ex["files"]:
        columns = COLUMNS[f["kind"]]
        for line in _text(ex, f).splitlines()[1 if f["title_row"] else 0 :]:
            fields = line.split(SEPARATOR.get(f["kind"], "\t"))
            for name in ("data_id", "kana_name", "insured_symbol", "insured_number"):
                if name in columns and len(fields) > columns.index(name) and len(fields[columns.index(name)]) >= 4:
                    secrets.add(fields[columns.index(name)].strip())
    for p in tmp_path.rglob("*"):
        if p.is_file() and "raw" not in p.parts:
            text = p.read_bytes().decode("utf-8", errors="replace")
            if p.suffix == ".parquet":
                text += str(pq.read_table(p).to_pylist())
            assert not [s for s in secrets if s in text], p
