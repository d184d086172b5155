"""Pseudonymisation of データ識別番号 (docs/decisions/0003; docs/pseudonymisation.md).

データ識別番号 is a hospital's OWN patient number (specification p20: 10 digits 0–9, leading zeros kept;
"複数回入退院しても共通の番号", p154), so the same number at two hospitals names two patients. The pseudonym
therefore covers the facility too (construction v2)::

    patient_key = HMAC-SHA256(key, b"dpc/patient/v2" + b"\x00" + facility_code + b"\x00" + data_id)

as 64 lower-case hex digits, where ``facility_code`` is the 9-digit 施設コード (p20) and ``data_id`` the
データ識別番号 without surrounding whitespace, both UTF-8 (ASCII digits in a valid file). The facility code is
checked to be exactly 9 ASCII digits, so the message splits one way only whatever the data_id holds (a broken
line's field is pseudonymised too, for quarantine). Functions: :func:`patient_key` (one value) and
:func:`patient_keys` (a pyarrow array, one HMAC per distinct id).

Construction v1 (``HMAC-SHA256(key, data_id)``, facility-independent) was used until December 2026 and is
gone; v1 and v2 keys never match, and v1 keys cannot be turned into v2 keys without the raw files
(docs/pseudonymisation.md, "Migration").

The key (the same for v1 and v2; the cross-facility link key has its OWN key, :mod:`dpc.linkkey`):

1. ``DPC_PSEUDONYMISATION_KEY`` (hex of at least 32 hex digits, otherwise the UTF-8 text itself);
2. on AWS, the Secrets Manager secret named by ``DPC_PSEUDONYMISATION_SECRET_ARN`` (boto3 imported lazily);
3. locally, when neither is set, a random key kept in ``<data dir>/.pseudonymisation_key``
   (created with mode 600; ``data/`` is gitignored), with a one-line warning on stderr.

The key is never written anywhere else: not into SQL, logs, manifests or Parquet. Rotating it
changes every ``patient_key``: re-normalise every delivery and run dbt with ``--full-refresh``.
No function here puts an identifier or the key into an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dpc.paths import data_dir

KEY_ENV = "DPC_PSEUDONYMISATION_KEY"
SECRET_ENV = "DPC_PSEUDONYMISATION_SECRET_ARN"
KEY_FILE_NAME = ".pseudonymisation_key"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){16,}")


def _key_from_text(text: str) -> bytes:
    text = text.strip()
    if not text:
        raise ValueError("the pseudonymisation key is empty")
    return bytes.fromhex(text) if _HEX.fullmatch(text) else text.encode("utf-8")


def key_file() -> Path:
    return data_dir() / KEY_FILE_NAME


def load_key() -> bytes:
    """The HMAC key: environment, then Secrets Manager, then a local key file (created on first use)."""
    value = os.environ.get(KEY_ENV)
    if value:
        return _key_from_text(value)
    arn = os.environ.get(SECRET_ENV)
    if arn:
        import boto3  # lazily: only the AWS runner needs it

        secret = boto3.client("secretsmanager").get_secret_value(SecretId=arn)
        if secret.get("SecretString"):
            return _key_from_text(secret["SecretString"])
        return bytes(secret["SecretBinary"])
    path = key_file()
    if path.exists():
        return _key_from_text(path.read_text(encoding="ascii"))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return _key_from_text(path.read_text(encoding="ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    print(
        f"warning: {KEY_ENV} is not set: created a random local pseudonymisation key in {path} (mode 600)",
        file=sys.stderr,
    )
    return _key_from_text(path.read_text(encoding="ascii"))


PATIENT_KEY_DOMAIN = b"dpc/patient/v2"
_FACILITY = re.compile(r"[0-9]{9}")


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("a non-empty key (bytes) is needed")


def _facility_bytes(facility_code: str) -> bytes:
    if not isinstance(facility_code, str) or not _FACILITY.fullmatch(facility_code):
        raise ValueError("facility_code must be the 9-digit 施設コード (p20)")  # the value is not echoed
    return facility_code.encode("ascii")


def _patient_key(facility: bytes, data_id: str, key: bytes) -> str:
    message = PATIENT_KEY_DOMAIN + b"\x00" + facility + b"\x00" + data_id.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def patient_key(facility_code: str, data_id: str, key: bytes) -> str:
    """The pseudonym of one データ識別番号 at one facility (construction v2, module docstring): 64 lower-case hex.

    ``data_id`` is stripped of surrounding whitespace and must then be non-empty; ``facility_code`` must be
    9 ASCII digits. Raises ``ValueError`` (without the value) otherwise.
    """
    _check_key(key)
    facility = _facility_bytes(facility_code)
    if not isinstance(data_id, str) or not data_id.strip():
        raise ValueError("data_id is empty")
    return _patient_key(facility, data_id.strip(), bytes(key))


def patient_keys(facility_code: str, ids: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array | pa.ChunkedArray:
    """:func:`patient_key` of each id of one facility (a delivery is one facility): stripped ids, null and empty
    ids give null. One HMAC per distinct id (per chunk); returns the same kind of array it was given."""
    _check_key(key)
    facility = _facility_bytes(facility_code)
    return _hash_distinct(ids, lambda v: _patient_key(facility, v, bytes(key)))


def _hash_distinct(ids: pa.Array | pa.ChunkedArray, fn: Callable[[str], str]) -> pa.Array | pa.ChunkedArray:
    stripped = pc.utf8_trim_whitespace(ids.cast(pa.string()))
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    chunked = isinstance(stripped, pa.ChunkedArray)
    encoded = pc.dictionary_encode(stripped)
    out = []
    for chunk in encoded.chunks if chunked else [encoded]:
        hashed = pa.array([fn(v) for v in chunk.dictionary.to_pylist()], pa.string())
        out.append(pc.take(hashed, chunk.indices))
    return pa.chunked_array(out, pa.string()) if chunked else out[0]


__all__ = [
    "KEY_ENV",
    "PATIENT_KEY_DOMAIN",
    "SECRET_ENV",
    "key_file",
    "load_key",
    "patient_key",
    "patient_keys",
]
