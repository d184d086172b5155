"""dbt's artifacts to ``s3://<ARTIFACTS_BUCKET>/<ARTIFACTS_PREFIX>/<run id>/<name>``, always with SSE-KMS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# what a dbt invocation leaves in target/ that is worth keeping (sources.json only after `source freshness`)
DBT_ARTIFACTS = ("manifest.json", "run_results.json", "sources.json")
DOCS_ARTIFACTS = ("static_index.html", "catalog.json")
_CONTENT_TYPES = {".json": "application/json", ".html": "text/html; charset=utf-8"}


def fresh_files(directory: Path, names: tuple[str, ...], since: float) -> dict[str, Path]:
    """The named files in ``directory`` written at or after ``since`` (epoch seconds): never a stale artifact."""
    out: dict[str, Path] = {}
    for name in names:
        path = directory / name
        if path.is_file() and path.stat().st_mtime >= since - 1.0:
            out[name] = path
    return out


def s3_client() -> Any:
    import boto3

    return boto3.client("s3")


class ArtifactStore:
    """Where this run's artifacts go; without a bucket (local runs) they stay where dbt wrote them."""

    def __init__(self, bucket: str | None, prefix: str, run_id: str, kms_key_id: str | None, client: Any = None):
        self.bucket = bucket
        self.prefix = "/".join(p for p in (prefix.strip("/"), run_id) if p)
        self.kms_key_id = kms_key_id
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client()
        return self._client

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def put_bytes(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        if self.bucket is None:
            raise RuntimeError("no ARTIFACTS_BUCKET configured")
        extra: dict[str, str] = {"ServerSideEncryption": "aws:kms"}
        if self.kms_key_id:
            extra["SSEKMSKeyId"] = self.kms_key_id
        self.client.put_object(Bucket=self.bucket, Key=self.key(name), Body=data, ContentType=content_type, **extra)
        return f"s3://{self.bucket}/{self.key(name)}"

    def put_json(self, name: str, value: Any) -> str:
        if self.bucket is None:
            return ""
        data = json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        return self.put_bytes(name, data, "application/json")

    def upload(self, files: dict[str, Path]) -> dict[str, str]:
        """Upload each file under its name; returns name → URI (local file URIs when there is no bucket)."""
        if self.bucket is None:
            return {name: path.resolve().as_uri() for name, path in files.items()}
        return {
            name: self.put_bytes(name, path.read_bytes(), _CONTENT_TYPES.get(path.suffix, "application/octet-stream"))
            for name, path in files.items()
        }
