"""Bounded concurrency for the per-issue calls a bulk API cannot replace.

Remote links and truncated Data Center changelogs cost one request per issue. They run in a
small thread pool (``concurrency`` in the source settings) on the one ``requests`` session,
so every call goes through the same retry adapter and response observer as the bulk reads.
Results come back in the order asked: pages are still built, and committed, in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def each(fn: Callable[[T], R], args: Sequence[T], workers: int) -> list[R]:
    """``[fn(a) for a in args]`` with at most ``workers`` calls in flight. The first failure
    (in argument order) is raised once the calls already running have ended; calls not yet
    started are cancelled, so a failing run stops within ``workers`` requests."""
    if workers <= 1 or len(args) <= 1:
        return [fn(a) for a in args]
    with ThreadPoolExecutor(max_workers=min(workers, len(args)), thread_name_prefix="jira") as pool:
        futures = [pool.submit(fn, a) for a in args]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
