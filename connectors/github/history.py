"""The history pass: timelines of the issues a first pass stored without them (issue 10 §5).

Current state first: a first load (a full walk, or any backfill) stores every issue, its
relations where the summaries say there are any, and its milestone at about N/100 requests,
and defers the timelines (one or more requests per issue). Until an item's timeline is read
its dates are provisional: link ages count from when trainyard first saw the link, blocked
episodes from the first sync. The engine keeps the mark (``work_items.history_pending``) and
hands the pending items to every run (``SyncRequest.history_pending``).

This pass runs after a run's current-state pages are stored, so it never delays them. It reads
at most ``history_per_sync`` timelines a run (a backfill too: a run holds the source's lock,
and an hour-long history read would hold up the incremental syncs behind it), most recently
updated first, and stops, without waiting, when the rate budget falls to
``rate_limit_reserve``: the next run resumes with what is still pending. Each page commits
the events and link dates of the timelines it read together with their ``history_read`` marks.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.base import Page, SyncRequest
from connectors.errors import Vanished
from connectors.github.batch import _Batch
from connectors.github.settings import PER_PAGE
from connectors.github.sweep import DependencySweep
from connectors.github.values import _memo_json


class HistoryPass(DependencySweep):
    """Deferred timelines, budget-paced and resumable."""

    def _history(self, request: SyncRequest) -> Iterator[Page]:
        limit = self.settings.history_per_sync
        if limit <= 0:
            return
        batch = _Batch()
        for tracker_id, key in request.history_pending(limit):
            if self._budget_low():
                break  # resumed by the next run: this pass never waits for the rate window
            repo, _, number = key.rpartition("#")
            if not repo or not number.isdigit():
                batch.history_read.append(tracker_id)  # not an issue key: nothing to read
                continue
            me = self._ref(key, None, tracker_id)
            known = _memo_json(self._memo.get(f"etag:blocked_by:{tracker_id}")).get("blockers")
            blockers = {str(k): str(v) for k, v in (known or {}).items()}
            try:
                self._timeline(batch, repo, int(number), me, blockers)
            except Vanished:  # deleted or hidden since it was stored
                self._classify(batch, tracker_id, repo, int(number))
            if tracker_id not in batch.history_read:
                batch.history_read.append(tracker_id)  # nothing more to read for it
            if len(batch.history_read) >= PER_PAGE:
                yield batch.page()
                batch = _Batch()
        if batch.history_read:
            yield batch.page()

    def _budget_low(self) -> bool:
        remaining = self._observer.rate_limit_remaining
        return remaining is not None and remaining <= self.settings.rate_limit_reserve
