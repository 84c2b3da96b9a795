"""The census walk and the conditional dependency sweep over open issues."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from connectors.base import (
    Census,
    ItemRef,
    Page,
    SyncRequest,
)
from connectors.errors import ScopeError, Vanished
from connectors.github.batch import (
    _Batch,
)
from connectors.github.settings import (
    PER_PAGE,
)
from connectors.github.values import (
    _dt,
    _iso,
    _memo_json,
    _total_blocked_by,
)
from connectors.github.walk import (
    IssueWalk,
)


class DependencySweep(IssueWalk):
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

    def _sweep(self, request: SyncRequest, seen: set[str]) -> Iterator[Page]:
        """Re-read blocked_by of open issues with blockers; find open issues that vanished."""
        batch = _Batch()
        for repo in self.settings.repos:
            previous, current, candidates = self._open_walk(repo, batch)
            for tracker_id, number in candidates:
                me = self._ref(f"{repo}#{number}", None, tracker_id)
                try:
                    found = self._sweep_one(batch, repo, number, me)
                    if found is not None:  # the dependencies changed: their history too
                        self._timeline(batch, repo, number, me, found)
                except Vanished:  # deleted or hidden since the open list named it
                    self._classify(batch, tracker_id, repo, number)
                if len(batch.scopes) + len(batch.moves) + len(batch.gone) >= PER_PAGE:
                    yield batch.page()
                    batch = _Batch()
            for tracker_id in sorted(set(previous) - set(current) - seen):
                self._classify(batch, tracker_id, repo, previous[tracker_id])
        batch.memo["sweep:last"] = _iso(request.started_at)
        yield batch.page()

    def _open_walk(
        self, repo: str, batch: _Batch
    ) -> tuple[dict[str, int], dict[str, int], list[tuple[str, int]]]:
        """Open issues by creation order, each list page conditional on its stored ETag.

        Returns (open ids → numbers at the last sweep, open ids now, (id, number) to re-read).
        """
        previous: dict[str, int] = {}
        current: dict[str, int] = {}
        candidates: list[tuple[str, int]] = []
        page = 1
        while True:
            memo_key = f"sweep:{repo}:{page}"
            stored = _memo_json(self._memo.get(memo_key))
            old_rows = [r for r in stored.get("open", []) if isinstance(r, list) and len(r) == 3]
            previous.update({str(r[0]): int(r[1]) for r in old_rows})
            params = {"state": "open", "sort": "created", "direction": "asc", "page": page}
            resp = self._get(
                f"/repos/{repo}/issues", {"per_page": PER_PAGE, **params}, stored.get("etag")
            )
            if resp.status == 304:
                rows, count = old_rows, int(stored.get("n", 0))
            elif resp.status == 200 and isinstance(resp.data, list):
                rows = [
                    [e["id"], e["number"], _total_blocked_by(e)]
                    for e in resp.data
                    if isinstance(e, dict)
                    and "pull_request" not in e
                    and isinstance(e.get("id"), int)
                    and isinstance(e.get("number"), int)
                ]
                count = len(resp.data)
                value = {"etag": resp.headers.get("etag"), "n": count, "open": rows}
                self._set_memo(batch, memo_key, json.dumps(value, separators=(",", ":")))
            else:
                return previous, current, candidates  # unknown repo state: sweep it next time
            for tracker_id, number, total in rows:
                current[str(tracker_id)] = int(number)
                if total > 0 or f"etag:blocked_by:{tracker_id}" in self._memo:
                    candidates.append((str(tracker_id), int(number)))
            if count < PER_PAGE:
                break
            page += 1
        stale = page + 1
        while f"sweep:{repo}:{stale}" in self._memo:  # the open list got shorter
            old = _memo_json(self._memo.get(f"sweep:{repo}:{stale}"))
            previous.update({str(r[0]): int(r[1]) for r in old.get("open", []) if len(r) == 3})
            self._set_memo(batch, f"sweep:{repo}:{stale}", None)
            stale += 1
        return previous, current, candidates

    def _sweep_one(
        self, batch: _Batch, repo: str, number: int, me: ItemRef
    ) -> dict[str, str] | None:
        """One conditional blocked_by read: the blockers when they changed, else None."""
        path = f"/repos/{repo}/issues/{number}/dependencies/blocked_by"
        etag = _memo_json(self._memo.get(f"etag:blocked_by:{me.tracker_id}")).get("etag")
        probe = self._get(path, {"per_page": PER_PAGE}, etag, per_issue=True)
        if probe.status == 304:
            return None
        if probe.redirected_to or probe.status in (403, 404, 410):
            self._classify(batch, str(me.tracker_id), repo, number)
            return None
        found, changed = self._blocked_by(batch, repo, number, me, first=probe)
        return found if changed else None
