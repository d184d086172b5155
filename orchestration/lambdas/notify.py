"""Notify: the run summary people can act on — to the SNS topic, and to Slack when a webhook secret is set.

The message is built by :mod:`dpc.steps.notify` from a summary shaped like the local run's
(:meth:`dpc.pipeline.RunSummary.as_dict`), so ``dpc run`` and the state machine report the same fields
(:func:`dpc.steps.notify.summary_fields`): month, facility, rows per kind, dbt models and tests, DQ warnings and
errors, published or not, the error and cause — plus links to the execution, the dbt artifacts and the runbook.
The fields also travel as JSON at the end of the message (for machines; people read the text above it).

Slack: only when ``SLACK_WEBHOOK_SECRET_ARN`` names a secret that holds a webhook URL (Secrets Manager); no secret,
no value, no Slack call. A Slack failure is reported in the output, not raised: the SNS message already went out.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any
from urllib.parse import quote, urlparse

from lambda_common import client, env, log, state_of

from dpc.steps.load import Ingested
from dpc.steps.notify import execution_run_status, format_summary, summary_fields

SUMMARY_JSON_MARKER = "summary_fields (JSON):"
RUNBOOK = "docs/orchestration.md"


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    execution_status = str(event.get("status") or "FAILED")  # how the execution ended: SUCCEEDED, REJECTED, FAILED
    status = execution_run_status(execution_status)  # the run status of docs/decisions/0024, as `dpc run` says it
    state = state_of(event)
    summary = summary_from_state(str(event.get("run_id") or "manual"), execution_status, state)
    fields = summary_fields(summary)
    text = message_text(summary, execution_status, event.get("execution_arn"))
    rejected = " (delivery rejected)" if execution_status == "REJECTED" else ""
    subject = f"DPC {status}: facility {state.get('facility_code')} month {state.get('yyyymm')}{rejected}"[:99]
    published = client("sns").publish(
        TopicArn=env("SNS_TOPIC_ARN"),
        Subject=subject,
        Message=text + "\n\n" + SUMMARY_JSON_MARKER + "\n" + json.dumps(fields, ensure_ascii=False, default=str),
        MessageAttributes={"status": {"DataType": "String", "StringValue": status}},
    )
    slack = send_to_slack(text)
    log(step="notify", status=status, sns_message_id=published["MessageId"], slack=slack)
    return {"status": status, "sns_message_id": published["MessageId"], "slack": slack, "fields": fields}


def _cause_text(cause: object, limit: int = 2000) -> str:
    """A Lambda's cause is JSON ({"errorMessage": …}); keep the message people need."""
    text = str(cause or "")
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        text = f"{parsed['errorMessage']}"
    return text if len(text) <= limit else text[:limit] + "…"


_TALLY = {"passed", "warned", "failed", "skipped", "other"}
_TEST_TYPES = {"test", "unit_test"}


def dbt_status_counts(dbt: dict[str, Any]) -> dict[str, dict[str, int]]:
    """dbt's node statuses per resource type, as the local run counts them (``{"model": {"success": 12},
    "test": {"pass": 80, "warn": 1}}``). The runner may answer them as ``status_counts``; its ``counts`` are
    tallied (passed/warned/failed/skipped), which maps back one to one for models, seeds and tests."""
    if isinstance(dbt.get("status_counts"), dict):
        return dbt["status_counts"]
    counts = dbt.get("counts") or {}
    if not counts or not all(isinstance(v, dict) and set(v) <= _TALLY for v in counts.values()):
        return counts
    out: dict[str, dict[str, int]] = {}
    for resource_type, tally in counts.items():
        test = resource_type in _TEST_TYPES
        names = {
            "passed": "pass" if test else "success",
            "warned": "warn",
            "failed": "fail" if test else "error",
            "skipped": "skipped",
            "other": "other",
        }
        statuses = {names[k]: int(v) for k, v in tally.items() if int(v)}
        if statuses:
            out[resource_type] = statuses
    return out


def summary_from_state(run_id: str, status: str, state: dict[str, Any]) -> dict[str, Any]:
    """The state machine's state as a run summary (the shape of ``RunSummary.as_dict()``)."""
    validation = state.get("validation") or {}
    normalised = state.get("normalise") or {}
    dbt = state.get("dbt") or {}
    error = state.get("error") or None
    rejected = (
        status == "REJECTED"
        or validation.get("ok") is False
        or (isinstance(error, dict) and error.get("Error") == "DeliveryRejected")  # the normaliser rejected a file
    )
    if rejected:
        delivery_status = "rejected"
    elif (state.get("load") or {}).get("status") == "FINISHED":
        delivery_status = "loaded"
    else:
        delivery_status = "not loaded"
    # the runner's answer: the ingest's own per-file result (dpc.steps.load.Ingested)
    ingested = normalised.get("ingested")
    rows = Ingested.from_dict(ingested).rows() if isinstance(ingested, dict) else {}
    published = (state.get("publish") or {}).get("status") == "FINISHED"
    exported = (state.get("export") or {}).get("status") == "FINISHED"
    artifacts = dbt.get("artifacts") or {}
    return {
        "run_id": run_id,
        "target": "redshift",
        "status": execution_run_status(status),
        "ok": error is None and not rejected and published,
        "published": published,
        "error": f"{error.get('Error')}: {_cause_text(error.get('Cause'))}" if isinstance(error, dict) else None,
        "deliveries": [
            {
                "facility_code": state.get("facility_code"),
                "yyyymm": int(state["yyyymm"]) if state.get("yyyymm") is not None else None,
                "status": delivery_status,
                "findings": list(validation.get("findings") or []),
                "rows": rows,
            }
        ],
        "dbt": {
            **{k: dbt[k] for k in ("invocation_id", "status", "failed", "error") if k in dbt},
            "counts": dbt_status_counts(dbt),
        },
        "dq": {k: v for k, v in (state.get("dq") or {}).items() if k != "cause"},
        "rows_per_layer": {},
        "exports": {"prefix": ((state.get("export") or {}).get("result") or {}).get("prefix")} if exported else {},
        "docs_path": artifacts.get("docs/static_index.html") or artifacts.get("docs"),
        "report_path": None,
        "seconds": {"dbt_build": dbt["dbt_seconds"]} if dbt.get("dbt_seconds") is not None else {},
        "headline": {},
        "artifacts": artifacts,
    }


def message_text(summary: dict[str, Any], status: str, execution_arn: str | None) -> str:
    lines = [format_summary(summary), ""]
    if status == "REJECTED":
        lines.append(
            "The delivery was rejected before anything was loaded: fix the files or the manifest and upload "
            "a corrected manifest (a new manifest hash starts a new run)."
        )
    if execution_arn:
        region = execution_arn.split(":")[3]
        lines.append(
            f"Execution:      https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{quote(execution_arn, safe='')}"
        )
    for name, uri in sorted((summary.get("artifacts") or {}).items()):
        lines.append(f"Artifact {name}: {uri}")
    base = os.environ.get("DOCS_BASE_URL", "").rstrip("/")
    lines.append(f"Runbook:        {base + '/' if base else ''}{RUNBOOK} (what each failure means and what to do)")
    return "\n".join(lines)


def slack_webhook_url() -> tuple[str | None, str]:
    """(webhook URL, why not) from the secret named by SLACK_WEBHOOK_SECRET_ARN."""
    arn = os.environ.get("SLACK_WEBHOOK_SECRET_ARN", "")
    if not arn:
        return None, "skipped: no webhook secret configured"
    secrets = client("secretsmanager")
    try:
        value = secrets.get_secret_value(SecretId=arn)
    except secrets.exceptions.ResourceNotFoundException:
        return None, "skipped: the webhook secret does not exist"
    except secrets.exceptions.InvalidRequestException as exc:  # e.g. no value stored yet, or scheduled deletion
        return None, f"skipped: the webhook secret has no usable value ({exc.response['Error']['Code']})"
    raw = str(value.get("SecretString") or "").strip()
    if raw.startswith("{"):
        raw = str(json.loads(raw).get("url") or "").strip()
    if not raw:
        return None, "skipped: the webhook secret is empty"
    return raw, ""


def send_to_slack(text: str) -> str:
    url, why_not = slack_webhook_url()
    if url is None:
        return why_not
    parsed = urlparse(url)
    if parsed.scheme != "https" and parsed.hostname not in ("127.0.0.1", "localhost"):
        return "failed: the webhook URL must be https"
    body = json.dumps({"text": "```" + text[:3500] + "```"}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - scheme checked above
            return f"sent ({response.status})"
    except OSError as exc:
        return f"failed: {exc}"
