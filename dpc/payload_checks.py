"""Checks of the 様式1 and H payload records against the item tables transcribed from the specification.

A record (one row) names an item by コード and バージョン and carries its values in ペイロード1–9 (様式1, p20) or
1–20 (H, p146). What the specification forbids, and what this module does about it (docs/decisions/0025):

- a record whose every payload is empty must not be written (p20): the record is quarantined
  (``empty_payload_record``);
- a バージョン that is not one of the item's versions (p20, p147): the record is quarantined (``unknown_version``);
- an item code the transcribed table does not list: a warning (``unknown_item``), the record is kept;
- a payload value the item's table forbids (:func:`dpc.payload_items.problem`: outside its code list, a date the
  specification does not allow, the wrong shape, a value in a 空欄 payload): the field is nulled and a finding
  recorded against the record (``payload_unknown_code``, ``payload_invalid_date``, ``payload_bad_format``,
  ``payload_not_blank``).

The rule is :func:`dpc.payload_items.problem`, asked once per distinct item|version|value of a payload column.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from dpc import payload_items
from dpc.layouts import Layout


class Describe(Protocol):
    """What a check says about row ``i`` (a lambda, whose defaults may bind a loop's values)."""

    def __call__(self, i: int, /) -> str: ...


Check = tuple[str, str | None, pa.Array, Describe]
FieldCheck = tuple[str, pa.Array, str, Describe]

# payload_items.problem() answers → the finding recorded when the field is nulled
FIELD_CODES: dict[str, str] = {
    "unknown_code": "payload_unknown_code",
    "invalid_date": "payload_invalid_date",
    "bad_format": "payload_bad_format",
    "not_blank": "payload_not_blank",
    "undefined_payload": "payload_not_blank",
}
_WHAT: dict[str, str] = {
    "unknown_code": "is not in its code list",
    "invalid_date": "is not a date the specification allows",
    "bad_format": "does not have the shape the specification gives",
    "not_blank": "must be empty (空欄)",
    "undefined_payload": "is a payload the item does not define",
}


@cache
def _known(kind: str) -> tuple[pa.Array, pa.Array]:
    table = payload_items.items(kind)  # type: ignore[arg-type]
    versions = sorted(f"{code}|{v}" for code, item in table.items() for v in item.versions)
    return pa.array(sorted(table), pa.string()), pa.array(versions, pa.string())


def _problems(kind: str, n: int, item: pa.Array, version: pa.Array, value: pa.Array, empty: pa.Array) -> pa.Array:
    """payload_items.problem() of each non-empty value (null where none), asked once per distinct item|version|value:
    the rule is written once, in dpc.payload_items, and the same codes and dates repeat across a month's records."""
    # length-prefixed, so that no character a field may hold can make two triples one key
    lengths = pc.binary_join_element_wise(
        pc.cast(pc.utf8_length(item), pa.string()), pc.cast(pc.utf8_length(version), pa.string()), ":"
    )
    key = pc.binary_join_element_wise(lengths, item, version, value, ":")
    key = pc.if_else(empty, pa.scalar(None, pa.string()), key)
    if isinstance(key, pa.ChunkedArray):
        key = key.combine_chunks()
    encoded = pc.dictionary_encode(key)
    answers = []
    for k in encoded.dictionary.to_pylist():
        n_code, n_ver, rest = k.split(":", 2)
        code, ver, val = (
            rest[: int(n_code)],
            rest[int(n_code) + 1 : int(n_code) + 1 + int(n_ver)],
            rest[int(n_code) + int(n_ver) + 2 :],
        )
        answer = payload_items.problem(kind, code, ver, n, val)  # type: ignore[arg-type]
        # the item or its version is reported once per record, not per payload
        answers.append(None if answer in (None, "unknown_item", "unknown_version") else answer)
    return pc.take(pa.array(answers, pa.string()), encoded.indices)


def _page(kind: str, item_code: str, version: str, n: int, default: str) -> str:
    p = payload_items.payload(kind, item_code, version, n)  # type: ignore[arg-type]
    return f"p{p.rule_page or p.page}" if p is not None else default


def payload_checks(
    layout: Layout, cols: dict[str, pa.Array], empties: dict[str, pa.Array]
) -> tuple[list[Check], list[FieldCheck], list[Check]]:
    """(record checks → quarantine, field checks → null + finding, warnings) for a 様式1 or H chunk."""
    payload_names = [c.name for c in layout.columns if c.name.startswith("payload_")]
    item, version = cols["item_code"], cols["version"]
    items, versions = _known(layout.kind)
    page = "p20" if layout.kind == "FF1" else "p146"
    record: list[Check] = []
    fields: list[FieldCheck] = []
    warns: list[Check] = []

    all_empty = empties[payload_names[0]]
    for name in payload_names[1:]:
        all_empty = pc.and_(all_empty, empties[name])
    record.append(
        (
            "empty_payload_record",
            None,
            all_empty,
            lambda i: f"every payload of item {item[i].as_py()!r} is empty: such a record is not written ({page})",
        )
    )
    known_item = pc.is_in(item, items)
    warns.append(
        (
            "unknown_item",
            "item_code",
            pc.and_(pc.invert(empties["item_code"]), pc.invert(known_item)),
            lambda i: f"item code {item[i].as_py()!r} is not in the transcribed {layout.kind} item table (kept)",
        )
    )
    pair = pc.binary_join_element_wise(item, version, "|")
    record.append(
        (
            "unknown_version",
            "version",
            pc.and_(known_item, pc.invert(pc.is_in(pair, versions))),
            lambda i: (
                f"バージョン {version[i].as_py()!r} is not a version of item {item[i].as_py()!r} "
                f"({', '.join(sorted(payload_items.versions(layout.kind, item[i].as_py())))}; {page})"  # type: ignore[arg-type]
            ),
        )
    )
    for n, name in enumerate(payload_names, start=1):
        empty = empties[name]
        if pc.all(empty).as_py():
            continue
        answers = _problems(layout.kind, n, item, version, cols[name], empty)
        if answers.null_count == len(answers):
            continue
        for answer, finding in FIELD_CODES.items():
            mask = pc.fill_null(pc.equal(answers, answer), False)
            if not pc.any(mask).as_py():
                continue
            # the value is not repeated: payloads hold dates of birth and other personal data (p21)
            fields.append(
                (
                    name,
                    mask,
                    finding,
                    lambda i, n=n, a=answer: (
                        f"{item[i].as_py()} ペイロード{n} {_WHAT[a]} "
                        f"({_page(layout.kind, item[i].as_py(), version[i].as_py(), n, page)}): nulled"
                    ),
                )
            )
    return record, fields, warns
