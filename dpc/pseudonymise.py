"""Pseudonymisation of データ識別番号 (DECISIONS item 3).

``patient_key = HMAC-SHA256(key, stripped データ識別番号)`` as 64 lower-case hex digits. The key:

1. ``DPC_PSEUDONYMISATION_KEY`` (hex of at least 32 hex digits, otherwise the UTF-8 text itself);
2. on AWS, the Secrets Manager secret named by ``DPC_PSEUDONYMISATION_SECRET_ARN`` (boto3 imported lazily);
3. locally, when neither is set, a random key kept in ``<data dir>/.pseudonymisation_key``
   (created with mode 600; ``data/`` is gitignored), with a one-line warning on stderr.

The key is never written anywhere else: not into SQL, logs, manifests or Parquet. Rotating it
changes every ``patient_key``: re-normalise every delivery and run dbt with ``--full-refresh``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
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


def pseudonym(value: str, key: bytes) -> str:
    """The pseudonym of one データ識別番号 (surrounding whitespace ignored)."""
    return hmac.new(key, value.strip().encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise(ids: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array | pa.ChunkedArray:
    """HMAC-SHA256 hex of each stripped id; null and empty ids give null. One HMAC per distinct id."""
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("pseudonymise needs a non-empty key (bytes)")
    stripped = pc.utf8_trim_whitespace(ids.cast(pa.string()))
    stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
    chunked = isinstance(stripped, pa.ChunkedArray)
    encoded = pc.dictionary_encode(stripped)
    out = []
    for chunk in encoded.chunks if chunked else [encoded]:
        hashed = pa.array([pseudonym(v, key) for v in chunk.dictionary.to_pylist()], pa.string())
        out.append(pc.take(hashed, chunk.indices))
    return pa.chunked_array(out, pa.string()) if chunked else out[0]
