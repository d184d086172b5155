"""One JSON object per line on stderr (CloudWatch Logs via the awslogs driver): run id, month, phase, node …"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any, TextIO


class JsonLog:
    """Thread-safe JSON-lines logger; every line carries the run's context (run id, month, facility, step)."""

    def __init__(self, context: dict[str, Any] | None = None, stream: TextIO | None = None) -> None:
        self.context = dict(context or {})
        self.stream = stream
        # reentrant: the stop-signal handler logs from the main thread, possibly while it is inside emit()
        self._lock = threading.RLock()

    def emit(
        self,
        phase: str,
        status: str | None = None,
        *,
        node: str | None = None,
        duration: float | None = None,
        level: str = "info",
        **fields: Any,
    ) -> None:
        record: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level,
            **self.context,
            "phase": phase,
        }
        if status is not None:
            record["status"] = status
        if node is not None:
            record["node"] = node
        if duration is not None:
            record["duration_seconds"] = round(float(duration), 3)
        record.update({k: v for k, v in fields.items() if v is not None})
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            stream = self.stream or sys.stderr  # resolved late: tests and pytest swap sys.stderr
            stream.write(line + "\n")
            stream.flush()
