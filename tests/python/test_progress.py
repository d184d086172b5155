"""Progress on the long steps (issue 27 item 2): drawn for a person at a terminal, never into pipes, logs or CI.

The terminals here are real pseudo-terminals (os.openpty); the dbt events are dbt's own event classes, as the
dbtRunner callback receives them (dbt_common's msg_from_base_event)."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from dpc import progress
from tests.python.conftest import environment


@contextmanager
def _terminal() -> Iterator[None]:
    """stdout and stderr on a real pseudo-terminal for the duration."""
    leader, follower = os.openpty()
    saved = sys.stdout, sys.stderr
    tty = open(follower, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - closed below
    sys.stdout = sys.stderr = tty
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        tty.close()
        os.close(follower)
        os.close(leader)


def test_progress_only_for_a_person_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert not progress.enabled()  # pytest captures stdout and stderr: not terminals
    with _terminal():
        assert progress.enabled()
        with environment(CI="true"):
            assert not progress.enabled()
    with _terminal():
        sys.stdout = io.StringIO()  # `dpc run > summary.txt` on a terminal
        assert not progress.enabled()
    with progress.task("nobody watches", 2) as bar:  # a no-op, whatever it is told
        bar.advance()
        bar.set_total(5)
        bar.describe("x")


def test_dbt_nodes_done_out_of_total_from_dbts_own_events(monkeypatch: pytest.MonkeyPatch) -> None:
    from dbt.events.types import CommandCompleted, LogStartLine, NodeFinished
    from dbt_common.events.base_types import msg_from_base_event
    from rich.console import Console

    drawn = io.StringIO()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(progress, "_console", lambda: Console(file=drawn, force_terminal=True, width=160))

    def finished(node: str) -> object:
        return msg_from_base_event(NodeFinished(node_info={"unique_id": node}))

    with _terminal(), progress.task("dbt build") as bar:
        on_event = progress.dbt_callback(bar)
        assert bar.shown() == (0, None, "reading the project")  # a spinner until dbt says how many nodes
        on_event(msg_from_base_event(LogStartLine(description="sql table model", index=1, total=3)))
        on_event(finished("model.dpc_learning.stg_dpc__ff1"))
        on_event(finished("model.dpc_learning.fct_admissions"))
        assert bar.shown() == (2, 3, "fct_admissions")
        on_event(finished("test.dpc_learning.unique_fct_admissions_stay_id"))
        on_event(msg_from_base_event(CommandCompleted(command="build", success=False, elapsed=1.0)))
        # the build resumed past a failing test: one more invocation, its nodes added to the total
        on_event(msg_from_base_event(LogStartLine(description="sql table model", index=1, total=1)))
        assert bar.shown() == (3, 4, "unique_fct_admissions_stay_id")
        on_event(finished("model.dpc_learning.kpi_monthly_facility_mdc"))
    text = drawn.getvalue()
    assert "dbt build" in text and "4/4" in text  # drawn on the terminal's console, the finished line kept
