"""The census walk, and the sweep schedule over the conditional open-issue walk (``openlist``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from connectors.base import (
    Census,
    Page,
    SyncRequest,
)
from connectors.errors import ScopeError, Vanished
from connectors.github.batch import (
    _Batch,
)
from connectors.github.openlist import OpenList
from connectors.github.settings import (
    PER_PAGE,
)
from connectors.github.values import (
    _dt,
    _iso,
)


class DependencySweep(OpenList):
    """Census of every issue id; re-reads of open issues' dependencies."""

    # -- census -------------------------------------------------------------------------------

    def _census_walk(self) -> Iterator[Page]:
        """Every issue id in scope (sorted by creation, stable under updates), 100 a page."""
        for repo in self.settings.repos:
            page = 1
            while True:
                params = {"state": "all", "sort": "created", "direction": "asc", "page": page}
                resp = self._get(f"/repos/{repo}/issues", {"per_page": PER_PAGE, **params})
                if resp.status == 404:
                    raise ScopeError(f"github source {self.name!r}: repository {repo} not found")
                data = resp.data if resp.status == 200 and isinstance(resp.data, list) else []
                ids = tuple(
                    str(e["id"])
                    for e in data
                    if isinstance(e, dict)
                    and "pull_request" not in e
                    and isinstance(e.get("id"), int)
                )
                yield Page(census=Census(ids))
                if len(data) < PER_PAGE:
                    break
                page += 1

    # -- dependency sweep ---------------------------------------------------------------------

    def _sweep_due(self, request: SyncRequest, full_walk: bool) -> bool:
        if request.full_sweep:
            return True
        last = _dt(self._memo.get("sweep:last"))
        if last is None:
            return not full_walk  # a full walk just read every dependency
        return request.started_at - last >= timedelta(
            minutes=self.settings.dependency_sweep_minutes
        )

    def _sweep(self, request: SyncRequest, seen: set[str], full: bool) -> Iterator[Page]:
        """Every sync: the open lists, conditionally, and the relations of issues whose
        summaries moved since the last walk. On schedule (``full``): blocked_by of every open
        issue that has or had blockers, for the change a count cannot show (one removed, one
        added). Both: open issues that left the open list unseen are classified. A repository
        with no stored walk yet waits for the full sweep (nothing to compare with).

        The open-list memo (ETags, summaries) goes out with the last page, after the links it
        vouches for: a run that stops half-way re-reads them next time.
        """
        batch = _Batch()
        pending: dict[str, str | None] = {}
        done = set(self._reread)
        for repo in self.settings.repos:
            if not full and f"sweep:{repo}:1" not in self._memo:
                continue  # nothing stored to compare with: the next full sweep walks it first
            walk = self._open_walk(repo, pending)
            for tracker_id, row in walk.current.items():
                old = walk.previous.get(tracker_id)
                number = row.number
                me = self._ref(f"{repo}#{number}", None, tracker_id)
                swept = row.blocked_by > 0 or f"etag:blocked_by:{tracker_id}" in self._memo
                try:
                    if full and swept:
                        self._reread_blockers(batch, repo, number, me, done)
                    if old is not None and tracker_id not in self._reread:
                        self._moved(batch, repo, me, old, row, done)
                except Vanished:  # deleted or hidden since the open list named it
                    self._classify(batch, tracker_id, repo, number)
                if len(batch.scopes) + len(batch.moves) + len(batch.gone) >= PER_PAGE:
                    yield batch.page()
                    batch = _Batch()
            for tracker_id in sorted(set(walk.previous) - set(walk.current) - seen):
                self._classify(batch, tracker_id, repo, walk.previous[tracker_id].number)
        batch.memo.update(pending)
        if full:
            batch.memo["sweep:last"] = _iso(request.started_at)
        page = batch.page()
        if full or any(
            (page.memo, page.items, page.links, page.link_scopes, page.moves, page.gone)
        ):
            yield page
