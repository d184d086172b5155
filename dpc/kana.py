"""Normalisation of K生成用データ カナ氏名 for the cross-facility link key (:mod:`dpc.linkkey`).

VERSIONED: :data:`KANA_NORMALISATION_VERSION` is part of every link key's HMAC message, so a change to the
rules below changes every link key visibly (keys of two versions never match by accident). Changing a rule
is a BREAKING change: raw K files are deleted after normalisation, so stays keyed under the old version
cannot be re-keyed under the new one and will not link with stays keyed after it (docs/pseudonymisation.md).
Do not edit a rule of a released version: add a version.

Input (specification 令和7年度 DPC調査 実施説明資料): カナ氏名 is the name at admission as in the receipt's
common record, at most 80 characters, characters of 別紙1 only, no space between family and given name (p154);
half-width, full-width and a mix of both are allowed (p154 注1); Latin letters are allowed for foreign patients
(p155 Q&A); it may not be blank (p155 Q&A). 別紙1 (p155) lists: the large katakana ア…ン, ヲ, ヰ, ヱ; the voiced
and semi-voiced ガ…ド, バ…ポ, ヴ; the small ァ ィ ゥ ェ ォ ッ ャ ュ ョ; the long-vowel mark ー; ａ–ｚ and Ａ–Ｚ
("半角、全角可").

Rules of version "1", applied in this order (docs/pseudonymisation.md has them as a table):

1. Unicode NFKC: half-width katakana → full-width (ｶﾞ → ガ, ｰ → ー), full-width Latin → ASCII (Ａ → A),
   U+3000 → U+0020.
2. hiragana → katakana (U+3041–U+3096 → U+30A1–U+30F6; ゔ → ヴ).
3. every whitespace character (``str.isspace``: ASCII space, tab, U+3000 …) and every long-vowel mark or dash of
   :data:`REMOVED` is removed (ー, ｰ after NFKC, － after NFKC, ‐, -, ―, 〜 and the similar dashes listed there).
4. Unicode NFC: a voicing mark left alone by step 1 (``カ゛`` = カ + U+309B, which NFKC turns into カ + space +
   U+3099) is composed once step 3 removed the space (→ ガ).
5. small kana → large: ァ ィ ゥ ェ ォ → ア イ ウ エ オ, ッ → ツ, ャ ュ ョ → ヤ ユ ヨ, ヮ → ワ, ヵ → カ, ヶ → ケ.
6. ヰ → イ, ヱ → エ (obsolete kana, pronounced イ/エ today: one family name is written either way by
   different hospitals' systems; folding them costs nothing in precision). ヴ is KEPT (not folded to ブ), and
   ヂ/ヅ are kept (not folded to ジ/ズ): version 1 folds only what the brief for it named.
7. ASCII a–z → A–Z (only ASCII: ``str.upper`` would turn ß into SS).
8. the result must be non-empty and consist only of :data:`ALLOWED` (the katakana of 別紙1 after steps 5–6,
   and A–Z); anything else (・, digits, apostrophes, accented letters, kanji …) → the name is INVALID
   (:func:`normalise_kana_name` returns ``None``; the record gets no link key).

The 80-character limit of p154 is not checked here: it constrains the file, and the reader checks files.
"""

from __future__ import annotations

import unicodedata

KANA_NORMALISATION_VERSION = "1"

# step 3: long-vowel marks and dashes, as they are after NFKC (ｰ → ー, － → -, ～ → ~, ‑ → ‐, ﹣ → -)
REMOVED = frozenset(
    "\u30fc"  # ー KATAKANA-HIRAGANA PROLONGED SOUND MARK (also ｰ U+FF70 after NFKC)
    "\u002d"  # - HYPHEN-MINUS (also － U+FF0D and ﹣ U+FE63 after NFKC)
    "\u2010"  # ‐ HYPHEN (also ‑ U+2011 after NFKC)
    "\u2012"  # ‒ FIGURE DASH
    "\u2013"  # – EN DASH
    "\u2014"  # — EM DASH
    "\u2015"  # ― HORIZONTAL BAR
    "\u2212"  # − MINUS SIGN
    "\u301c"  # 〜 WAVE DASH
    "\u007e"  # ~ TILDE (～ U+FF5E after NFKC, the wave dash of cp932 files)
)

# step 5: small kana → large (ヮ ヵ ヶ are not in 別紙1, but they are only small forms of letters that are)
SMALL_TO_LARGE = {
    "ァ": "ア",
    "ィ": "イ",
    "ゥ": "ウ",
    "ェ": "エ",
    "ォ": "オ",
    "ッ": "ツ",
    "ャ": "ヤ",
    "ュ": "ユ",
    "ョ": "ヨ",
    "ヮ": "ワ",
    "ヵ": "カ",
    "ヶ": "ケ",
}

# step 6
OBSOLETE_TO_MODERN = {"ヰ": "イ", "ヱ": "エ"}

_BESSHI1_LARGE = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"  # p155 (ヰ ヱ fold to イ エ)
_BESSHI1_VOICED = "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴ"  # p155
# step 8: what a normalised name may contain
ALLOWED = frozenset(_BESSHI1_LARGE + _BESSHI1_VOICED + "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
_FOLD = str.maketrans({**SMALL_TO_LARGE, **OBSOLETE_TO_MODERN})
_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalise_kana_name(name: str | None) -> str | None:
    """The カナ氏名 normalised by the rules of version :data:`KANA_NORMALISATION_VERSION`; ``None`` when it is
    empty or holds a character outside the allowed alphabet of 別紙1 (p155). Never raises on a bad name, and
    never echoes it: callers may log the outcome, not the value."""
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", str(name))  # 1
    text = text.translate(_HIRAGANA_TO_KATAKANA)  # 2
    text = "".join(c for c in text if not c.isspace() and c not in REMOVED)  # 3
    text = unicodedata.normalize("NFC", text)  # 4
    text = text.translate(_FOLD)  # 5, 6
    text = text.translate(_UPPER)  # 7
    if not text or any(c not in ALLOWED for c in text):  # 8
        return None
    return text


__all__ = ["ALLOWED", "KANA_NORMALISATION_VERSION", "REMOVED", "SMALL_TO_LARGE", "normalise_kana_name"]
