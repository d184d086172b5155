"""``dpc-runner`` (``python -m runner``): run one step, heartbeat, answer the task token once, exit.

Exit codes: 0 succeeded · 1 the step failed (answered with its error name) · 2 RunnerConfigError ·
3 the step succeeded but Step Functions did not accept the answer · 128+signal when stopped (143 for SIGTERM).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Mapping
from types import FrameType
from typing import Any, TextIO

from runner import errors
from runner.artifacts import ArtifactStore
from runner.config import load_config, partial_context
from runner.logs import JsonLog
from runner.task_token import Heartbeat, TaskToken

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_ANSWER_REJECTED = 0, 1, 2, 3


class StopSignals:
    """SIGTERM (ECS stop, spot reclaim) and SIGINT become one KeyboardInterrupt in the main thread — what dbt
    handles by cancelling its running queries — but only while the work is cancellable, and only once:
    a signal during the answer never interrupts the answer."""

    def __init__(self, log: JsonLog) -> None:
        self.log = log
        self.received: str | None = None
        self.signum: int | None = None
        self.cancellable = False
        self._raised = False
        self._saved: dict[int, Any] = {}

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._saved[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self._saved.items():
            signal.signal(sig, handler)
        self._saved.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is None:
            self.received, self.signum = name, signum
        raising = self.cancellable and not self._raised
        self.log.emit("signal", name, level="warning", action="cancel dbt" if raising else "noted")
        if raising:
            self._raised = True
            raise KeyboardInterrupt(name)


def _interrupted_failure(signals: StopSignals, phase: str) -> errors.StepFailure:
    return errors.StepFailure(
        errors.INTERRUPTED, f"stopped by {signals.received or 'KeyboardInterrupt'} during {phase}"
    )


def run(
    environ: Mapping[str, str] | None = None,
    *,
    install_signals: bool = False,
    stdout: TextIO | None = None,
    log_stream: TextIO | None = None,
    sfn_client: Any = None,
    s3_client: Any = None,
) -> int:
    """Run the step the environment describes; returns the exit code (see the module docstring)."""
    from runner.steps import run_dbt_step, run_normalise_step

    out = stdout or sys.stdout
    started = time.monotonic()
    log = JsonLog(partial_context(environ), stream=log_stream)
    signals = StopSignals(log)
    if install_signals:
        signals.install()
    try:
        env = dict(os.environ if environ is None else environ)
        try:
            cfg = load_config(env)
        except errors.RunnerConfigError as config_failure:
            # answer even a broken configuration, or the execution would wait until its timeout
            token = TaskToken((env.get("TASK_TOKEN") or "").strip() or None, log, sfn_client)
            return _finish_failure(token, config_failure, log, out, started, local=token.token is None)
        log.context = cfg.log_context()
        token = TaskToken(cfg.task_token, log, sfn_client)
        store = ArtifactStore(cfg.artifacts_bucket, cfg.artifacts_prefix, cfg.run_id, cfg.kms_key_id, s3_client)
        log.emit(
            "start", "running", mode="local" if cfg.local else "task-token", heartbeat_seconds=cfg.heartbeat_seconds
        )

        summary: dict[str, Any] | None = None
        failure: errors.StepFailure | None = None
        with Heartbeat(token, cfg.heartbeat_seconds):
            try:
                signals.cancellable = True
                if signals.received:  # stopped before the work began
                    raise KeyboardInterrupt(signals.received)
                if cfg.step == "dbt":
                    summary = run_dbt_step(cfg, log, store, interrupted=lambda: signals.received is not None)
                else:
                    summary = run_normalise_step(cfg, log, store)
            except errors.StepFailure as exc:
                failure = exc
            except KeyboardInterrupt:
                failure = _interrupted_failure(signals, cfg.step)
            except Exception as exc:  # noqa: BLE001 - every failure is answered, never left to the timeout
                failure = errors.StepFailure(
                    errors.RUNNER_ERROR, f"{type(exc).__name__}: {exc}", {"run_id": cfg.run_id}
                )
            finally:
                signals.cancellable = False
        if failure is None and signals.received:  # a signal after the work finished: still a stop
            failure = _interrupted_failure(signals, "shutdown")
        if failure is not None:
            return _finish_failure(token, failure, log, out, started, local=cfg.local, signals=signals)
        assert summary is not None
        summary["elapsed_seconds"] = round(time.monotonic() - started, 2)
        accepted = token.succeed(summary)
        _print(out, summary, local=cfg.local)
        log.emit("end", "succeeded", duration=summary["elapsed_seconds"])
        return EXIT_OK if accepted else EXIT_ANSWER_REJECTED
    finally:
        if install_signals:
            signals.restore()


def _finish_failure(
    token: TaskToken,
    failure: errors.StepFailure,
    log: JsonLog,
    out: TextIO,
    started: float,
    *,
    local: bool,
    signals: StopSignals | None = None,
) -> int:
    cause = failure.cause()
    token.fail(failure.error, cause)
    elapsed = round(time.monotonic() - started, 2)
    _print(
        out,
        {"status": "failed", "error": failure.error, "cause": json.loads(cause), "elapsed_seconds": elapsed},
        local=local,
    )
    log.emit("end", "failed", level="error", error=failure.error, duration=elapsed, message=failure.message[:1000])
    if failure.error == errors.INTERRUPTED and signals is not None and signals.signum is not None:
        return 128 + signals.signum
    if failure.error == errors.RUNNER_CONFIG_ERROR:
        return EXIT_CONFIG
    return EXIT_FAILED


def _print(out: TextIO, value: dict[str, Any], *, local: bool) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=2 if local else None, default=str) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> None:
    """``dpc-runner [dbt|normalise]``: the optional argument overrides STEP (one image, a step per task definition)."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\nConfiguration: environment variables, see docs/runner.md.")
        sys.exit(0)
    if len(args) > 1:
        print("usage: dpc-runner [dbt|normalise]", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    environ = {**os.environ, "STEP": args[0]} if args else None
    sys.exit(run(environ, install_signals=True))


if __name__ == "__main__":
    main()
