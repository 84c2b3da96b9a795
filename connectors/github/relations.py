"""Sub-issues, dependencies and the timeline of changed issues turned into links and events."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.base import (
    Event,
    Gone,
    ItemRef,
    Link,
    LinkScope,
    Move,
    Sprint,
    WorkItem,
)
from connectors.errors import SkippableError, Vanished
from connectors.github.batch import (
    _Batch,
    _Episode,
    _Response,
)
from connectors.github.records import (
    RecordReader,
)
from connectors.github.values import (
    _dt,
    _iso,
    _memo_json,
    _parent_link,
    _repo_of,
    _sprint,
)

# timeline events that are no one's work on the issue: link-only changes and notifications
NOT_ACTIVITY = frozenset(
    {
        "blocking_added",
        "blocking_removed",
        "sub_issue_added",
        "sub_issue_removed",
        "parent_issue_added",
        "parent_issue_removed",
        "connected",
        "disconnected",
        "mentioned",
        "subscribed",
        "unsubscribed",
    }
)


class RelationReader(RecordReader):
    """The extra per-issue reads of a changed issue: relations and timeline."""

    def _relations(
        self, batch: _Batch, repo: str, raw: dict[str, Any], item: WorkItem, changed: bool
    ) -> None:
        """Links and history of one listed issue; the extra requests only when it changed."""
        me = self._ref(item.key, item.url, item.tracker_id)
        batch.scopes.append(LinkScope(item.tracker_id, "github_sub_issue", "blocked"))
        if item.parent is not None:
            batch.add_link(_parent_link(item.parent, me))
        if self.settings.text_references:
            for link in self._text_links(raw, repo, me):
                batch.add_link(link)
            batch.scopes.append(LinkScope(item.tracker_id, "text_reference", "blocked"))
        if not changed:
            return
        self._reread.add(item.tracker_id)
        try:
            blockers: dict[str, str] = {}
            summary = raw.get("issue_dependencies_summary")
            if isinstance(summary, dict):
                blockers = self._dependencies(
                    batch, repo, raw, me, int(summary.get("total_blocked_by") or 0)
                )
            subs = raw.get("sub_issues_summary")
            if isinstance(subs, dict):
                self._sub_issues(batch, repo, raw, me, int(subs.get("total") or 0))
            if self._defer_history:  # current state first: the history pass reads it later
                batch.history_deferred.append(item.tracker_id)
            else:
                self._timeline(batch, repo, int(raw["number"]), me, blockers)
        except Vanished:  # deleted or hidden since the list named it: data, not a failure
            self._classify(batch, item.tracker_id, repo, int(raw["number"]))

    def _dependencies(
        self, batch: _Batch, repo: str, raw: dict[str, Any], me: ItemRef, total: int
    ) -> dict[str, str]:
        """blocked_by of one changed issue (conditional); returns blocker key → blocker id."""
        if total == 0:
            batch.scopes.append(LinkScope(str(me.tracker_id), "github_dependency", "blocked"))
            if f"etag:blocked_by:{me.tracker_id}" in self._memo:
                self._set_memo(batch, f"etag:blocked_by:{me.tracker_id}", None)
            return {}
        return self._blocked_by(batch, repo, int(raw["number"]), me)[0]

    def _blocked_by(
        self, batch: _Batch, repo: str, number: int, me: ItemRef, first: _Response | None = None
    ) -> tuple[dict[str, str], bool]:
        """blocked_by with the memo ETag: (blocker key → id, whether the list changed).

        The memo keeps the ETag and the blockers it names, so a 304 still knows the ids.
        """
        memo_key = f"etag:blocked_by:{me.tracker_id}"
        stored = _memo_json(self._memo.get(memo_key))
        known = {str(k): str(v) for k, v in (stored.get("blockers") or {}).items()}
        first, blockers = self._list(
            f"/repos/{repo}/issues/{number}/dependencies/blocked_by",
            etag=stored.get("etag"),
            first=first,
        )
        if first.status == 304:
            return known, False
        if first.status != 200:
            return known, False  # (403/404/410 raised Vanished in _list)
        found: dict[str, str] = {}
        for blocker in blockers:
            ref = self._issue_ref(blocker, batch)
            if ref is None or ref.tracker_id is None:
                continue
            found[ref.key.lower()] = ref.tracker_id
            batch.add_link(Link(f"{ref.tracker_id}>{me.tracker_id}", "github_dependency", ref, me))
        batch.scopes.append(LinkScope(str(me.tracker_id), "github_dependency", "blocked"))
        etag = first.headers.get("etag")
        value = {"etag": etag, "key": me.key, "blockers": found}
        self._set_memo(batch, memo_key, json.dumps(value, separators=(",", ":")) if etag else None)
        return found, True

    def _sub_issues(
        self, batch: _Batch, repo: str, raw: dict[str, Any], me: ItemRef, total: int
    ) -> None:
        if total > 0:
            first, children = self._list(f"/repos/{repo}/issues/{int(raw['number'])}/sub_issues")
            if first.status != 200:
                return
            for child in children:
                ref = self._issue_ref(child, batch)
                if ref is not None:
                    batch.add_link(_parent_link(me, ref))
        batch.scopes.append(LinkScope(str(me.tracker_id), "github_sub_issue", "blocker"))

    def _timeline(
        self, batch: _Batch, repo: str, number: int, me: ItemRef, blockers: dict[str, str]
    ) -> None:
        """Label, status and dependency history from the issue timeline."""
        first, events = self._list(f"/repos/{repo}/issues/{number}/timeline")
        if first.status != 200:
            return
        item_id = str(me.tracker_id)
        batch.history_read.append(item_id)
        episodes: dict[str, _Episode] = {}
        current = {f"{bid}>{me.tracker_id}" for bid in blockers.values()}
        ids = dict(blockers)  # grows with blockers removed since, fetched for their ids
        for ev in events:
            if not isinstance(ev, dict):
                continue
            kind, at = ev.get("event"), _dt(ev.get("created_at"))
            if at is None or not isinstance(kind, str):
                continue
            mark = len(batch.events)
            key = f"tl:{ev.get('id') or ev.get('node_id') or f'{item_id}:{kind}:{_iso(at)}'}"
            if kind in ("labeled", "unlabeled"):
                name = (ev.get("label") or {}).get("name")
                if name:
                    added = kind == "labeled"
                    batch.events.append(
                        Event(
                            key,
                            item_id,
                            at,
                            "label",
                            None if added else name,
                            name if added else None,
                        )
                    )
            elif kind in ("closed", "reopened"):
                closing = kind == "closed"
                before, after = ("open", "closed") if closing else ("closed", "open")
                reason = ev.get("state_reason") if closing else None
                batch.events.append(Event(key, item_id, at, "status", before, after, reason))
            elif kind in ("blocked_by_added", "blocked_by_removed"):
                self._dependency_event(batch, ev, key, at, me, ids, episodes)
            elif kind in ("milestoned", "demilestoned"):
                self._milestone_event(batch, repo, ev, Event(key, item_id, at, "sprint"))
            elif kind not in NOT_ACTIVITY:
                batch.events.append(Event(key, item_id, at, "activity", detail=kind))
            _credit(batch.events, mark, ev)
        self._apply_episodes(batch, me, current, episodes)

    def _milestone_event(self, batch: _Batch, repo: str, ev: dict[str, Any], base: Event) -> None:
        """A milestone change as a sprint event. The timeline names the milestone by title only
        (GHSpec ``milestoned-issue-event``); titles are unique in a repository, so the
        repository's milestones (read once a run) give its id. A milestone deleted since maps
        to nothing and is skipped: the item's current milestone still stands."""
        title = (ev.get("milestone") or {}).get("title")
        sprint = self._milestone_titles(repo).get(title) if isinstance(title, str) else None
        if sprint is None:
            return
        batch.sprints[sprint.tracker_id] = sprint
        added = ev["event"] == "milestoned"
        value = sprint.tracker_id
        batch.events.append(
            replace(base, from_value=None if added else value, to_value=value if added else None)
        )

    def _milestone_titles(self, repo: str) -> dict[str, Sprint]:
        key = repo.lower()
        if key not in self._milestones:
            try:
                _, rows = self._list(f"/repos/{repo}/milestones", {"state": "all"})
            except Vanished:  # the repository hidden since: no title maps
                rows = []
            self._milestones[key] = {
                str(raw["title"]): _sprint(raw)
                for raw in rows
                if isinstance(raw, dict) and raw.get("id") is not None and raw.get("title")
            }
        return self._milestones[key]

    def _dependency_event(
        self,
        batch: _Batch,
        ev: dict[str, Any],
        key: str,
        at: datetime,
        me: ItemRef,
        blockers: dict[str, str],
        episodes: dict[str, _Episode],
    ) -> None:
        """``blocked_by`` in a timeline event is an issue *reference* (number, repository; GHSpec
        ``nullable-issue-reference``), no database id: find the id among the current blockers,
        else fetch that blocker once."""
        reference = ev.get("blocked_by") or {}
        repository = reference.get("repository") or {}
        repo, number = repository.get("full_name"), reference.get("number")
        if not isinstance(repo, str) or not isinstance(number, int):
            return
        blocker_key = f"{repo}#{number}"
        blocker_id = blockers.get(blocker_key.lower())
        if blocker_id is None:
            resp = self._get(f"/repos/{repo}/issues/{number}", per_issue=True)
            ref = self._issue_ref(resp.data, batch) if isinstance(resp.data, dict) else None
            if resp.status != 200 or ref is None or ref.tracker_id is None:
                return
            blocker_id = blockers[blocker_key.lower()] = ref.tracker_id
        link_key = f"{blocker_id}>{me.tracker_id}"
        added = ev["event"] == "blocked_by_added"
        batch.events.append(
            Event(
                key,
                str(me.tracker_id),
                at,
                "link",
                to_value="added" if added else "removed",
                link_key=link_key,
                link_origin="github_dependency",
            )
        )
        html = repository.get("html_url")
        ref = self._ref(blocker_key, f"{html}/issues/{number}" if html else None, blocker_id)
        episode = episodes.setdefault(link_key, _Episode(ref))
        if added:
            episode.added, episode.removed = at, None
        else:
            episode.removed = at

    def _apply_episodes(
        self, batch: _Batch, me: ItemRef, current: set[str], episodes: dict[str, _Episode]
    ) -> None:
        """Current links get ``created_at`` from history; removed ones their removal."""
        in_page = {
            ln.link_key: key
            for key, ln in batch.links.items()
            if ln.origin == "github_dependency" and ln.blocked.tracker_id == me.tracker_id
        }
        for link_key, ep in episodes.items():
            if link_key in in_page and ep.added is not None and ep.removed is None:
                old = batch.links[in_page[link_key]]
                batch.links[in_page[link_key]] = Link(
                    link_key, old.origin, old.blocker, old.blocked, created_at=ep.added
                )
            elif link_key in current and ep.added is not None and ep.removed is None:
                # the history pass: the link was stored by the first pass, undated
                batch.add_link(Link(link_key, "github_dependency", ep.ref, me, created_at=ep.added))
            elif link_key not in current and ep.removed is not None:
                batch.add_link(
                    Link(
                        link_key,
                        "github_dependency",
                        ep.ref,
                        me,
                        created_at=ep.added,
                        removed_at=ep.removed,
                    )
                )

    def _classify(self, batch: _Batch, tracker_id: str, repo: str, number: int) -> None:
        """An issue that left the open list without an update we saw, or whose sub-resource
        answered 403/404/410: moved, gone, or still here (closed; a sub-resource this server
        lacks)."""
        resp = self._get(f"/repos/{repo}/issues/{number}", per_issue=True)
        memo_key = f"etag:blocked_by:{tracker_id}"
        if resp.status in (403, 404, 410):
            reason = {
                410: "deleted (410)",
                404: "not found or not visible (404)",
                403: "not visible to the token (403)",
            }[resp.status]
            batch.gone.append(Gone(tracker_id, reason))
        elif resp.status == 200 and isinstance(resp.data, dict):
            try:
                new_repo = _repo_of(resp.data)
            except SkippableError:
                return
            new_key = f"{new_repo}#{resp.data.get('number')}"
            if resp.redirected_to or new_key.lower() != f"{repo}#{number}".lower():
                batch.moves.append(Move(tracker_id, new_key, resp.data.get("html_url")))
            else:
                return  # still here (closed, or reopened elsewhere in the list)
        else:
            return
        if memo_key in self._memo:
            self._set_memo(batch, memo_key, None)


def _credit(events: list[Event], mark: int, ev: dict[str, Any]) -> None:
    """The timeline event's actor is the author of the events it became (from ``mark`` on)."""
    actor = ev.get("actor") or ev.get("user")
    login = actor.get("login") if isinstance(actor, dict) else None
    if isinstance(login, str) and login:
        events[mark:] = [replace(e, author=login, author_name=login) for e in events[mark:]]
