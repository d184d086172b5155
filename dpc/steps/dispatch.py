"""Dispatch: find pending deliveries, lock each one and start one named execution per delivery (docs/decisions/0016).

STANDARD LIBRARY ONLY (the Dispatch Lambda and ``dpc start-execution`` import it; boto3 clients are passed in).

- A delivery (facility × month) is *pending* when its ``manifest.json`` exists under ``raw/`` and that manifest
  (by its hash, :func:`dpc.manifest.manifest_sha256`) has no successful run yet. A delivery without a manifest
  is still uploading and is left alone.
- The registry is the DynamoDB table ``dpc-learning-<env>-deliveries`` (hash key ``delivery_id``), one item per
  delivery: its current manifest hash, status (``running``, ``succeeded``, ``failed``, ``rejected``), attempt,
  execution name and ARN, and a ``version`` for optimistic locking.
- The lock is a conditional write: an item is set to ``running`` only if it is not running and still has the
  version this dispatcher read, so two dispatchers (the schedule and a manual start, say) never start the same
  delivery twice. Before deciding, a ``running`` item is reconciled with its execution (``DescribeExecution``),
  so a run that ended — however it ended — releases the lock.
- Executions are named ``<facility>-<yyyymm>-<manifest hash, 16 hex>-<attempt>``: a corrected re-delivery (new
  manifest) gets a new name, and a retried run of the same manifest a new attempt (Standard workflows refuse a
  name used in the last 90 days).
- A failed run is retried by the next dispatch up to ``max_attempts``; a rejected delivery waits for a new
  manifest. ``force`` starts a new attempt regardless (never while one is running).
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dpc.manifest import MANIFEST_NAME, delivery_from_path, manifest_sha256
from dpc.storage import Storage, delivery_prefix

RUNNING, SUCCEEDED, FAILED, REJECTED = "running", "succeeded", "failed", "rejected"
REJECTED_ERROR = "DeliveryRejected"  # the Fail state's error for a rejected delivery
DEFAULT_MAX_ATTEMPTS = 3
# a lock taken without an execution ARN (dispatcher died between the write and StartExecution) expires
STALE_LOCK_SECONDS = 900


BUILD_LOCK_ID = "build-lock"  # the state machine's lock item: one dbt build → publish → export at a time


def delivery_id(facility_code: str, yyyymm: int) -> str:
    return f"{facility_code}-{int(yyyymm)}"


def execution_name(facility_code: str, yyyymm: int, manifest_hash: str, attempt: int) -> str:
    """``131000001-202404-0123456789abcdef-1``: delivery, manifest hash and attempt (≤ 80 chars, [0-9a-z-])."""
    return f"{facility_code}-{int(yyyymm)}-{manifest_hash[:16]}-{int(attempt)}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name


def delivery_manifest_hash(storage: Storage, facility_code: str, yyyymm: int) -> str | None:
    """The hash that names the delivery's runs: of the parsed manifest (as validation computes it), or of its
    bytes when it is not valid JSON (the run then reports the rejection); None without a manifest."""
    key = delivery_prefix("raw", facility_code, yyyymm) + MANIFEST_NAME
    if not storage.exists(key):
        return None
    raw = storage.read_bytes(key)
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return hashlib.sha256(raw).hexdigest()
    return manifest_sha256(parsed) if isinstance(parsed, dict) else hashlib.sha256(raw).hexdigest()


def deliveries_with_manifest(storage: Storage) -> list[tuple[str, int]]:
    """Every (facility, yyyymm) under raw/ whose manifest is present, by month then facility."""
    found = {
        located
        for key in storage.list("raw/")
        if key.endswith("/" + MANIFEST_NAME) and (located := delivery_from_path(key))
    }
    return sorted(found, key=lambda d: (d[1], d[0]))


# --- registry (DynamoDB) --------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if "S" in value:
            out[key] = value["S"]
        elif "N" in value:
            out[key] = int(value["N"])
        elif "NULL" in value:
            out[key] = None
    return out


@dataclass
class Registry:
    """The deliveries table: one item per delivery, conditional writes as the lock."""

    client: Any
    table: str

    def get(self, item_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table, Key={"delivery_id": {"S": item_id}}, ConsistentRead=True)
        return _plain(item["Item"]) if "Item" in item else None

    def acquire(
        self,
        item_id: str,
        *,
        facility_code: str,
        yyyymm: int,
        manifest_hash: str,
        attempt: int,
        name: str,
        version: int | None,
    ) -> bool:
        """Take the lock: set the item running, if nobody else did since it was read (``version``)."""
        values: dict[str, Any] = {
            ":running": {"S": RUNNING},
            ":facility": {"S": facility_code},
            ":yyyymm": {"N": str(int(yyyymm))},
            ":hash": {"S": manifest_hash},
            ":attempt": {"N": str(attempt)},
            ":name": {"S": name},
            ":now": {"S": _now()},
            ":next": {"N": str((version or 0) + 1)},
            ":null": {"NULL": True},
        }
        if version is None:
            condition = "attribute_not_exists(delivery_id)"
        else:
            condition = "#status <> :running AND #version = :version"
            values[":version"] = {"N": str(version)}
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"delivery_id": {"S": item_id}},
                UpdateExpression=(
                    "SET #status = :running, facility_code = :facility, yyyymm = :yyyymm, "
                    "manifest_sha256 = :hash, attempt = :attempt, execution_name = :name, execution_arn = :null, "
                    "#error = :null, updated_at = :now, locked_at = :now, #version = :next"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status", "#version": "version", "#error": "error"},
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update(self, item_id: str, *, expect_name: str, **fields: Any) -> bool:
        """Set fields on the item if it still belongs to the execution ``expect_name``."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values: dict[str, Any] = {":name": {"S": expect_name}, ":now": {"S": _now()}}
        sets = ["updated_at = :now"]
        for i, value in enumerate(fields.values()):
            values[f":v{i}"] = (
                {"NULL": True}
                if value is None
                else ({"N": str(value)} if isinstance(value, int) else {"S": str(value)})
            )
            sets.append(f"#f{i} = :v{i}")
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"delivery_id": {"S": item_id}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="execution_name = :name",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True


# --- decisions ------------------------------------------------------------------------------------------------


def outcome_of(described: dict[str, Any]) -> tuple[str, str | None]:
    """(registry status, error) of a described execution."""
    status = described.get("status")
    if status == "RUNNING":
        return RUNNING, None
    if status == "SUCCEEDED":
        return SUCCEEDED, None
    error = described.get("error") or status
    return (REJECTED if error == REJECTED_ERROR else FAILED), error


def reconcile(registry: Registry, sfn: Any, item: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Bring a ``running`` item up to date with its execution (or expire a lock that never got one)."""
    if item.get("status") != RUNNING:
        return item
    arn = item.get("execution_arn")
    error: str | None
    if not arn:
        locked = datetime.fromisoformat(str(item.get("locked_at") or item.get("updated_at")))
        if ((now or datetime.now(UTC)) - locked).total_seconds() < STALE_LOCK_SECONDS:
            return item
        status, error = FAILED, "DispatchInterrupted"
    else:
        try:
            described = sfn.describe_execution(executionArn=arn)
        except sfn.exceptions.ExecutionDoesNotExist:
            described = {"status": "FAILED", "error": "ExecutionDoesNotExist"}
        status, error = outcome_of(described)
        if status == RUNNING:
            return item
    if registry.update(item["delivery_id"], expect_name=str(item["execution_name"]), status=status, error=error):
        return {**item, "status": status, "error": error, "version": item.get("version")}
    return registry.get(item["delivery_id"]) or item


def release_stale_build_lock(registry: Registry, sfn: Any) -> str | None:
    """Free the state machine's build lock when the execution holding it has ended without releasing it (killed,
    timed out); returns the former holder's name, or None when the lock is free or its holder still runs."""
    item = registry.get(BUILD_LOCK_ID)
    if not item or not item.get("execution_arn"):
        return None
    try:
        status = sfn.describe_execution(executionArn=item["execution_arn"])["status"]
    except sfn.exceptions.ExecutionDoesNotExist:
        status = "MISSING"
    if status == "RUNNING":
        return None
    try:
        registry.client.delete_item(
            TableName=registry.table,
            Key={"delivery_id": {"S": BUILD_LOCK_ID}},
            ConditionExpression="holder = :holder",
            ExpressionAttributeValues={":holder": {"S": str(item.get("holder"))}},
        )
    except registry.client.exceptions.ConditionalCheckFailedException:
        return None  # taken over meanwhile
    return str(item.get("holder"))


def decide(
    item: dict[str, Any] | None, manifest_hash: str, *, force: bool = False, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> tuple[bool, int, str]:
    """(start?, attempt, reason) for a delivery whose current manifest hash is ``manifest_hash``."""
    if item is None:
        return True, 1, "new delivery"
    if item.get("status") == RUNNING:
        return False, 0, f"locked: execution {item.get('execution_name')} is running"
    if item.get("manifest_sha256") != manifest_hash:
        return True, 1, "new manifest (corrected re-delivery)"
    attempt = int(item.get("attempt") or 0) + 1
    status = item.get("status")
    if force:
        return True, attempt, f"forced (last run {status})"
    if status == SUCCEEDED:
        return False, 0, "already succeeded for this manifest"
    if status == REJECTED:
        return False, 0, "rejected: waiting for a corrected manifest (or start with force)"
    if attempt > max_attempts:
        return False, 0, f"failed {attempt - 1} times: start with force after fixing the cause"
    return True, attempt, f"retry after {status} ({item.get('error')})"


@dataclass
class Dispatcher:
    storage: Storage
    registry: Registry
    sfn: Any
    state_machine_arn: str
    bucket: str
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def run(
        self, only: Iterable[tuple[str, int]] | None = None, *, force: bool = False, dry_run: bool = False
    ) -> list[dict[str, Any]]:
        """Start an execution for every pending delivery (or for ``only`` these); one result per delivery."""
        targets = list(only) if only is not None else deliveries_with_manifest(self.storage)
        results = []
        if not dry_run:
            freed = release_stale_build_lock(self.registry, self.sfn)
            if freed:
                results.append(
                    {
                        "delivery_id": BUILD_LOCK_ID,
                        "facility_code": "",
                        "yyyymm": 0,
                        "action": "released",
                        "reason": f"build lock of ended execution {freed} released",
                    }
                )
        for facility, yyyymm in targets:
            try:
                results.append(self.one(facility, yyyymm, force=force, dry_run=dry_run))
            except Exception as exc:  # one delivery's trouble must not stop the others
                results.append(
                    {
                        "delivery_id": delivery_id(facility, yyyymm),
                        "facility_code": facility,
                        "yyyymm": int(yyyymm),
                        "action": "error",
                        "reason": f"{type(exc).__name__}: {exc}",
                    }
                )
        return results

    def one(self, facility_code: str, yyyymm: int, *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """Decide for one delivery and, unless ``dry_run``, lock it and start its execution."""
        item_id = delivery_id(facility_code, yyyymm)
        result: dict[str, Any] = {"delivery_id": item_id, "facility_code": facility_code, "yyyymm": int(yyyymm)}
        manifest_hash = delivery_manifest_hash(self.storage, facility_code, yyyymm)
        if manifest_hash is None:
            return {**result, "action": "skipped", "reason": "no manifest.json yet (upload in progress?)"}
        item = self.registry.get(item_id)
        if item is not None:
            item = reconcile(self.registry, self.sfn, item, now=self.now())
        start, attempt, reason = decide(item, manifest_hash, force=force, max_attempts=self.max_attempts)
        result.update(manifest_sha256=manifest_hash, reason=reason)
        if not start:
            return {**result, "action": "skipped"}
        name = execution_name(facility_code, yyyymm, manifest_hash, attempt)
        payload = execution_input(facility_code, yyyymm, manifest_hash, attempt, self.bucket)
        if dry_run:
            return {**result, "action": "would start", "execution_name": name, "attempt": attempt, "input": payload}
        version = None if item is None else int(item.get("version") or 0)
        if not self.registry.acquire(
            item_id,
            facility_code=facility_code,
            yyyymm=int(yyyymm),
            manifest_hash=manifest_hash,
            attempt=attempt,
            name=name,
            version=version,
        ):
            return {**result, "action": "skipped", "reason": "locked by another dispatcher"}
        try:
            arn = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(payload)
            )["executionArn"]
        except self.sfn.exceptions.ExecutionAlreadyExists:
            arn = execution_arn(self.state_machine_arn, name)  # started by hand with the canonical name
        except Exception as exc:
            self.registry.update(item_id, expect_name=name, status=FAILED, error=f"StartExecution: {exc}")
            raise
        self.registry.update(item_id, expect_name=name, execution_arn=arn)
        return {
            **result,
            "action": "started",
            "execution_name": name,
            "execution_arn": arn,
            "attempt": attempt,
            "input": payload,
        }


def execution_input(facility_code: str, yyyymm: int, manifest_hash: str, attempt: int, bucket: str) -> dict[str, Any]:
    """The execution's input: the delivery, the manifest hash it was started for, the attempt and the bucket."""
    return {
        "facility_code": facility_code,
        "yyyymm": int(yyyymm),
        "delivery_id": delivery_id(facility_code, yyyymm),
        "manifest_sha256": manifest_hash,
        "attempt": int(attempt),
        "bucket": bucket,
    }


def aws_cli_command(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
    """The same start with the AWS CLI (bypasses the registry lock; the execution name still refuses a duplicate)."""
    return (
        f"aws stepfunctions start-execution --state-machine-arn {shlex.quote(state_machine_arn)} "
        f"--name {shlex.quote(name)} --input {shlex.quote(json.dumps(payload, separators=(',', ':')))}"
    )


def targets_from_event(event: dict[str, Any]) -> tuple[list[tuple[str, int]] | None, bool]:
    """What a Dispatch event asks for: (deliveries or None for all pending, force).

    - the schedule: ``{"source": "schedule"}`` → every pending delivery;
    - an S3 "Object Created" event (EventBridge) for a manifest → that delivery;
    - a manual start: ``{"facility_code": "131000001", "yyyymm": 202404, "force": true}``.
    """
    force = bool(event.get("force", False))
    if event.get("facility_code") and event.get("yyyymm"):
        return [(str(event["facility_code"]), int(event["yyyymm"]))], force
    key = ((event.get("detail") or {}).get("object") or {}).get("key")
    if key:
        located = delivery_from_path(str(key))
        return ([located] if located else []), force
    return None, force
