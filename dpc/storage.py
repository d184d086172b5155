"""Where a step reads and writes: a local folder laid out like the S3 bucket, or the bucket itself.

Standard library only at import time (boto3 is imported lazily), so the Lambdas can use it.
Keys are always relative, forward-slash paths such as ``raw/yyyymm=202404/facility=131000001/manifest.json``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class Storage(Protocol):
    def list(self, prefix: str) -> list[str]: ...
    def read_bytes(self, key: str) -> bytes: ...
    def write_bytes(self, key: str, data: bytes) -> None: ...
    def size(self, key: str) -> int: ...
    def sizes(self, prefix: str) -> dict[str, int]: ...
    def exists(self, key: str) -> bool: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def uri(self, key: str) -> str: ...


@dataclass
class LocalStorage:
    root: Path

    def _path(self, key: str) -> Path:
        return self.root / key

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if base.is_file():
            return [prefix]
        if not base.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def write_bytes(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def sizes(self, prefix: str) -> dict[str, int]:
        """Every key under ``prefix`` with its size, from the listing alone (no object is read)."""
        return {key: self.size(key) for key in self.list(prefix)}

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete_prefix(self, prefix: str) -> None:
        for key in self.list(prefix):
            self._path(key).unlink()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def uri(self, key: str) -> str:
        return self._path(key).resolve().as_uri()


@dataclass
class S3Storage:
    bucket: str
    kms_key_id: str | None = None
    client: Any = None

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # lazily: only the AWS entry points need it

            self.client = boto3.client("s3")

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return sorted(keys)

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def write_bytes(self, key: str, data: bytes) -> None:
        extra: dict[str, str] = {}
        if self.kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])

    def sizes(self, prefix: str) -> dict[str, int]:
        """Every key under ``prefix`` with its size, from ListObjectsV2 alone: s3:ListBucket, no s3:GetObject on the
        objects (the ValidateManifest Lambda may not read delivered files, docs/decisions/0017)."""
        found: dict[str, int] = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found.update((obj["Key"], int(obj["Size"])) for obj in page.get("Contents", []))
        return dict(sorted(found.items()))

    def exists(self, key: str) -> bool:
        return bool(self.list(key))

    def delete_prefix(self, prefix: str) -> None:
        keys = self.list(prefix)
        for i in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]], "Quiet": True}
            )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def storage_from_uri(uri: str, kms_key_id: str | None = None) -> Storage:
    """``s3://bucket`` → S3Storage; anything else is a local folder."""
    if uri.startswith("s3://"):
        return S3Storage(bucket=uri[5:].split("/", 1)[0], kms_key_id=kms_key_id or os.environ.get("KMS_KEY_ID"))
    return LocalStorage(Path(uri))


def delivery_prefix(layer: str, facility_code: str, yyyymm: int) -> str:
    """``raw/yyyymm=202404/facility=131000001/`` — the one place the delivery grain is spelled."""
    return f"{layer}/yyyymm={int(yyyymm)}/facility={facility_code}/"


def stage_prefix(slug: str, facility_code: str, yyyymm: int) -> str:
    """``stage/<kind>/yyyymm=…/facility=…/`` (docs/decisions/0002)."""
    return f"stage/{slug}/yyyymm={int(yyyymm)}/facility={facility_code}/"


STAGE_FILE = "part-0.parquet"


def load_prefix(slug: str, facility_code: str, yyyymm: int, load_id: str) -> str:
    """``stage/<kind>/yyyymm=…/facility=…/load=<load id>/``: where one load's normalised files live
    (docs/decisions/0011). Each load writes its own prefix and never overwrites another; the engines read only
    the prefix of a delivery's recorded load, so writing a prefix makes nothing visible."""
    if not load_id or "/" in load_id or load_id in (".", ".."):
        raise ValueError(f"not a load id: {load_id!r}")
    return f"{stage_prefix(slug, facility_code, yyyymm)}load={load_id}/"
