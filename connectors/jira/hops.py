"""Linked issues one hop outside the scope, gathered over pages and fetched 100 a request.

A page of 100 in-scope issues links to a handful of outside ones; fetching each page's handful
at once would cost a request per page. ``OneHop`` collects them instead and lets a bulk read
go out when 100 are waiting (or the walk ends). The links naming them are stored before they
are: the store keeps a link end waiting for its item and fills it when the item arrives
(``sync.resolve``), so nothing is lost by the delay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime

from connectors.jira.settings import BULK


class OneHop:
    """Outside ids waiting to be fetched, and those fetched this run (each at most once)."""

    def __init__(self, stored: Callable[[Sequence[str]], Mapping[str, datetime]]) -> None:
        self.stored = stored
        self.waiting: dict[str, None] = {}  # insertion-ordered
        self.fetched: set[str] = set()

    def want(self, ids: Iterable[str]) -> None:
        for iid in ids:
            if iid not in self.fetched:
                self.waiting[iid] = None

    def ready(self, flush: bool) -> Iterator[list[str]]:
        """Chunks of ≤100 ids to fetch now (marked fetched): full ones, and with ``flush`` the
        rest; ids already stored (in scope or from an earlier run) are dropped."""
        if not self.waiting or (len(self.waiting) < BULK and not flush):
            return
        wanted = list(self.waiting)
        known = self.stored(wanted)
        wanted = [i for i in wanted if i not in known]
        keep = 0 if flush else len(wanted) % BULK
        self.waiting = dict.fromkeys(wanted[len(wanted) - keep :])
        for start in range(0, len(wanted) - keep, BULK):
            chunk = wanted[start : start + BULK]
            self.fetched.update(chunk)
            yield chunk
