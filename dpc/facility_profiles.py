"""What each facility owes every month: facts the delivered files do not carry (standard library only).

Which files a hospital delivers depends on what it is, not on what it sent:

- 様式1, 様式4 and 入院EF統合 are owed by every participating hospital (spec p5–7);
- K生成用データ covers the cases of the month's 入院EF統合 file (p8 7.), so it is owed whenever EFn is;
- D only by a DPC 対象病院 (p8 5.: "DPC 対象病院のみ作成し、それ以外の医療機関は作成不要");
- 外来EF統合 by a DPC 対象病院 or a hospital with データ提出加算2 (p7 4-2.);
- H for patients in wards whose inpatient fee is one of those listed on p8 6. and p144 (急性期一般入院基本料,
  特定集中治療室管理料, 地域包括ケア病棟入院料 …).

The profile file (TOML, ``config/facilities.toml`` or ``DPC_FACILITY_PROFILES``) holds those facts: a ``[default]``
table and one ``[facility."<施設コード>"]`` table per hospital that differs. A missing file means the default profile
(a DPC 対象病院 with H-file wards: every kind is owed). A delivery lacking a file its profile requires is reported by
``dpc import`` and ``dpc validate``; it is a warning, never a rejection (the month's other files are still good).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from dpc.paths import PROJECT_DIR

PROFILES_ENV = "DPC_FACILITY_PROFILES"
DEFAULT_PROFILES = Path("config") / "facilities.toml"
FACTS = ("dpc_hospital", "data_submission_addition_2", "h_file_wards")


@dataclass(frozen=True)
class FacilityProfile:
    facility_code: str
    dpc_hospital: bool = True  # DPC 対象病院: owes D and 外来EF (p7, p8)
    data_submission_addition_2: bool = False  # データ提出加算2 (出来高算定病院): owes 外来EF (p7 4-2.)
    h_file_wards: bool = True  # wards with an inpatient fee listed on p8 6. / p144: owes H
    source: str = "default"  # where the facts came from, for messages

    def owed(self) -> tuple[str, ...]:
        """The file kinds this facility owes each month, in the order of the specification's chapters."""
        kinds = ["FF1", "FF4", "EFn"]
        if self.dpc_hospital or self.data_submission_addition_2:
            kinds.append("EFg")
        if self.dpc_hospital:
            kinds.append("D")
        if self.h_file_wards:
            kinds.append("H")
        kinds.append("K")
        return tuple(kinds)


# why each kind is owed, in the specification's words, for messages
OWED_BECAUSE = {
    "FF1": "every participating hospital (p5)",
    "FF4": "every participating hospital (p7)",
    "EFn": "every participating hospital (p7)",
    "K": "the cases of the month's 入院EF統合 (p8)",
    "D": "a DPC 対象病院 (p8)",
    "EFg": "a DPC 対象病院 or a hospital with データ提出加算2 (p7)",
    "H": "wards with an H-file inpatient fee (p8, p144)",
}


class ProfileError(ValueError):
    """The profile file cannot be read; the message names the file and the entry."""


def profiles_path() -> Path:
    configured = os.environ.get(PROFILES_ENV)
    return Path(configured) if configured else PROJECT_DIR / DEFAULT_PROFILES


def _facts(table: object, where: str) -> dict[str, bool]:
    if not isinstance(table, dict):
        raise ProfileError(f"{where}: expected a table of {', '.join(FACTS)}")
    unknown = sorted(set(table) - set(FACTS) - {"name"})
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(FACTS)}, name")
    out: dict[str, bool] = {}
    for key in FACTS:
        if key in table:
            if not isinstance(table[key], bool):
                raise ProfileError(f"{where}.{key}: expected true or false")
            out[key] = table[key]
    return out


@dataclass(frozen=True)
class Profiles:
    default: dict[str, bool]
    facilities: dict[str, dict[str, bool]]
    path: Path | None

    def of(self, facility_code: str) -> FacilityProfile:
        facts = {**self.default, **self.facilities.get(facility_code, {})}
        if facility_code in self.facilities and self.path is not None:
            source = f'{self.path.name} [facility."{facility_code}"]'
        elif self.path is not None:
            source = f"{self.path.name} [default]"
        else:
            source = "the built-in default (no profile file)"
        return FacilityProfile(facility_code, source=source, **facts)


def load_profiles(path: Path | None = None) -> Profiles:
    """Read the profile file; no file means the default profile for every facility."""
    path = path or profiles_path()
    if not path.exists():
        return Profiles({}, {}, None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from exc
    default = _facts(data.get("default", {}), f"{path.name} [default]")
    facilities: dict[str, dict[str, bool]] = {}
    tables = data.get("facility", {})
    if not isinstance(tables, dict):
        raise ProfileError(f"{path.name} [facility]: expected one table per 施設コード")
    for code, table in tables.items():
        if not (len(code) == 9 and code.isascii() and code.isdigit()):
            raise ProfileError(f'{path.name} [facility."{code}"]: a 施設コード has 9 digits (p20)')
        facilities[code] = _facts(table, f'{path.name} [facility."{code}"]')
    unknown = sorted(set(data) - {"default", "facility"})
    if unknown:
        raise ProfileError(f"{path.name}: unknown table(s) {', '.join(unknown)}; expected [default] and [facility.…]")
    return Profiles(default, facilities, path)


def missing_kinds(profile: FacilityProfile, kinds_present: set[str]) -> list[str]:
    """Kinds the profile requires that the delivery lacks (K only when 入院EF統合 is there to generate it from)."""
    missing = []
    for kind in profile.owed():
        if kind in kinds_present:
            continue
        if kind == "K" and "EFn" not in kinds_present:
            continue  # reported as EFn missing
        missing.append(kind)
    return missing
