"""The conditional walk of the open issues, and the re-reads of those whose summaries moved.

Adding or removing a dependency or a sub-issue does not bump ``updated_at`` (trap 15), but it
does change the issue's ``issue_dependencies_summary`` (``total_blocked_by``,
``total_blocking``) and ``sub_issues_summary.total``, which the issues list carries. So every
incremental sync walks the open issues with ``If-None-Match`` per list page (a 304 is free and
means nothing on that page moved), compares each issue's three totals with the row stored at
the last walk, and re-reads what moved in the same sync:

* ``total_blocked_by``: that issue's ``blocked_by`` (conditional) and, when it changed, its
  timeline (for when each dependency was added or removed);
* ``total_blocking``: that issue's ``dependencies/blocking``; each blocked issue in scope then
  gets the same ``blocked_by`` re-read (the link is stored from the blocked side, dated by its
  timeline), one outside the scope a link from this side;
* ``sub_issues_summary.total``: that issue's ``sub_issues``.

Rows are ``[id, number, total_blocked_by, total_blocking, sub_issues total]`` per list page
in the memo (``sweep:{repo}:{page}``), with the page's ETag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from connectors.base import ItemRef, Link
from connectors.errors import SkippableError
from connectors.github.batch import _Batch
from connectors.github.settings import PER_PAGE
from connectors.github.values import _memo_json, _repo_of
from connectors.github.walk import IssueWalk


@dataclass(frozen=True, slots=True)
class _Row:
    """One open issue as the list showed it: its number and the three relation totals."""

    number: int
    blocked_by: int
    blocking: int | None  # None: stored by an older walk that did not keep it
    subs: int | None

    @classmethod
    def parse(cls, row: Any) -> tuple[str, _Row] | None:
        if not isinstance(row, list) or len(row) < 3:
            return None
        extra = [v if isinstance(v, int) else None for v in row[3:5]] + [None, None]
        return str(row[0]), cls(int(row[1]), int(row[2]), extra[0], extra[1])

    @classmethod
    def of(cls, raw: dict[str, Any]) -> _Row:
        deps = raw.get("issue_dependencies_summary")
        deps = deps if isinstance(deps, dict) else {}
        subs = raw.get("sub_issues_summary")
        subs = subs if isinstance(subs, dict) else {}
        return cls(
            int(raw["number"]),
            int(deps.get("total_blocked_by") or 0),
            int(deps.get("total_blocking") or 0),
            int(subs.get("total") or 0),
        )

    def stored(self, tracker_id: str) -> list[Any]:
        return [int(tracker_id), self.number, self.blocked_by, self.blocking, self.subs]


@dataclass(slots=True)
class _OpenWalk:
    previous: dict[str, _Row] = field(default_factory=dict)  # open at the last walk
    current: dict[str, _Row] = field(default_factory=dict)  # open now


class OpenList(IssueWalk):
    """The open-issue walk and the relation re-reads it calls for."""

    def _open_walk(self, repo: str, pending: dict[str, str | None]) -> _OpenWalk:
        """Open issues by creation order, each list page conditional on its stored ETag; the
        memo updates go to ``pending`` (written with the sweep's last page)."""
        walk = _OpenWalk()
        page = 1
        while True:
            memo_key = f"sweep:{repo}:{page}"
            stored = _memo_json(self._memo.get(memo_key))
            old = dict(filter(None, map(_Row.parse, stored.get("open", []))))
            walk.previous.update(old)
            params = {"state": "open", "sort": "created", "direction": "asc", "page": page}
            resp = self._get(
                f"/repos/{repo}/issues", {"per_page": PER_PAGE, **params}, stored.get("etag")
            )
            if resp.status == 304:
                walk.current.update(old)
                count = int(stored.get("n", 0))
            elif resp.status == 200 and isinstance(resp.data, list):
                rows = {
                    str(e["id"]): _Row.of(e)
                    for e in resp.data
                    if isinstance(e, dict)
                    and "pull_request" not in e
                    and isinstance(e.get("id"), int)
                    and isinstance(e.get("number"), int)
                }
                walk.current.update(rows)
                count = len(resp.data)
                value = {
                    "etag": resp.headers.get("etag"),
                    "n": count,
                    "open": [row.stored(i) for i, row in rows.items()],
                }
                pending[memo_key] = json.dumps(value, separators=(",", ":"))
            else:
                return walk  # unknown repo state: walk it next time
            if count < PER_PAGE:
                break
            page += 1
        stale = page + 1
        while f"sweep:{repo}:{stale}" in self._memo:  # the open list got shorter
            old_rows = _memo_json(self._memo.get(f"sweep:{repo}:{stale}")).get("open", [])
            walk.previous.update(dict(filter(None, map(_Row.parse, old_rows))))
            pending[f"sweep:{repo}:{stale}"] = None
            stale += 1
        return walk

    def _moved(
        self, batch: _Batch, repo: str, me: ItemRef, old: _Row, new: _Row, done: set[str]
    ) -> None:
        """Re-read the relations whose totals differ from the last walk."""
        if new.blocked_by != old.blocked_by:
            self._reread_blockers(batch, repo, new.number, me, done)
        if old.subs is not None and new.subs != old.subs:
            self._sub_issues(batch, repo, {"number": new.number}, me, new.subs or 0)
        if old.blocking is not None and new.blocking != old.blocking:
            self._blocking(batch, repo, new.number, me, done)

    def _reread_blockers(
        self, batch: _Batch, repo: str, number: int, me: ItemRef, done: set[str]
    ) -> None:
        """blocked_by of one issue (once a run), conditional; its timeline when it changed."""
        if me.tracker_id is None or me.tracker_id in done:
            return
        done.add(me.tracker_id)
        found = self._sweep_one(batch, repo, number, me)
        if found is not None:  # the dependencies changed: their history too
            self._timeline(batch, repo, number, me, found)

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

    def _blocking(self, batch: _Batch, repo: str, number: int, me: ItemRef, done: set[str]) -> None:
        """The issues this one blocks: in scope, re-read from their side; outside, linked."""
        _, blocked = self._list(f"/repos/{repo}/issues/{number}/dependencies/blocking")
        for raw in blocked:
            if not isinstance(raw, dict):
                continue
            ref = self._issue_ref(raw, batch)
            if ref is None or ref.tracker_id is None:
                continue
            try:
                other = _repo_of(raw)
            except SkippableError:
                continue
            if other.lower() in self._scope:
                self._reread_blockers(batch, other, int(raw["number"]), ref, done)
            else:
                link_key = f"{me.tracker_id}>{ref.tracker_id}"
                batch.add_link(Link(link_key, "github_dependency", me, ref))
