"""What a read returns and the words it uses: :class:`ReadResult`, one :class:`Finding` per quarantined row,
warning or nulled field, :class:`FileRejected` for a file-level fault, and the reason codes with their meaning
(:data:`REASONS`, :data:`FIELD_FINDINGS`, :data:`WARNINGS`; docs and dq accepted-values tests read them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import pyarrow as pa

# reason_code → what it means (docs and dq accepted-values tests read this)
REASONS: dict[str, str] = {
    "wrong_column_count": "the row does not have the layout's number of columns (or fixed-width record length)",
    "undecodable": "bytes that are not valid in the file's encoding (or a line in another encoding)",
    "truncated_line": "the last line is incomplete (no line end and too few columns): a truncated upload",
    "missing_value": "a required column is empty",
    "not_numeric": "a number or numeric code column holds something else",
    "invalid_date": "a date column is not a yyyymmdd date the specification allows (00000000 = not yet known; birth "
    "dates may have unknown parts written as 0, p42, p154; 外来 SY rows have a yyyymm00 visit month, p201)",
    "invalid_data_id": "データ識別番号 is not 10 digits (p20, p197)",
    "facility_mismatch": "施設コード differs from the delivery's facility",
    "discharge_before_admission": "退院年月日 is before 入院年月日",
    "service_date_outside_month": "実施年月日 is outside the delivery month",
    "unknown_code": "a coded column holds a value outside its code list (dpc/specdata/code_lists)",
    "unknown_version": "a 様式1/H record's バージョン is not one of its item's versions (p20, p147)",
    "empty_payload_record": "every payload of a 様式1/H record is empty: the record must not be written (p20)",
    "invalid_detail_flags": "行為明細区分情報 is not 12 digits (p198 F-19, p206)",
    "duplicate_row": "the row repeats an earlier row of the file exactly",
    "form_key_fault": "another record of the same 様式1 form has a fault in the form's key (the form is one unit)",
    "act_key_fault": "another record of the same EF act has a fault in the act's key (the act is one unit)",
    "value_too_wide": "a key, required or データ識別番号 value is longer than its width in cp932 bytes (桁数: EF/D "
    "p197–200, K p154, 様式4 p140, 様式1 p20, H p146)",
    "control_character": "a key, required or データ識別番号 value holds a control character (NUL, C0, DEL, C1)",
}

# findings on a kept row: the field is nulled and the finding recorded against the row (docs/decisions/0025)
FIELD_FINDINGS: dict[str, str] = {
    "payload_unknown_code": "a payload value outside its item's code list: the field is nulled",
    "payload_invalid_date": "a payload date the specification does not allow: the field is nulled",
    "payload_bad_format": "a payload value without the shape the specification gives: the field is nulled",
    "payload_not_blank": "a value in a payload the item leaves empty (空欄) or does not define: the field is nulled",
    "field_too_wide": "a value longer than its width in cp932 bytes (可変長 fields, p20 and p146: longer than "
    "65535 UTF-8 bytes): the field is nulled",
    "field_control_character": "a value holding a control character (NUL, C0, DEL, C1): the field is nulled",
}

WARNINGS: dict[str, str] = {
    "no_final_newline": "the last line has no line end but is complete (kept)",
    "title_wording": "a title-row column reads differently from the specification's wording (kept: titles are "
    "recognised by structure)",
    "title_row_missing": "the specification requires a title row for this kind (p17); the file has none (read anyway)",
    "unknown_code": "a code outside a list hospitals may extend (診療科 p53) or one the specification lets be free",
    "code_other_year": "a code the specification defines for another survey year",
    "unknown_item": "a 様式1/H item code the transcribed item table does not list",
}
STRUCTURAL = frozenset({"wrong_column_count", "undecodable", "truncated_line"})


@dataclass(frozen=True)
class Finding:
    line: int
    column: str | None
    reason_code: str
    reason: str
    raw_line: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class FileRejected(Exception):
    """A file-level fault: the whole file (and so its delivery) is rejected."""

    def __init__(self, file: str, line: int, column: str | None, reason: str):
        self.file, self.line, self.column, self.reason = file, line, column, reason
        super().__init__(str(self))

    def __str__(self) -> str:
        col = f" column {self.column}:" if self.column else ""
        return f"{self.file}:{self.line}:{col} {self.reason}"


@dataclass
class ReadResult:
    name: str
    kind: str
    layout_variant: str
    encoding: str
    header: bool
    line_ending: str
    data_rows: int
    accepted: pa.Table
    quarantined: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    facility_code: str | None = None
    yyyymm: int | None = None
    # kept rows with a field the specification forbids: the field is nulled, the finding recorded (FIELD_FINDINGS)
    field_findings: list[Finding] = field(default_factory=list)

    @property
    def reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(f.reason_code for f in self.quarantined).items()))

    @property
    def warning_reasons(self) -> dict[str, int]:
        return dict(sorted(Counter(f.reason_code for f in self.warnings).items()))
