"""The pipeline's steps, one module each; every entry point (``dpc run``, the runner, the Lambdas) calls these.

A delivery goes through :data:`DELIVERY_STEPS` in this order, locally and on AWS. Each step function announces
itself with :func:`step`, so a test can record the way a delivery takes through either path
(:func:`recording`) and compare them — "the same steps locally and on AWS" is checked, not claimed.
STANDARD LIBRARY ONLY: the Lambdas import this package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import ParamSpec, TypeVar

DELIVERY_STEPS = ("validate", "normalise", "load", "transform", "dq", "publish", "export", "notify")

_P = ParamSpec("_P")
_R = TypeVar("_R")
_trace: ContextVar[list[str] | None] = ContextVar("dpc_step_trace", default=None)


def step(name: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Mark a function as the entry of pipeline step ``name`` (one of :data:`DELIVERY_STEPS`)."""
    if name not in DELIVERY_STEPS:
        raise ValueError(f"unknown step {name!r}")

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            trace = _trace.get()
            if trace is not None:
                trace.append(name)
            return func(*args, **kwargs)

        wrapper.__dict__["dpc_step"] = name  # which step a function enters (read by tests and docs)
        return wrapper

    return decorate


@contextmanager
def recording() -> Iterator[list[str]]:
    """Record the steps entered in this context (nested calls of one step inside another are recorded too)."""
    trace: list[str] = []
    token = _trace.set(trace)
    try:
        yield trace
    finally:
        _trace.reset(token)
