"""Normalise one delivery (facility × month): raw files → typed, pseudonymised Parquet per kind (docs/decisions/0002–0003).

For each file listed in the delivery's manifest (``raw/yyyymm=…/facility=…/manifest.json``), the shared
readers (:func:`dpc.readers.read_delivered_file`, the same code as ``dpc inspect``) decode and check it;
accepted rows are typed per layout (:func:`normalised_schema`), データ識別番号 is replaced by
``patient_key`` (HMAC-SHA256, :mod:`dpc.pseudonymise`), birth dates are reduced to ages, 様式1 postal
codes to their first 3 digits, and lineage columns are appended. Output, one complete version of this
facility-month (a load replaces exactly its delivery, :mod:`dpc.steps.load`):

- ``stage/<slug>/yyyymm=YYYYMM/facility=FFFFFFFFF/load=<load id>/part-0.parquet`` for every kind (0 rows when
  absent), under the load's own prefix (docs/decisions/0011: visible only once the load is recorded);
- ``stage/quarantine_<slug>/yyyymm=…/facility=…/load=<load id>/part-0.parquet`` with one row per quarantined line
  (:func:`quarantine_schema`; ``raw_line`` carries the pseudonym, never the clear データ識別番号).

Reconciliation holds per file: delivered data rows = accepted + quarantined.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dpc.kana import KANA_NORMALISATION_VERSION
from dpc.layouts import KIND_SLUG, LAYOUTS, Layout, kind_for_filename
from dpc.linkkey import LinkKeyer, link_keys, load_link_keyer
from dpc.manifest import MANIFEST_NAME
from dpc.pseudonymise import load_key, patient_key
from dpc.readers import FileRejected, Finding, ReadResult, read_delivered_file, reject_if_nothing_accepted
from dpc.steps.identifiers import delete_after_normalising, deletion_marker, holds_direct_identifiers
from dpc.storage import STAGE_FILE, Storage, delivery_prefix, load_prefix, stage_prefix

DECIMAL = pa.decimal128(18, 4)
LOADED_AT = pa.timestamp("us", tz="UTC")
_ARROW_TYPE = {
    "str": pa.string(),
    "code": pa.string(),
    "token": pa.string(),
    "date": pa.string(),
    "int": pa.int64(),
    "decimal": DECIMAL,
}
# K生成用データ (p154): every direct identifier and the birth date are dropped; the link key stands for them
_K_DROPPED = frozenset({"birth_date"})


def _lineage_fields() -> list[pa.Field]:
    return [
        pa.field("yyyymm", pa.int32(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("line_number", pa.int64(), nullable=False),
        pa.field("load_id", pa.string(), nullable=False),
        pa.field("loaded_at", LOADED_AT, nullable=False),
    ]


def normalised_schema(kind: str) -> pa.Schema:
    """The Arrow schema of stage/<slug>/ for a kind: the layout's columns typed, then the lineage columns.

    str/code/token/date → string (dates stay 'yyyymmdd', '00000000' kept; empty and NULL → null); int → int64;
    decimal → decimal128(18, 4); データ識別番号 → ``patient_key`` (64 hex, per facility); EFg 生年月日 →
    ``age_at_visit`` (int64); EF/D 保険者番号 → ``insurer_class`` (:func:`insurer_class`); 様式1 gets
    ``age_at_admission`` (int64) after payload_9, then ``neonatal_age_days_at_admission`` (int64: whole days from
    birth to admission, kept only under 28 days — the 新生児 the 病院指標 exclusion of a death within 7 days of birth
    needs, docs/hospital-indicators.md — and null for every older patient, so that no birth date can be recovered
    from admission date and age in days); K生成用データ loses its
    direct identifiers (カナ氏名, insurance numbers) and birth date and gets ``link_key`` (64 hex or null: the
    cross-facility link key, docs/pseudonymisation.md) and ``kana_normalisation_version``.
    """
    layout = LAYOUTS[kind]
    fields: list[pa.Field] = []
    for c in layout.columns:
        if c.type == "pid":
            fields.append(pa.field("patient_key", pa.string()))
        elif c.type == "direct" or (kind == "K" and c.name in _K_DROPPED):
            continue
        elif kind == "EFg" and c.name == "birth_date":
            fields.append(pa.field("age_at_visit", pa.int64()))
        elif c.type == "insurer":
            fields.append(pa.field("insurer_class", pa.string()))
        else:
            fields.append(pa.field(c.name, _ARROW_TYPE[c.type]))
    if kind == "FF1":
        fields.append(pa.field("age_at_admission", pa.int64()))
        fields.append(pa.field("neonatal_age_days_at_admission", pa.int64()))
    if kind == "K":
        fields += [pa.field("link_key", pa.string()), pa.field("kana_normalisation_version", pa.string())]
    return pa.schema(fields + _lineage_fields())


def quarantine_schema() -> pa.Schema:
    """stage/quarantine_<slug>/ (and dq.quarantine_<kind>): one row per quarantined line, pseudonymised."""
    return pa.schema(
        [
            pa.field("facility_code", pa.string(), nullable=False),
            pa.field("yyyymm", pa.int32(), nullable=False),
            pa.field("kind", pa.string(), nullable=False),
            pa.field("source_file", pa.string(), nullable=False),
            pa.field("line_number", pa.int64(), nullable=False),
            pa.field("column_name", pa.string()),
            pa.field("reason_code", pa.string(), nullable=False),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("raw_line", pa.string()),
            # quarantined = the row was taken out; field_nulled = the row was kept with one field nulled
            pa.field("disposition", pa.string(), nullable=False),
            pa.field("load_id", pa.string(), nullable=False),
            pa.field("loaded_at", LOADED_AT, nullable=False),
        ]
    )


@dataclass
class FileResult:
    source_file: str
    kind: str
    layout_variant: str
    encoding: str
    header: bool
    delivered: int
    accepted: int
    quarantined: int
    warnings: int
    reasons: dict[str, int]
    warning_reasons: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class NormaliseResult:
    facility_code: str
    yyyymm: int
    load_id: str
    files: list[FileResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)  # slug → key written

    def rows_by_kind(self) -> dict[str, dict[str, int]]:
        out: dict[str, Counter[str]] = {}
        for f in self.files:
            c = out.setdefault(f.kind, Counter())
            c.update(delivered=f.delivered, accepted=f.accepted, quarantined=f.quarantined, warnings=f.warnings)
        return {k: dict(v) for k, v in out.items()}

    def as_dict(self) -> dict[str, object]:
        return {
            "facility_code": self.facility_code,
            "yyyymm": self.yyyymm,
            "load_id": self.load_id,
            "files": [f.as_dict() for f in self.files],
            "by_kind": self.rows_by_kind(),
            "outputs": dict(self.outputs),
        }


def _null_if_empty(arr: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _age(birth: pa.ChunkedArray | pa.Array, at: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Whole years between two 'yyyymmdd' strings (null when either is null/unknown)."""
    ok = pc.and_(pc.match_substring_regex(birth, r"^\d{8}$"), pc.match_substring_regex(at, r"^\d{8}$"))
    ok = pc.and_(ok, pc.and_(pc.not_equal(birth, "00000000"), pc.not_equal(at, "00000000")))
    # a partly unknown birth date (19710000, 19710500: p42, p154) or a yyyymm00 visit month gives no exact age
    ok = pc.and_(ok, pc.and_(pc.invert(pc.ends_with(birth, "00")), pc.invert(pc.ends_with(at, "00"))))
    b = pc.if_else(ok, birth, "00000000")
    a = pc.if_else(ok, at, "00000000")
    years = pc.subtract(
        pc.utf8_slice_codeunits(a, 0, 4).cast(pa.int64()), pc.utf8_slice_codeunits(b, 0, 4).cast(pa.int64())
    )
    before_birthday = pc.less(pc.utf8_slice_codeunits(a, 4, 8), pc.utf8_slice_codeunits(b, 4, 8))
    age = pc.subtract(years, pc.cast(before_birthday, pa.int64()))
    return pc.if_else(ok, age, pa.scalar(None, pa.int64()))


NEONATAL_DAYS = 28
"""Ages in days are kept under this many days only (新生児: the first 28 days of life)."""


def _neonatal_age_days(birth: pa.ChunkedArray | pa.Array, at: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Whole days between two 'yyyymmdd' strings when fewer than :data:`NEONATAL_DAYS`, else null (also null when
    either date is missing, partly unknown or not a calendar date)."""
    ok = pc.and_(pc.match_substring_regex(birth, r"^\d{8}$"), pc.match_substring_regex(at, r"^\d{8}$"))
    ok = pc.and_(ok, pc.and_(pc.invert(pc.ends_with(birth, "00")), pc.invert(pc.ends_with(at, "00"))))
    ok = pc.fill_null(ok, False)
    b = pc.strptime(pc.if_else(ok, birth, "19700101"), format="%Y%m%d", unit="s", error_is_null=True)
    a = pc.strptime(pc.if_else(ok, at, "19700101"), format="%Y%m%d", unit="s", error_is_null=True)
    days = pc.days_between(b, a)
    keep = pc.and_(ok, pc.and_(pc.greater_equal(days, 0), pc.less(days, NEONATAL_DAYS)))
    return pc.if_else(pc.fill_null(keep, False), pc.cast(days, pa.int64()), pa.scalar(None, pa.int64()))


def insurer_class(numbers: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """保険者番号 (p197 E-16: 8 digits, or 6 digits after two spaces) → its class: the 法別番号 (first two digits) of
    an 8-digit number, ``kokuho`` for a 6-digit 国民健康保険 number, ``other`` for any other shape, null when empty.
    The number itself names one insurer and is listed among the direct identifiers (docs/decisions/0003)."""
    stripped = pc.utf8_trim_whitespace(numbers)
    eight = pc.match_substring_regex(stripped, r"^\d{8}$")
    six = pc.match_substring_regex(stripped, r"^\d{6}$")
    out = pc.if_else(
        eight, pc.utf8_slice_codeunits(stripped, 0, 2), pc.if_else(six, pa.scalar("kokuho"), pa.scalar("other"))
    )
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), out)


def _pseudonymise_memo(
    ids: pa.ChunkedArray | pa.Array, key: bytes, memo: dict[str, str], facility_code: str
) -> pa.Array:
    """:func:`dpc.pseudonymise.patient_keys` with one HMAC per distinct id per delivery: the files of a
    delivery (one facility) share their patients, and a chunked column would otherwise hash its ids once per chunk."""
    stripped = pc.utf8_trim_whitespace(ids)
    if isinstance(stripped, pa.ChunkedArray):
        stripped = stripped.combine_chunks()
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    encoded = pc.dictionary_encode(stripped)
    values = encoded.dictionary.to_pylist()
    for v in values:
        if v not in memo:
            memo[v] = patient_key(facility_code, v, key)
    return pc.take(pa.array([memo[v] for v in values], pa.string()), encoded.indices)


def typed_table(
    result: ReadResult,
    key: bytes,
    *,
    yyyymm: int,
    source_file: str,
    load_id: str,
    loaded_at: datetime,
    memo: dict[str, str] | None = None,
    facility_code: str | None = None,
    link_keyer: LinkKeyer | None = None,
) -> pa.Table:
    """The accepted rows of one read file, typed as :func:`normalised_schema` says (``memo``: pseudonyms already
    computed for this key, shared by the files of a delivery; ``link_keyer``: the link key's keyer, K only)."""
    memo = {} if memo is None else memo
    kind = result.kind
    layout: Layout = LAYOUTS[kind]
    schema = normalised_schema(kind)
    acc = result.accepted
    n = acc.num_rows
    facility = facility_code or result.facility_code
    if facility is None:
        raise ValueError(f"{result.name}: the delivery's facility is needed to pseudonymise データ識別番号")
    cols: list[pa.ChunkedArray | pa.Array] = []
    for c in layout.columns:
        raw = _null_if_empty(acc[c.name])
        if c.type == "pid":
            cols.append(_pseudonymise_memo(raw, key, memo, facility))
        elif c.type == "direct" or (kind == "K" and c.name in _K_DROPPED):
            continue
        elif kind == "EFg" and c.name == "birth_date":
            cols.append(_age(raw, _null_if_empty(acc["visit_date"])))
        elif c.type == "insurer":
            cols.append(insurer_class(acc[c.name]))
        elif c.type in ("int", "decimal"):
            cols.append(pc.cast(raw, _ARROW_TYPE[c.type]))
        else:
            cols.append(raw)
    if kind == "FF1":
        names = layout.names
        is_birth = pc.fill_null(pc.equal(acc["item_code"], "A000010"), False)
        p1, p3 = names.index("payload_1"), names.index("payload_3")
        admitted = cols[names.index("admission_date")]
        age = _age(cols[p1], admitted)
        cols.append(pc.if_else(is_birth, age, pa.scalar(None, pa.int64())))
        neonatal = _neonatal_age_days(cols[p1], admitted)
        cols.append(pc.if_else(is_birth, neonatal, pa.scalar(None, pa.int64())))
        cols[p1] = pc.if_else(is_birth, pa.scalar(None, pa.string()), cols[p1])
        cols[p3] = pc.if_else(is_birth, pc.utf8_slice_codeunits(cols[p3], 0, 3), cols[p3])
    if kind == "K":
        keyer = link_keyer if link_keyer is not None else load_link_keyer()
        links = link_keys(acc["birth_date"], acc["kana_name"], acc["sex"], keyer)
        cols += [pa.array(links, pa.string()), pa.repeat(pa.scalar(KANA_NORMALISATION_VERSION, pa.string()), n)]
    cols += [
        pa.repeat(pa.scalar(yyyymm, pa.int32()), n),
        pa.repeat(pa.scalar(source_file, pa.string()), n),
        acc["line_number"],
        pa.repeat(pa.scalar(load_id, pa.string()), n),
        pa.repeat(pa.scalar(loaded_at, LOADED_AT), n),
    ]
    # chunked columns stay chunked (no copy); Parquet does not care how each column is chunked
    return pa.Table.from_arrays(
        [c if isinstance(c, pa.ChunkedArray) else pa.chunked_array([c], c.type) for c in cols], schema=schema
    )


def quarantine_table(
    result: ReadResult, *, facility_code: str, yyyymm: int, source_file: str, load_id: str, loaded_at: datetime
) -> pa.Table:
    q: list[Finding] = [*result.quarantined, *result.field_findings]
    n = len(q)
    disposition = ["quarantined"] * len(result.quarantined) + ["field_nulled"] * len(result.field_findings)
    return pa.Table.from_pydict(
        {
            "facility_code": [facility_code] * n,
            "yyyymm": [yyyymm] * n,
            "kind": [result.kind] * n,
            "source_file": [source_file] * n,
            "line_number": [f.line for f in q],
            "column_name": [f.column for f in q],
            "reason_code": [f.reason_code for f in q],
            "reason": [f.reason for f in q],
            "raw_line": [f.raw_line for f in q],
            "disposition": disposition,
            "load_id": [load_id] * n,
            "loaded_at": [loaded_at] * n,
        },
        schema=quarantine_schema(),
    )


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


class _FileColumns(TypedDict):
    """The lineage values every table of one delivered file carries (keyword arguments of typed/quarantine_table)."""

    yyyymm: int
    source_file: str
    load_id: str
    loaded_at: datetime


def delivery_files(storage: Storage, facility_code: str, yyyymm: int) -> list[str]:
    """The delivered file names: from manifest.json when present, else every file of the delivery prefix."""
    import json

    prefix = delivery_prefix("raw", facility_code, yyyymm)
    if storage.exists(prefix + MANIFEST_NAME):
        manifest = json.loads(storage.read_bytes(prefix + MANIFEST_NAME).decode("utf-8"))
        return [str(f["name"]) for f in manifest.get("files", [])]
    return [k[len(prefix) :] for k in storage.list(prefix) if not k.endswith("/" + MANIFEST_NAME)]


def normalise_delivery(
    source: Storage,
    target: Storage,
    facility_code: str,
    yyyymm: int,
    *,
    key: bytes | None = None,
    load_id: str,
    loaded_at: datetime | None = None,
) -> NormaliseResult:
    """Normalise one delivery; raises :class:`dpc.readers.FileRejected` when a file is rejected (nothing written)."""
    key = load_key() if key is None else key
    loaded_at = loaded_at or datetime.now(UTC)
    if loaded_at.tzinfo is None:
        loaded_at = loaded_at.replace(tzinfo=UTC)
    prefix = delivery_prefix("raw", facility_code, yyyymm)
    result = NormaliseResult(facility_code, int(yyyymm), load_id)
    memo: dict[str, str] = {}  # pseudonyms of this delivery's patients, shared by its files
    keyer: LinkKeyer | None = None
    data_tables: dict[str, list[pa.Table]] = {k: [] for k in LAYOUTS}
    q_tables: dict[str, list[pa.Table]] = {k: [] for k in LAYOUTS}
    identifying: dict[str, tuple[str, FileResult]] = {}  # raw files to delete once normalised: name → (sha, result)
    kept_kinds: dict[str, dict[str, str]] = {}  # kinds whose raw file was deleted after an earlier normalise:
    # their outputs (layer → key) are carried into this load's prefix
    # read everything first: a rejected file must leave stage untouched
    for name in delivery_files(source, facility_code, yyyymm):
        if kind_for_filename(name) is None and name.lower().endswith((".json", ".md", ".pdf")):
            continue
        if holds_direct_identifiers(name) and not source.exists(prefix + name):
            marker = deletion_marker(source, facility_code, yyyymm, name)
            previous = None if marker is None else marker.get("result")
            if isinstance(previous, dict):
                # normalised before and deleted on purpose: keep what it produced (its link keys cannot be redone)
                kind = str(kind_for_filename(name))
                kept_kinds[kind] = _earlier_outputs(marker or {}, kind, facility_code, yyyymm)
                result.files.append(FileResult(**previous))
                continue
        data = source.read_bytes(prefix + name)
        read = read_delivered_file(
            prefix + name,
            data,
            expected_yyyymm=int(yyyymm),
            expected_facility=facility_code,
            key=key,
        )
        reject_if_nothing_accepted(read)
        common: _FileColumns = {"yyyymm": int(yyyymm), "source_file": name, "load_id": load_id, "loaded_at": loaded_at}
        if read.kind == "K" and keyer is None:
            keyer = load_link_keyer()
        typed = typed_table(read, key, memo=memo, facility_code=facility_code, link_keyer=keyer, **common)
        data_tables[read.kind].append(typed)
        q_tables[read.kind].append(quarantine_table(read, facility_code=facility_code, **common))
        file_result = FileResult(
            source_file=name,
            kind=read.kind,
            layout_variant=read.layout_variant,
            encoding=read.encoding,
            header=read.header,
            delivered=read.data_rows,
            accepted=read.accepted.num_rows,
            quarantined=len(read.quarantined),
            warnings=len(read.warnings),
            reasons=read.reasons,
            warning_reasons=read.warning_reasons,
        )
        result.files.append(file_result)
        if holds_direct_identifiers(name):
            identifying[name] = (hashlib.sha256(data).hexdigest(), file_result)
    for kind, slug in KIND_SLUG.items():
        for out_slug, tables, schema in (
            (slug, data_tables[kind], normalised_schema(kind)),
            (f"quarantine_{slug}", q_tables[kind], quarantine_schema()),
        ):
            # a new prefix per load, never an overwrite: nothing reads it until the load is recorded (0011)
            out_key = load_prefix(out_slug, facility_code, yyyymm, load_id) + STAGE_FILE
            if kind in kept_kinds:
                data = target.read_bytes(kept_kinds[kind][out_slug])
            else:
                data = _parquet_bytes(pa.concat_tables(tables) if tables else schema.empty_table())
            target.write_bytes(out_key, data)
            result.outputs[out_slug] = out_key
    # the raw K生成用データ holds names and insurance numbers: deleted once its link keys are written (never archived)
    for name, (sha256, file_result) in identifying.items():
        slug = KIND_SLUG[file_result.kind]
        outputs = {s: result.outputs[s] for s in (slug, f"quarantine_{slug}")}
        delete_after_normalising(source, facility_code, yyyymm, name, sha256, file_result.as_dict(), outputs)
    return result


def _earlier_outputs(marker: dict[str, object], kind: str, facility_code: str, yyyymm: int) -> dict[str, str]:
    """layer → key of the files an earlier normalise wrote for a kind whose raw file is gone (K, 0003)."""
    outputs = marker.get("outputs")
    if isinstance(outputs, dict) and outputs:
        return {str(k): str(v) for k, v in outputs.items()}
    slug = KIND_SLUG[kind]  # a marker from before versioned prefixes: the file was at the delivery's prefix
    return {s: stage_prefix(s, facility_code, yyyymm) + STAGE_FILE for s in (slug, f"quarantine_{slug}")}


__all__ = [
    "FileRejected",
    "FileResult",
    "NormaliseResult",
    "normalise_delivery",
    "normalised_schema",
    "quarantine_schema",
    "typed_table",
]
