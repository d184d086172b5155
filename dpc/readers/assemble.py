"""The accepted table of a whole file, from its parsed and checked chunks: exact duplicate rows quarantined
(the first one kept), every row of a unit whose key has a fault quarantined (docs/decisions/0025), and the
file-level warnings on kept rows (values wider than the layout, a complete last line without a line end)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from dpc.readers.context import ReadContext
from dpc.readers.findings import Finding
from dpc.readers.parse import empty_accepted
from dpc.readers.row_checks import unit_keys


def assemble(
    ctx: ReadContext, chunks: list[tuple[dict[str, pa.Array], pa.Array, pa.Array | None]]
) -> tuple[pa.Table, list[Finding]]:
    accepted, findings = _drop_duplicates(ctx, chunks)
    if not ctx.unit_faults or accepted.num_rows == 0:
        return accepted, findings
    # a fault in a unit's key quarantines the whole unit (docs/decisions/0025): the form / act's other records
    layout = ctx.layout
    keys = unit_keys(layout, {c: accepted[c].combine_chunks() for c in layout.unit})
    hit = pc.is_in(keys, pa.array(sorted(ctx.unit_faults), pa.string()))
    if not pc.any(hit).as_py():
        return accepted, findings
    code, what = ("form_key_fault", "様式1 form") if layout.kind == "FF1" else ("act_key_fault", "act")
    for i in pc.indices_nonzero(hit).to_pylist():
        ln_fault, why = ctx.unit_faults[keys[i].as_py()]
        ln = accepted["line_number"][i].as_py()
        findings.append(
            Finding(ln, None, code, f"line {ln_fault} of the same {what} is quarantined ({why})", ctx.raw_of(ln))
        )
    return accepted.filter(pc.invert(hit)), findings


def _drop_duplicates(
    ctx: ReadContext, chunks: list[tuple[dict[str, pa.Array], pa.Array, pa.Array | None]]
) -> tuple[pa.Table, list[Finding]]:
    layout = ctx.layout
    tables = []
    for cols, line_numbers, _text in chunks:
        tables.append(pa.Table.from_arrays([*cols.values(), line_numbers], names=[*layout.names, "line_number"]))
    accepted = pa.concat_tables(tables) if tables else empty_accepted(layout)
    if accepted.num_rows < 2 or any(t is None for _c, _l, t in chunks):
        return accepted, []  # no text: the fast path has already seen that no line repeats
    texts = pa.chunked_array([t for _c, _l, t in chunks], pa.string())
    # exact duplicates: dictionary-encode the line texts (one hash pass); only when some repeat, find them
    encoded = pc.dictionary_encode(texts.combine_chunks())
    if len(encoded.dictionary) == accepted.num_rows:
        return accepted, []
    keyed = pa.table({"k": encoded.indices, "i": pa.array(range(accepted.num_rows), pa.int64())})
    groups = keyed.group_by("k", use_threads=False).aggregate([("i", "min"), ("i", "count")])
    dup_groups = groups.filter(pc.greater(groups["i_count"], 1))
    firsts = dup_groups["i_min"]
    joined = keyed.join(dup_groups.select(["k", "i_min"]), "k", join_type="inner")
    dups = joined.filter(pc.invert(pc.is_in(joined["i"], firsts))).sort_by("i")
    dups = dups.append_column("t", pc.take(texts, dups["i"]))
    line_no = accepted["line_number"]
    findings = []
    for i, first, text in zip(dups["i"].to_pylist(), dups["i_min"].to_pylist(), dups["t"].to_pylist(), strict=True):
        findings.append(
            Finding(
                line_no[i].as_py(),
                None,
                "duplicate_row",
                f"the row repeats line {line_no[first].as_py()} exactly",
                ctx.raw(text),
            )
        )
    keep = pc.invert(pc.is_in(pa.array(range(accepted.num_rows), pa.int64()), dups["i"]))
    return accepted.filter(keep), findings


def file_warnings(ctx: ReadContext, accepted: pa.Table, raw_lines: list[bytes]) -> list[Finding]:
    out: list[Finding] = []
    if accepted.num_rows == 0:
        return out
    if not ctx.final_newline and raw_lines:
        last = ctx.n_lines
        if pc.any(pc.equal(accepted["line_number"], last)).as_py():
            out.append(
                Finding(last, None, "no_final_newline", "the last line has no line end (kept: it is complete)", "")
            )
    out.sort(key=lambda f: f.line)
    return out
