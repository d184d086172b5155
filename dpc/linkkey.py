"""Cross-facility link key from K生成用データ (docs/pseudonymisation.md).

K生成用データ (specification p154–155) carries direct identifiers: カナ氏名, 性別, 生年月日, 保険者番号,
被保険者記号・番号, 枝番. From three of them — the birth date, the kana name and the sex, the three items the
ministry's support tool also uses for its 一次共通ID (p153) — this module derives a pseudonymous key that is the
same for one person at every facility (データ識別番号 is per hospital, :func:`dpc.pseudonymise.patient_key`)::

    message  = b"dpc/link/v1" 0x00 b"kana" + KANA_NORMALISATION_VERSION 0x00 birth_date 0x00 sex 0x00 kana_name
    link_key = hex(MAC(message))          # 64 lower-case hex digits

with ``birth_date`` the 8 ASCII digits yyyymmdd, ``sex`` ``"1"`` or ``"2"`` and ``kana_name`` the UTF-8 of the
name normalised by :func:`dpc.kana.normalise_kana_name`; none of them can contain 0x00, so the message splits
one way only. MAC is HMAC-SHA256 with the link key's OWN key — never the データ識別番号 key:

- locally (:class:`LocalLinkKeyer`): ``DPC_LINK_KEY`` (hex of at least 32 hex digits, otherwise the UTF-8 text),
  else ``<data dir>/.link_key`` (one key per line, created with one random key, mode 600, on first use);
- on AWS (:class:`KmsLinkKeyer`): ``DPC_LINK_KMS_KEY_ID`` names a KMS HMAC_256 key, and every MAC is
  ``kms.generate_mac(KeyId=…, Message=message, MacAlgorithm="HMAC_SHA_256")`` — the key never leaves KMS
  (boto3 imported lazily). One request per DISTINCT message (:func:`link_keys` deduplicates).

Rotation is chained (raw K files are deleted after normalisation, so link keys cannot be derived again):
``new = MAC_k2(b"dpc/link/rekey/v1" 0x00 old_mac_bytes)`` (:func:`rekey_link_key`), and from then on the keyer
is the chain ``[k1, k2]`` (:class:`ChainedLinkKeyer`), so new deliveries and re-keyed history agree. Configure a
chain with a comma-separated ``DPC_LINK_KMS_KEY_ID``, with ``DPC_LINK_KEY_ROTATIONS`` (comma-separated hex keys
applied after ``DPC_LINK_KEY``), or with further lines in ``.link_key``; the first key is the original one.

No function or object here puts a name, birth date, sex, message or key into an exception message or a repr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dpc.kana import KANA_NORMALISATION_VERSION, normalise_kana_name
from dpc.paths import data_dir
from dpc.pseudonymise import KEY_ENV as PSEUDONYMISATION_KEY_ENV
from dpc.pseudonymise import _key_from_text
from dpc.pseudonymise import key_file as pseudonymisation_key_file

LINK_KEY_DOMAIN = b"dpc/link/v1"
REKEY_DOMAIN = b"dpc/link/rekey/v1"
LINK_KEY_ENV = "DPC_LINK_KEY"
LINK_KEY_ROTATIONS_ENV = "DPC_LINK_KEY_ROTATIONS"
LINK_KMS_ENV = "DPC_LINK_KMS_KEY_ID"
LINK_KEY_FILE_NAME = ".link_key"
MAC_ALGORITHM = "HMAC_SHA_256"
MAC_BYTES = 32
MAX_KANA_NAME_CHARS = 80  # カナ氏名 最大 80 文字 (p154)
_HEX_KEY = re.compile(r"(?:[0-9a-fA-F]{2}){16,}")
_LINK_KEY_HEX = re.compile(r"[0-9a-fA-F]{64}")
_BIRTH = re.compile(r"[0-9]{8}")


# --- keyers -------------------------------------------------------------------------------------------------------


@runtime_checkable
class LinkKeyer(Protocol):
    """Computes the link key's MAC. Implementations never reveal their key, and ``mac_many`` returns one MAC per
    message, in order (an implementation that pays per call deduplicates)."""

    def mac(self, message: bytes) -> bytes: ...

    def mac_many(self, messages: Sequence[bytes]) -> list[bytes]: ...


@dataclass(frozen=True)
class LocalLinkKeyer:
    """HMAC-SHA256 in this process with a key held in memory (``repr`` shows where it came from, never the key)."""

    key: bytes = field(repr=False)
    source: str = "local"

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes | bytearray) or not self.key:
            raise ValueError("the link key is empty")

    def mac(self, message: bytes) -> bytes:
        return hmac.new(bytes(self.key), message, hashlib.sha256).digest()

    def mac_many(self, messages: Sequence[bytes]) -> list[bytes]:
        return [self.mac(m) for m in messages]


class KmsLinkKeyer:
    """``kms.generate_mac`` with a KMS HMAC_256 key: the key material never leaves KMS. One request per distinct
    message of a ``mac_many`` call; ``requests`` counts the requests made (for logs and tests)."""

    def __init__(self, key_id: str, client: Any = None) -> None:
        if not isinstance(key_id, str) or not key_id.strip():
            raise ValueError("a KMS key id, ARN or alias is needed")
        self.key_id = key_id.strip()
        self._client = client
        self.requests = 0

    def __repr__(self) -> str:
        return f"KmsLinkKeyer(key_id={self.key_id!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazily: only the AWS runner needs it

            self._client = boto3.client("kms")
        return self._client

    def mac(self, message: bytes) -> bytes:
        self.requests += 1
        response = self.client.generate_mac(KeyId=self.key_id, Message=message, MacAlgorithm=MAC_ALGORITHM)
        mac = bytes(response["Mac"])
        if len(mac) != MAC_BYTES:  # a key of another spec (HMAC_384 …) or algorithm answered
            raise ValueError(f"KMS returned a {len(mac)}-byte MAC, expected {MAC_BYTES} (is the key HMAC_256?)")
        return mac

    def mac_many(self, messages: Sequence[bytes]) -> list[bytes]:
        macs: dict[bytes, bytes] = {}
        for m in messages:
            if m not in macs:
                macs[m] = self.mac(m)
        return [macs[m] for m in messages]


@dataclass(frozen=True)
class ChainedLinkKeyer:
    """The keyer after rotations: ``layers[0]`` is the original key, each later layer re-keys the previous MAC
    (:func:`rekey_link_key`), so ``link_key(…, chain [k1, k2]) == rekey_link_key(link_key(…, k1), k2)``."""

    layers: tuple[LinkKeyer, ...]

    def __post_init__(self) -> None:
        if not self.layers:
            raise ValueError("a chain needs at least one keyer")

    def mac(self, message: bytes) -> bytes:
        return self.mac_many([message])[0]

    def mac_many(self, messages: Sequence[bytes]) -> list[bytes]:
        values = self.layers[0].mac_many(messages)
        for layer in self.layers[1:]:
            values = layer.mac_many([_rekey_message(v) for v in values])
        return values


def _rekey_message(mac: bytes) -> bytes:
    return REKEY_DOMAIN + b"\x00" + mac


# --- loading the keyer ----------------------------------------------------------------------------------------------


def link_key_file() -> Path:
    return data_dir() / LINK_KEY_FILE_NAME


def _pseudonymisation_key_if_known() -> bytes | None:
    """The データ識別番号 key when it is at hand without a network call (environment or existing local file)."""
    value = os.environ.get(PSEUDONYMISATION_KEY_ENV)
    if value:
        return _key_from_text(value)
    path = pseudonymisation_key_file()
    if path.exists():
        return _key_from_text(path.read_text(encoding="ascii"))
    return None


def _local_chain(keys: list[bytes], source: str) -> LinkKeyer:
    forbidden = _pseudonymisation_key_if_known()
    if forbidden is not None and any(hmac.compare_digest(k, forbidden) for k in keys):
        raise ValueError("the link key must differ from the データ識別番号 pseudonymisation key")
    keyers = tuple(LocalLinkKeyer(k, source if i == 0 else f"{source} rotation {i}") for i, k in enumerate(keys))
    return keyers[0] if len(keyers) == 1 else ChainedLinkKeyer(keyers)


def _read_or_create_key_file(create: bool) -> list[bytes] | None:
    path = link_key_file()
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            print(
                f"warning: {LINK_KEY_ENV} and {LINK_KMS_ENV} are not set: created a random local link key in "
                f"{path} (mode 600)",
                file=sys.stderr,
            )
    lines = [line.strip() for line in path.read_text(encoding="ascii").splitlines()]
    keys = [_key_from_text(line) for line in lines if line]
    if not keys:
        raise ValueError(f"the link key file {path} holds no key")
    return keys


def load_link_keyer(*, create_local: bool = True, kms_client: Any = None) -> LinkKeyer:
    """The link keyer: ``DPC_LINK_KMS_KEY_ID`` (KMS; comma-separated = a rotation chain), else ``DPC_LINK_KEY``
    (+ ``DPC_LINK_KEY_ROTATIONS``), else ``<data dir>/.link_key`` (created when missing, unless ``create_local``
    is False — an AWS task must never fall back to a random local key: its keys would match nothing)."""
    kms_ids = os.environ.get(LINK_KMS_ENV, "").strip()
    local = os.environ.get(LINK_KEY_ENV, "").strip()
    rotations = os.environ.get(LINK_KEY_ROTATIONS_ENV, "").strip()
    if kms_ids and (local or rotations):
        raise ValueError(f"set {LINK_KMS_ENV} or {LINK_KEY_ENV}, not both")
    if kms_ids:
        ids = [i.strip() for i in kms_ids.split(",") if i.strip()]
        if len(ids) == 1:
            return KmsLinkKeyer(ids[0], client=kms_client)  # its client is created on first use
        if kms_client is None:
            import boto3  # lazily: only the AWS runner needs it

            kms_client = boto3.client("kms")  # one client for the whole chain
        return ChainedLinkKeyer(tuple(KmsLinkKeyer(i, client=kms_client) for i in ids))
    if local:
        keys = [_key_from_text(local)]
        for part in (p.strip() for p in rotations.split(",")) if rotations else ():
            if not _HEX_KEY.fullmatch(part):
                raise ValueError(f"{LINK_KEY_ROTATIONS_ENV} must be comma-separated hex keys of ≥ 32 hex digits")
            keys.append(bytes.fromhex(part))
        return _local_chain(keys, LINK_KEY_ENV)
    if rotations:
        raise ValueError(f"{LINK_KEY_ROTATIONS_ENV} needs {LINK_KEY_ENV}")
    keys_from_file = _read_or_create_key_file(create_local)
    if keys_from_file is None:
        raise RuntimeError(f"no link key configured: set {LINK_KMS_ENV} (AWS) or {LINK_KEY_ENV}")
    return _local_chain(keys_from_file, LINK_KEY_FILE_NAME)


# --- the link key ---------------------------------------------------------------------------------------------------


def normalise_birth_date(value: str | None) -> str | None:
    """yyyymmdd when it is a complete, valid date; ``None`` when partly unknown — p154: unknown parts are 0
    (``19710500``, ``19710000``) and an unknown year makes the whole value ``00000000`` — or invalid."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _BIRTH.fullmatch(text):
        return None
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if 0 in (year, month, day):
        return None
    try:
        dt.date(year, month, day)
    except ValueError:
        return None
    return text


def normalise_sex(value: str | None) -> str | None:
    """``"1"`` (男性) or ``"2"`` (女性) (p154); anything else, blank included (p155: not allowed), → ``None``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text in ("1", "2") else None


def _message(birth_date: str | None, kana_name: str | None, sex: str | None) -> bytes | None:
    birth, sx, name = normalise_birth_date(birth_date), normalise_sex(sex), normalise_kana_name(kana_name)
    if birth is None or sx is None or name is None or len(name) > MAX_KANA_NAME_CHARS:
        return None
    return b"\x00".join(
        (
            LINK_KEY_DOMAIN,
            b"kana" + KANA_NORMALISATION_VERSION.encode("ascii"),
            birth.encode("ascii"),
            sx.encode("ascii"),
            name.encode("utf-8"),
        )
    )


def link_key(birth_date: str | None, kana_name: str | None, sex: str | None, key: LinkKeyer) -> str | None:
    """The link key (64 lower-case hex) of one K生成用データ record; ``None`` when the birth date is partly
    unknown or invalid, the sex is not 1/2, or the name is empty, longer than 80 characters or holds a character
    outside 別紙1 (p154–155, :mod:`dpc.kana`)."""
    message = _message(birth_date, kana_name, sex)
    return None if message is None else key.mac(message).hex()


def link_keys(
    birth_dates: Iterable[str | None],
    kana_names: Iterable[str | None],
    sexes: Iterable[str | None],
    key: LinkKeyer,
) -> list[str | None]:
    """:func:`link_key` of many records (lists or pyarrow arrays of equal length) with ONE MAC per distinct
    (birth date, name, sex) triple after normalisation — one KMS request each with :class:`KmsLinkKeyer`."""
    columns = [_as_list(c) for c in (birth_dates, kana_names, sexes)]
    if len({len(c) for c in columns}) != 1:
        raise ValueError("birth_dates, kana_names and sexes must have the same length")
    messages = [_message(b, n, s) for b, n, s in zip(*columns, strict=True)]
    distinct = list(dict.fromkeys(m for m in messages if m is not None))
    macs = dict(zip(distinct, key.mac_many(distinct), strict=True))
    return [None if m is None else macs[m].hex() for m in messages]


def _as_list(values: Iterable[str | None]) -> list[str | None]:
    to_pylist = getattr(values, "to_pylist", None)
    return list(to_pylist() if callable(to_pylist) else values)


def rekey_link_key(old_hex: str | None, new_keyer: LinkKeyer) -> str | None:
    """One chained re-keying step: ``MAC_new(b"dpc/link/rekey/v1" 0x00 old_mac_bytes)`` as hex (``None`` stays
    ``None``). With ``new_keyer`` = k2 this maps keys made with k1 to keys made with the chain [k1, k2]."""
    return rekey_link_keys([old_hex], new_keyer)[0]


def rekey_link_keys(old_hexes: Iterable[str | None], new_keyer: LinkKeyer) -> list[str | None]:
    """:func:`rekey_link_key` of many keys, one MAC per distinct key."""
    olds = _as_list(old_hexes)
    raw: list[bytes | None] = []
    for value in olds:
        if value is None:
            raw.append(None)
        elif isinstance(value, str) and _LINK_KEY_HEX.fullmatch(value):
            raw.append(bytes.fromhex(value))
        else:
            raise ValueError("not a link key: 64 hex digits expected")  # the value is not echoed
    distinct = list(dict.fromkeys(_rekey_message(r) for r in raw if r is not None))
    macs = dict(zip(distinct, new_keyer.mac_many(distinct), strict=True))
    return [None if r is None else macs[_rekey_message(r)].hex() for r in raw]


# --- K records ------------------------------------------------------------------------------------------------------


__all__ = [
    "LINK_KEY_DOMAIN",
    "LINK_KEY_ENV",
    "LINK_KEY_ROTATIONS_ENV",
    "LINK_KMS_ENV",
    "REKEY_DOMAIN",
    "ChainedLinkKeyer",
    "KmsLinkKeyer",
    "LinkKeyer",
    "LocalLinkKeyer",
    "link_key",
    "link_key_file",
    "link_keys",
    "load_link_keyer",
    "normalise_birth_date",
    "normalise_sex",
    "rekey_link_key",
    "rekey_link_keys",
]
