"""Docs step on AWS: put the static docs site (and the KPI report, when there is one) into the artifacts bucket.

Private and KMS-encrypted: objects go to ``s3://<ARTIFACTS_BUCKET>/docs/`` with no ACL (the bucket enforces owner
and blocks public access), encrypted with the platform key (``KMS_KEY_ID`` when set, otherwise the bucket's
default SSE-KMS key — never the AWS-managed ``aws/s3`` key), and every upload is checked with HeadObject: an object
that did not end up under SSE-KMS is an error, not a warning.

Reaching it (docs/analysts.md): a short-lived presigned URL, ``dpc.steps.docs_publish.presign(...)`` or
``aws s3 presign s3://dpc-learning-artifacts-<env>/docs/index.html --expires-in 3600`` with a role that may read
docs/* and decrypt with the key, opens the one-file site in a browser; ``aws s3 cp`` then opening the file works too.

The runner calls ``publish_from_env`` after ``dbt docs generate --static`` when UPLOAD_DOCS is set:

    publish_from_env({"index.html": target_path() / "static_index.html"})

Standard library at import time; boto3 is imported only when no client is passed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PREFIX = "docs/"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".png": "image/png"}


@dataclass(frozen=True)
class PublishedObject:
    key: str
    uri: str
    bytes: int
    kms_key_id: str


def local_site(data_dir: Path) -> dict[str, Path]:
    """What a local run produced: the docs site and the KPI report (each only when it exists)."""
    candidates = {
        "index.html": data_dir / "docs" / "index.html",
        "report/index.html": data_dir / "report" / "index.html",
    }
    return {name: path for name, path in candidates.items() if path.is_file()}


def _client(client: Any) -> Any:
    if client is not None:
        return client
    import boto3  # lazily: only the AWS entry points need it

    return boto3.client("s3")


def publish_site(
    site: Mapping[str, Path],
    *,
    bucket: str,
    prefix: str = DEFAULT_PREFIX,
    kms_key_id: str | None = None,
    client: Any = None,
) -> list[PublishedObject]:
    """Upload each file of site (relative name → local path) under prefix; returns what S3 stored."""
    if not site:
        raise ValueError("nothing to publish: build the docs first (dpc docs / dbt docs generate --static)")
    if not prefix.endswith("/"):
        prefix += "/"
    s3 = _client(client)
    out = []
    for name, path in sorted(site.items()):
        if name.startswith("/") or ".." in Path(name).parts:
            raise ValueError(f"not a relative site path: {name!r}")
        key = prefix + name
        extra: dict[str, str] = {}
        if kms_key_id:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
        data = Path(path).read_bytes()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream"),
            CacheControl="no-cache",
            **extra,
        )
        head = s3.head_object(Bucket=bucket, Key=key)
        if head.get("ServerSideEncryption") != "aws:kms" or not head.get("SSEKMSKeyId"):
            raise RuntimeError(
                f"s3://{bucket}/{key} is not SSE-KMS encrypted ({head.get('ServerSideEncryption')!r}): set KMS_KEY_ID "
                "or give the bucket a default SSE-KMS key"
            )
        if kms_key_id and not _same_key(head["SSEKMSKeyId"], kms_key_id):
            raise RuntimeError(f"s3://{bucket}/{key} was encrypted with {head['SSEKMSKeyId']}, not {kms_key_id}")
        out.append(PublishedObject(key, f"s3://{bucket}/{key}", len(data), head["SSEKMSKeyId"]))
    return out


def _same_key(stored: str, wanted: str) -> bool:
    """S3 reports the key ARN; KMS_KEY_ID may be an ARN or a bare key id."""
    return stored == wanted or stored.endswith(f":key/{wanted}") or stored.endswith(f"/{wanted}")


def publish_from_env(
    site: Mapping[str, Path], *, environ: Mapping[str, str] | None = None, client: Any = None
) -> list[PublishedObject]:
    """The runner's entry: ARTIFACTS_BUCKET (required), KMS_KEY_ID (optional), DOCS_PREFIX (default docs/)."""
    env = os.environ if environ is None else environ
    bucket = env.get("ARTIFACTS_BUCKET", "")
    if not bucket:
        raise RuntimeError("ARTIFACTS_BUCKET is not set: cannot publish the docs site")
    return publish_site(
        site,
        bucket=bucket,
        prefix=env.get("DOCS_PREFIX", DEFAULT_PREFIX),
        kms_key_id=env.get("KMS_KEY_ID") or None,
        client=client,
    )


def presign(bucket: str, key: str = DEFAULT_PREFIX + "index.html", *, expires: int = 3600, client: Any = None) -> str:
    """A time-limited HTTPS URL to one published page (the caller's identity must be able to read and decrypt it)."""
    return str(
        _client(client).generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(expires)
        )
    )


__all__ = ["DEFAULT_PREFIX", "PublishedObject", "local_site", "presign", "publish_from_env", "publish_site"]
