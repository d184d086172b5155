"""Progress of the long steps on the terminal (rich): deliveries validated and normalised, dbt nodes done out of
total, publication and export, generation, the docs site.

Shown only to a person at a terminal: quiet when stdout or stderr is not a TTY (piped, redirected, under pytest)
or when ``CI`` is set, so logs, test output and the run summary stay exactly as they are. Drawn on stderr; the
summary stays alone on stdout. ``rich`` is imported only when a bar is drawn (the Lambdas never import it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


def enabled() -> bool:
    """True when a person watches: stdout and stderr are terminals and this is not CI."""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty() and sys.stderr.isatty()


class Task:
    """One step's bar: ``advance`` by units done, ``set_total`` once the total is known, ``describe`` what runs."""

    def __init__(self, progress: Any = None, task_id: Any = None) -> None:
        self._progress, self._id = progress, task_id

    def advance(self, units: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._id, units)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._id, total=total)

    def describe(self, text: str) -> None:
        if self._progress is not None:
            self._progress.update(self._id, detail=text)

    def shown(self) -> tuple[float, float | None, str] | None:
        """What the bar shows now (done, total, detail); None when nothing is drawn."""
        if self._progress is None:
            return None
        state = self._progress.tasks[0]
        return state.completed, state.total, str(state.fields.get("detail", ""))


def _console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def task(description: str, total: int | None = None, *, show: bool = True) -> Iterator[Task]:
    """A bar (or, with no total, a spinner) for one step while it runs; a no-op when nobody watches (or not
    ``show``: e.g. when dbt prints its own log lines)."""
    if not (show and enabled()):
        yield Task()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Column

    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}", table_column=Column(no_wrap=True, min_width=len(description))),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("[dim]{task.fields[detail]}[/]", table_column=Column(no_wrap=True, overflow="ellipsis")),
    )
    with Progress(*columns, console=_console(), transient=False) as progress:
        task_id = progress.add_task(description, total=total, detail="")
        handle = Task(progress, task_id)
        try:
            yield handle
        finally:  # a spinner that ends shows what was done; a bar stays where its step stopped
            done = progress.tasks[0].completed or 1
            if progress.tasks[0].total is None:
                progress.update(task_id, total=done, completed=done)
            progress.update(task_id, detail="")


def dbt_callback(bar: Task) -> Callable[[Any], None]:
    """A dbtRunner callback that advances ``bar`` by one node each time dbt finishes one (``NodeFinished``), with
    the total dbt announces in its START lines (``LogStartLine.total``) and the node's name beside the bar. A build
    resumed past failing tests (dpc.steps.transform.build) is several invocations: their totals add up."""
    seen = {"before": 0, "done": 0}  # nodes finished by earlier invocations, and by all
    bar.describe("reading the project")  # until the first node ends: dbt parses (partial parsing makes it short)

    def on_event(msg: Any) -> None:
        name = msg.info.name
        if name == "NodeFinished":
            seen["done"] += 1
            bar.advance()
            bar.describe(str(msg.data.node_info.unique_id).split(".", 2)[-1])
        elif name == "LogStartLine" and msg.data.total:
            bar.set_total(seen["before"] + int(msg.data.total))
        elif name == "CommandCompleted":
            seen["before"] = seen["done"]

    return on_event
