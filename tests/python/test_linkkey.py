"""Cross-facility link key from K生成用データ (dpc.linkkey, dpc.kana, docs/pseudonymisation.md).

Real HMAC throughout, and a real moto server on 127.0.0.1 for the KMS keyer (``kms.generate_mac``). The pinned
vectors were computed once from the documented construction: an accidental change of it fails here.
"""

from __future__ import annotations

import hashlib
import hmac
import stat
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from dpc.kana import ALLOWED, KANA_NORMALISATION_VERSION, normalise_kana_name
from dpc.linkkey import (
    LINK_KEY_DOMAIN,
    REKEY_DOMAIN,
    ChainedLinkKeyer,
    KmsLinkKeyer,
    LinkKeyer,
    LocalLinkKeyer,
    link_key,
    link_key_file,
    link_keys,
    load_link_keyer,
    normalise_birth_date,
    normalise_sex,
    rekey_link_key,
    rekey_link_keys,
)
from dpc.pseudonymise import patient_key

try:  # tests/ is a package in this repository
    from tests.python.moto_support import MotoServer, moto_server
except ImportError:  # pragma: no cover
    from moto_support import MotoServer, moto_server  # type: ignore[no-redef]

KEY_1 = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
KEY_2 = b"pytest-only-link-rotation-key-2"
K1, K2 = LocalLinkKeyer(KEY_1, "test"), LocalLinkKeyer(KEY_2, "test rotation")
BIRTH, NAME, SEX = "19700501", "ﾔﾏﾀﾞ ﾀﾛｳ", "1"  # 1970-05-01 is the specification's own example (p154)

# computed once (do not recompute)
PINNED = {
    ("19700501", "ﾔﾏﾀﾞ ﾀﾛｳ", "1"): "8f21f0692e81dcd69d97a1b9045db819066b837fd1d02a95f2620e656c087127",
    ("19700501", "ヤマダ ハナコ", "2"): "47c376e37cc72f9bf55fcbc644b19ff4078914a5571e15584ec7a1cae1dbbf65",
    ("19851231", "SMITH JOHN", "1"): "5c76cd93385a1f9fdba143411174907faf951dbb3a097cf12a47d29014457874",
}
PINNED_REKEYED = "1b4aa01773f7f119b5c1241d27cb5d7892f5c22e354d458ba21a46832db3ed18"  # PINNED[0] re-keyed with K2

LINK_ENV = ("DPC_LINK_KEY", "DPC_LINK_KEY_ROTATIONS", "DPC_LINK_KMS_KEY_ID", "DPC_PSEUDONYMISATION_KEY")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No link or pseudonymisation key in the environment; the data dir is a fresh temporary one."""
    for name in LINK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DPC_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


# --- kana normalisation: the table of docs/pseudonymisation.md, one group per rule ---------------------------------

KANA_TABLE = [
    # 1 NFKC: half-width katakana → full-width (voiced marks composed), full-width Latin → ASCII
    ("nfkc", "ﾔﾏﾀﾞﾀﾛｳ", "ヤマダタロウ"),
    ("nfkc", "ﾊﾟﾊﾟ", "パパ"),
    ("nfkc", "ｶﾞｰﾃﾞﾝ", "ガデン"),
    ("nfkc", "ＳＭＩＴＨ", "SMITH"),
    # 2 hiragana → katakana
    ("hiragana", "やまだたろう", "ヤマダタロウ"),
    ("hiragana", "ゔぃ", "ヴイ"),
    # 3 spaces removed (ASCII, U+3000, tab)
    ("spaces", "ヤマダ タロウ", "ヤマダタロウ"),
    ("spaces", "ヤマダ\u3000タロウ", "ヤマダタロウ"),
    ("spaces", " ヤマダ\tタロウ ", "ヤマダタロウ"),
    # 3 long-vowel marks and dashes removed
    ("dashes", "オーノ", "オノ"),
    ("dashes", "ｵｰﾉ", "オノ"),
    ("dashes", "オ－ノ", "オノ"),  # U+FF0D
    ("dashes", "オ‐ノ", "オノ"),  # U+2010
    ("dashes", "オ-ノ", "オノ"),
    ("dashes", "オ―ノ", "オノ"),  # U+2015
    ("dashes", "オ〜ノ", "オノ"),  # U+301C
    ("dashes", "オ～ノ", "オノ"),  # U+FF5E
    ("dashes", "オ−ノ", "オノ"),  # U+2212
    # 4 a lone voicing mark composes once the space NFKC put before it is gone
    ("nfc", "カ゛ン", "ガン"),
    # 5 small kana → large
    ("small", "ァィゥェォ", "アイウエオ"),
    ("small", "キャッシュ", "キヤツシユ"),
    ("small", "ジョウ", "ジヨウ"),
    ("small", "ヮヵヶ", "ワカケ"),
    ("small", "ぁっ", "アツ"),
    # 6 ヰ → イ, ヱ → エ; ヴ, ヂ, ヅ, ヲ kept
    ("obsolete", "ヰセキ", "イセキ"),
    ("obsolete", "ヱビス", "エビス"),
    ("obsolete", "ゐゑ", "イエ"),
    ("kept", "ヴアイオリン", "ヴアイオリン"),
    ("kept", "ヂヅヲ", "ヂヅヲ"),
    # 7 Latin upper-cased
    ("latin", "Smith John", "SMITHJOHN"),
    ("latin", "ｓｍｉｔｈ", "SMITH"),
    ("latin", "ﾔﾏﾀﾞ Ｊｏｈｎ", "ヤマダJOHN"),
]

INVALID_NAMES = [
    ("empty", ""),
    ("only spaces", " \u3000 "),
    ("only long-vowel marks", "ーー"),
    ("none", None),
    ("kanji", "山田太郎"),
    ("middle dot", "ジョン・スミス"),
    ("half-width middle dot", "ｼﾞｮﾝ･ｽﾐｽ"),
    ("digit", "ヤマダ2"),
    ("apostrophe", "O'BRIEN"),
    ("accented", "JOSÉ"),
    ("sharp s", "STRAß"),  # str.upper would have made it STRASS
    ("iteration mark", "サゝキ"),
    ("ワ with dakuten", "ヷ"),
    ("small katakana extension", "ㇰ"),
    ("comma", "ヤマダ,タロウ"),
]


@pytest.mark.parametrize(("rule", "raw", "expected"), KANA_TABLE, ids=[f"{r}:{x}" for r, x, _ in KANA_TABLE])
def test_kana_normalisation_table(rule: str, raw: str, expected: str) -> None:
    assert normalise_kana_name(raw) == expected
    assert normalise_kana_name(expected) == expected  # idempotent


@pytest.mark.parametrize(("why", "raw"), INVALID_NAMES, ids=[w for w, _ in INVALID_NAMES])
def test_kana_outside_the_alphabet_is_invalid(why: str, raw: str | None) -> None:
    assert normalise_kana_name(raw) is None
    assert link_key(BIRTH, raw, SEX, K1) is None


def test_the_allowed_alphabet_is_besshi1_after_folding() -> None:
    # every character of 別紙1 (p155) normalises to an allowed one; the folded ones are not themselves allowed
    besshi1 = (
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンヰヱ"
        "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポヴァィゥェォッャュョー"
        "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    )
    for c in besshi1:
        out = normalise_kana_name("ア" + c)  # ー alone is empty after removal
        assert out is not None and set(out) <= ALLOWED, c
    assert not set("ァィゥェォッャュョヰヱー") & ALLOWED
    assert len(ALLOWED) == 46 + 26 + 26  # large ア…ン with ヲ (ヰ ヱ folded), voiced and semi-voiced with ヴ, A–Z


# --- the link key -----------------------------------------------------------------------------------------------


def test_pinned_vectors() -> None:
    assert KANA_NORMALISATION_VERSION == "1"
    for (birth, name, sex), expected in PINNED.items():
        assert link_key(birth, name, sex, K1) == expected


def test_construction_is_the_documented_one() -> None:
    assert LINK_KEY_DOMAIN == b"dpc/link/v1" and REKEY_DOMAIN == b"dpc/link/rekey/v1"
    message = b"dpc/link/v1\x00kana1\x0019700501\x001\x00" + "ヤマダタロウ".encode()
    assert link_key(BIRTH, NAME, SEX, K1) == hmac.new(KEY_1, message, hashlib.sha256).hexdigest()
    rekeyed = hmac.new(KEY_2, b"dpc/link/rekey/v1\x00" + bytes.fromhex(PINNED[(BIRTH, NAME, SEX)]), hashlib.sha256)
    assert rekey_link_key(PINNED[(BIRTH, NAME, SEX)], K2) == rekeyed.hexdigest() == PINNED_REKEYED


def test_spellings_of_one_name_give_one_key() -> None:
    spellings = ["ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ　タロウ", "やまだ たろう", "ヤマダタロウ", "ﾔﾏﾀﾞﾀﾛｳ "]
    assert {link_key(BIRTH, s, SEX, K1) for s in spellings} == {PINNED[(BIRTH, NAME, SEX)]}
    assert link_key(f" {BIRTH} ", NAME, f"{SEX} ", K1) == PINNED[(BIRTH, NAME, SEX)]


def test_each_part_and_the_key_matter() -> None:
    base = link_key(BIRTH, NAME, SEX, K1)
    assert link_key("19700502", NAME, SEX, K1) != base
    assert link_key(BIRTH, "ﾔﾏﾀﾞ ｼﾞﾛｳ", SEX, K1) != base
    assert link_key(BIRTH, NAME, "2", K1) != base
    assert link_key(BIRTH, NAME, SEX, K2) != base
    # its own key and domain: even with the same key bytes it never equals a データ識別番号 pseudonym
    assert link_key(BIRTH, NAME, SEX, K1) != patient_key("131000017", "0123456789", KEY_1)


@pytest.mark.parametrize(
    "birth",
    ["19710000", "19710500", "19710005", "00000000", "00000501", "19700231", "19701301", "1970051", "197005011",
     "1970-05-01", "１９７００５０１", "", "        ", None],
)  # fmt: skip
def test_partly_unknown_or_invalid_birth_dates_give_none(birth: str | None) -> None:
    assert normalise_birth_date(birth) is None
    assert link_key(birth, NAME, SEX, K1) is None


def test_valid_birth_dates() -> None:
    assert normalise_birth_date("19700501") == "19700501"
    assert normalise_birth_date(" 20000229\t") == "20000229"  # leap day
    assert normalise_birth_date("19000229") is None  # not a leap year


@pytest.mark.parametrize("sex", ["", " ", "0", "3", "9", "M", "F", "１", "12", None])
def test_sex_must_be_1_or_2(sex: str | None) -> None:
    assert normalise_sex(sex) is None
    assert link_key(BIRTH, NAME, sex, K1) is None


def test_name_longer_than_80_characters_gives_none() -> None:
    assert link_key(BIRTH, "ア" * 80, SEX, K1) is not None
    assert link_key(BIRTH, "ア" * 81, SEX, K1) is None


def test_link_keys_batch_matches_single_and_accepts_arrow() -> None:
    births = [BIRTH, BIRTH, "19710500", "19851231", BIRTH]
    names = [NAME, "やまだ たろう", NAME, "SMITH JOHN", "ヤマダ ハナコ"]
    sexes = ["1", "1", "1", "1", "2"]
    out = link_keys(births, names, sexes, K1)
    assert out == [link_key(b, n, s, K1) for b, n, s in zip(births, names, sexes, strict=True)]
    assert out[0] == out[1] and out[2] is None
    assert link_keys(pa.array(births), pa.chunked_array([names]), pa.array(sexes), K1) == out
    with pytest.raises(ValueError):
        link_keys(births, names[:-1], sexes, K1)


class CountingKeyer:
    """A LinkKeyer of the test's own (real HMAC) that counts the messages it is asked to MAC."""

    def __init__(self) -> None:
        self.inner, self.count = LocalLinkKeyer(KEY_1), 0

    def mac(self, message: bytes) -> bytes:
        return self.mac_many([message])[0]

    def mac_many(self, messages):  # noqa: ANN001, ANN201
        self.count += len(messages)
        return self.inner.mac_many(messages)


def test_link_keys_one_mac_per_distinct_triple() -> None:
    keyer = CountingKeyer()
    assert isinstance(keyer, LinkKeyer)
    births = [BIRTH] * 1000 + ["19851231"] * 500 + ["00000000"] * 10
    names = ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう"] * 500 + ["SMITH JOHN"] * 500 + [NAME] * 10
    out = link_keys(births, names, ["1"] * 1510, keyer)
    assert keyer.count == 2  # two distinct (birth, normalised name, sex) triples; invalid ones cost nothing
    assert out[0] == PINNED[(BIRTH, NAME, SEX)] and out[-1] is None


# --- rotation -----------------------------------------------------------------------------------------------------


def test_chained_keyer_equals_rekeyed_history() -> None:
    chain = ChainedLinkKeyer((K1, K2))
    old = [link_key(b, n, s, K1) for b, n, s in PINNED]
    new = [link_key(b, n, s, chain) for b, n, s in PINNED]
    assert rekey_link_keys(old, K2) == new
    assert new[0] == PINNED_REKEYED
    assert rekey_link_keys([old[0], None, old[0]], K2) == [new[0], None, new[0]]
    three = ChainedLinkKeyer((K1, K2, K1))
    assert link_key(BIRTH, NAME, SEX, three) == rekey_link_key(rekey_link_key(old[0], K2), K1)


@pytest.mark.parametrize("bad", ["", "abc", "zz" * 32, "0" * 63, "0" * 66, PINNED[(BIRTH, NAME, SEX)] + " "])
def test_rekey_refuses_what_is_not_a_link_key_without_echoing_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        rekey_link_key(bad, K2)
    assert (bad.strip() or "\x00") not in str(info.value)


# --- collapsing the two K records of an insurance change (p155) --------------------------------------------------


def _k(data_id: str, admission: str, key: str | None, insurer: str) -> dict[str, object]:
    return {"facility_code": "131000017", "data_id": data_id, "admission_date": admission, "link_key": key,
            "insurer_no": insurer, "kana_name": NAME}  # fmt: skip


def test_local_key_file_created_mode_600_and_reused(clean_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = load_link_keyer()
    path = link_key_file()
    assert path == clean_env / ".link_key" and path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "created a random local link key" in capsys.readouterr().err
    again = load_link_keyer()
    assert capsys.readouterr().err == ""
    assert link_key(BIRTH, NAME, SEX, first) == link_key(BIRTH, NAME, SEX, again)
    assert isinstance(first, LocalLinkKeyer) and first.key == bytes.fromhex(path.read_text().strip())


def test_local_key_file_lines_are_a_rotation_chain(clean_env: Path) -> None:
    clean_env.mkdir(parents=True)
    link_key_file().write_text(KEY_1.hex() + "\n\n" + KEY_2.hex() + "\n", encoding="ascii")
    keyer = load_link_keyer()
    assert isinstance(keyer, ChainedLinkKeyer)
    assert link_key(BIRTH, NAME, SEX, keyer) == PINNED_REKEYED


def test_environment_keys(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DPC_LINK_KEY", KEY_1.hex())
    assert link_key(BIRTH, NAME, SEX, load_link_keyer()) == PINNED[(BIRTH, NAME, SEX)]
    monkeypatch.setenv("DPC_LINK_KEY_ROTATIONS", KEY_2.hex())
    assert link_key(BIRTH, NAME, SEX, load_link_keyer()) == PINNED_REKEYED
    monkeypatch.setenv("DPC_LINK_KEY_ROTATIONS", "not-hex")
    with pytest.raises(ValueError) as info:
        load_link_keyer()
    assert "not-hex" not in str(info.value)
    monkeypatch.delenv("DPC_LINK_KEY_ROTATIONS")
    monkeypatch.setenv("DPC_LINK_KEY", "a text key for tests only")
    assert load_link_keyer() == LocalLinkKeyer(b"a text key for tests only", "DPC_LINK_KEY")
    assert not link_key_file().exists()  # an environment key never creates the file


def test_configuration_errors(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError):
        load_link_keyer(create_local=False)  # an AWS task must not invent a key
    assert not link_key_file().exists()
    monkeypatch.setenv("DPC_LINK_KEY", KEY_1.hex())
    monkeypatch.setenv("DPC_LINK_KMS_KEY_ID", "alias/dpc-link")
    with pytest.raises(ValueError):
        load_link_keyer()
    monkeypatch.delenv("DPC_LINK_KEY")
    monkeypatch.setenv("DPC_LINK_KEY_ROTATIONS", KEY_2.hex())
    with pytest.raises(ValueError):
        load_link_keyer()


def test_link_key_must_differ_from_the_pseudonymisation_key(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DPC_PSEUDONYMISATION_KEY", KEY_1.hex())
    monkeypatch.setenv("DPC_LINK_KEY", KEY_1.hex())
    with pytest.raises(ValueError) as info:
        load_link_keyer()
    assert KEY_1.hex() not in str(info.value)
    monkeypatch.delenv("DPC_LINK_KEY")
    clean_env.mkdir(parents=True)
    link_key_file().write_text(KEY_1.hex() + "\n", encoding="ascii")
    with pytest.raises(ValueError):
        load_link_keyer()
    monkeypatch.setenv("DPC_PSEUDONYMISATION_KEY", KEY_2.hex())
    assert isinstance(load_link_keyer(), LocalLinkKeyer)


def test_no_identifier_or_key_in_reprs_or_errors() -> None:
    texts = [repr(K1), repr(ChainedLinkKeyer((K1, K2))), repr(KmsLinkKeyer("alias/dpc-link"))]
    for text in texts:
        for secret in (KEY_1.hex(), KEY_2.decode(), str(KEY_1), str(KEY_2)):
            assert secret not in text
    assert "alias/dpc-link" in texts[2]
    for bad in (b"", None):
        with pytest.raises(ValueError):
            LocalLinkKeyer(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        KmsLinkKeyer(" ")


# --- KMS (a real moto server on 127.0.0.1) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with moto_server(stepfunctions_interpreter=False) as server:
        yield server


@pytest.fixture
def kms_env(moto: MotoServer, clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    for name, value in moto.env().items():
        monkeypatch.setenv(name, value)
    return moto


def _hmac_key(moto: MotoServer, alias: str | None = None) -> str:
    kms = moto.client("kms")
    key_id = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Description="dpc link key (test)")[
        "KeyMetadata"
    ]["KeyId"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


@pytest.mark.slow
def test_kms_keyer_generate_mac(kms_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = _hmac_key(kms_env, "alias/dpc-link-test")
    monkeypatch.setenv("DPC_LINK_KMS_KEY_ID", "alias/dpc-link-test")
    keyer = load_link_keyer(create_local=False)
    assert isinstance(keyer, KmsLinkKeyer) and isinstance(keyer, LinkKeyer)
    value = link_key(BIRTH, NAME, SEX, keyer)
    assert value is not None and len(value) == 64 and value == value.lower()
    assert link_key(BIRTH, "やまだ たろう", SEX, keyer) == value  # stable, same normalisation
    assert value != PINNED[(BIRTH, NAME, SEX)]  # another key than the local one
    assert not link_key_file().exists()
    # KMS itself confirms the MAC is over the documented message
    message = b"dpc/link/v1\x00kana1\x0019700501\x001\x00" + "ヤマダタロウ".encode()
    verified = kms_env.client("kms").verify_mac(
        KeyId=key_id, Message=message, Mac=bytes.fromhex(value), MacAlgorithm="HMAC_SHA_256"
    )
    assert verified["MacValid"] is True
    assert link_key(BIRTH, NAME, SEX, KmsLinkKeyer(key_id)) == value  # id and alias: one key


@pytest.mark.slow
def test_kms_one_request_per_distinct_triple(kms_env: MotoServer) -> None:
    keyer = KmsLinkKeyer(_hmac_key(kms_env), client=kms_env.client("kms"))
    births = [BIRTH] * 40 + ["19851231"] * 30 + ["19710500"] * 5
    names = ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう"] * 20 + ["SMITH JOHN"] * 30 + [NAME] * 5
    out = link_keys(births, names, ["1"] * 75, keyer)
    assert keyer.requests == 2
    assert len(set(out[:40])) == 1 and len(set(out[40:70])) == 1 and out[70:] == [None] * 5


@pytest.mark.slow
def test_kms_rotation_chain(kms_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = _hmac_key(kms_env), _hmac_key(kms_env)
    client = kms_env.client("kms")
    old = link_key(BIRTH, NAME, SEX, KmsLinkKeyer(first, client=client))
    monkeypatch.setenv("DPC_LINK_KMS_KEY_ID", f"{first}, {second}")
    chain = load_link_keyer(create_local=False)
    assert isinstance(chain, ChainedLinkKeyer) and len(chain.layers) == 2
    assert link_key(BIRTH, NAME, SEX, chain) == rekey_link_key(old, KmsLinkKeyer(second, client=client))


@pytest.mark.slow
def test_kms_errors_do_not_reveal_the_record(kms_env: MotoServer) -> None:
    from botocore.exceptions import ClientError

    client = kms_env.client("kms")
    not_hmac = client.create_key()["KeyMetadata"]["KeyId"]  # SYMMETRIC_DEFAULT: no generate_mac
    for key_id in (not_hmac, "alias/does-not-exist"):
        with pytest.raises(ClientError) as info:
            link_key(BIRTH, NAME, SEX, KmsLinkKeyer(key_id, client=client))
        text = str(info.value) + repr(info.value)
        for identifier in (BIRTH, "ﾔﾏﾀﾞ", "ヤマダ", "ﾀﾛｳ", "タロウ"):
            assert identifier not in text
