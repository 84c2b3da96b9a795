"""Automatic garbage collection paused while a report is computed.

A report over a long history allocates a million small objects (rows, datetimes, step
functions) and frees almost none of them until it returns; none of them form reference
cycles. CPython's cycle collector still walks every young object each few hundred
allocations, and the whole heap now and then: a third of ``report flow``'s CPU at 100k items
(1.6 s -> 1.1 s with it paused), measured by ``tests/benchmarks/bench_reports.py``. Reference
counting frees everything as usual; the few cycles left (SQLAlchemy's per-query objects) are
collected once collection resumes.

Process-wide, like ``gc`` itself: nested or concurrent pauses leave collection as the
outermost one found it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def paused() -> Iterator[None]:
    """No automatic cycle collection inside the block (restored as found)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def gc_paused(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` run inside :func:`paused`."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused():
            return fn(*args, **kwargs)

    return run
