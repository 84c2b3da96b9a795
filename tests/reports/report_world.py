"""A tracker history written into the model the way the sync engine stores it.

Tests describe a train in time order (items created, statuses moved, flags set and cleared,
links added and removed, syncs run); ``World.write(session, cutoff)`` stores it as the engine
would have after a sync at ``cutoff``: current columns as they stood then, every event up to
then, links with ``created_at``/``removed_at`` and their "added"/"removed" events. Writing with
``cutoff=None`` stores everything. Rows go in with bulk inserts so the benchmark can write a
100,000-item train with the same code.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from model.rules import status_category
from model.tables import (
    PI,
    Event,
    Iteration,
    Link,
    QuarantinedRecord,
    Source,
    StatusCategoryRow,
    SyncRun,
    SyncState,
    Team,
    TrackerSprint,
    Train,
    WorkItem,
)

FAR = datetime(9999, 1, 1, tzinfo=UTC)


def at(day: str, hm: str = "09:00") -> datetime:
    """``at("2026-10-05", "14:30")``: an aware UTC instant."""
    return datetime.fromisoformat(f"{day}T{hm}:00+00:00")


@dataclass
class ItemSpec:
    key: str
    source: str
    created: datetime
    team: str | None
    title: str
    status: str
    in_scope: bool = True
    labels: tuple[str, ...] = ()
    sprint: str | None = None
    flag: str = ""
    reason: str | None = None
    changes: list[tuple[datetime, str, str | None, str | None, str | None]] = field(
        default_factory=list
    )  # (at, field, from, to, detail)
    id: int = 0

    def state(self, cutoff: datetime) -> dict[str, Any]:
        """Current columns as they stood at ``cutoff``."""
        status, flag, reason = self.status, self.flag, self.reason
        labels, sprint = list(self.labels), self.sprint
        resolved: datetime | None = None
        for when, name, _from, to, detail in self.changes:
            if when > cutoff:
                break
            if name == "status":
                done_before = status_category(status) == "done"
                status = to or ""
                if status_category(status) == "done" and not done_before:
                    resolved = when
                elif status_category(status) != "done":
                    resolved = None
            elif name == "flagged":
                flag, reason = to or "", (detail if to else None)
            elif name == "label":
                if to:
                    labels.append(to)
                if _from and _from in labels:
                    labels.remove(_from)
            elif name == "sprint":
                sprint = to
        if resolved is None and status_category(status) == "done":
            resolved = self.created
        return {
            "status": status,
            "status_category": status_category(status),
            "flagged": bool(flag),
            "flag": flag,
            "flag_reason": reason,
            "labels": labels,
            "sprint": sprint,
            "resolved_at": resolved,
        }


@dataclass
class LinkSpec:
    blocker: str | tuple[str, str, str]  # item key, or (tracker, key, url) of an end not stored
    blocked: str | tuple[str, str, str]
    origin: str
    source: str
    link_key: str
    changes: list[tuple[datetime, str]] = field(default_factory=list)  # (at, added|removed)
    id: int = 0


@dataclass
class RunSpec:
    source: str
    started: datetime
    finished: datetime
    outcome: str = "success"
    census: int | None = None
    mode: str = "incremental"


class World:
    """A train and its history, built in time order by the test."""

    def __init__(
        self,
        *,
        train: str = "ART",
        timezone: str = "UTC",
        teams: tuple[str, ...] = ("Alpha", "Beta", "Gamma"),
        pis: tuple[tuple[str, date, int, int, bool], ...] = (
            ("PI 1", date(2026, 1, 5), 5, 14, True),
        ),
        sources: tuple[tuple[str, str], ...] = (("jira", "jira"), ("github", "github")),
    ) -> None:
        self.train, self.timezone, self.teams = train, timezone, teams
        self.pis, self.sources = pis, sources
        self.items: dict[str, ItemSpec] = {}
        self.links: list[LinkSpec] = []
        self.sprints: list[tuple[str, str, str, str, int]] = []  # source, id, name, pi, seq
        self.runs: list[RunSpec] = []
        self.quarantine: list[tuple[str, str, str, datetime]] = []
        self.extra_categories: dict[tuple[str, str], str] = {}
        self.sprint_closed: dict[tuple[str, str], datetime] = {}  # (source, id) -> completed
        self.authors: dict[tuple[str, int], str] = {}  # (item key, change index) -> account

    # -- describing ------------------------------------------------------------------------------

    def item(
        self,
        key: str,
        created: datetime,
        *,
        team: str | None = "Alpha",
        source: str = "jira",
        title: str | None = None,
        status: str = "To Do",
        in_scope: bool = True,
        labels: tuple[str, ...] = (),
        sprint: str | None = None,
    ) -> str:
        assert key not in self.items, key
        self.items[key] = ItemSpec(
            key,
            source,
            created,
            team,
            title if title is not None else f"Title of {key}",
            status,
            in_scope,
            labels,
            sprint,
        )
        return key

    def _change(
        self,
        key: str,
        when: datetime,
        name: str,
        to: str | None,
        detail: str | None = None,
        author: str | None = None,
    ) -> None:
        spec = self.items[key]
        if author is not None:
            self.authors[(key, len(spec.changes))] = author
        assert when >= spec.created, (key, when)
        assert not spec.changes or spec.changes[-1][0] <= when, (key, "changes in time order")
        current = spec.state(FAR)
        before = {
            "status": current["status"],
            "flagged": current["flag"],
            "sprint": current["sprint"],
        }
        spec.changes.append((when, name, before.get(name), to, detail))

    def status(self, key: str, when: datetime, to: str, *, author: str | None = None) -> None:
        self._change(key, when, "status", to, author=author)

    def activity(
        self, key: str, when: datetime, what: str = "comment", *, author: str | None = None
    ) -> None:
        """A change the reports keep no value of (an edit, a comment), by ``author``."""
        self._change(key, when, "activity", None, what, author=author)

    def flag(
        self, key: str, when: datetime, reason: str | None = None, value: str = "Impediment"
    ) -> None:
        self._change(key, when, "flagged", value, reason)

    def unflag(self, key: str, when: datetime) -> None:
        self._change(key, when, "flagged", "")

    def add_label(self, key: str, when: datetime, label: str) -> None:
        spec = self.items[key]
        spec.changes.append((when, "label", None, label, None))

    def remove_label(self, key: str, when: datetime, label: str) -> None:
        spec = self.items[key]
        spec.changes.append((when, "label", label, None, None))

    def move_sprint(self, key: str, when: datetime, to: str | None) -> None:
        self._change(key, when, "sprint", to)

    def sprint(
        self,
        source: str,
        tracker_id: str,
        pi: str,
        seq: int,
        name: str | None = None,
        *,
        closed: datetime | None = None,
    ) -> str:
        """A tracker sprint mapped to ``pi``'s iteration ``seq``; ``closed``: its completion."""
        self.sprints.append((source, tracker_id, name or f"Sprint {tracker_id}", pi, seq))
        if closed is not None:
            self.sprint_closed[(source, tracker_id)] = closed
        return tracker_id

    def link(
        self,
        blocker: str | tuple[str, str, str],
        blocked: str | tuple[str, str, str],
        when: datetime,
        *,
        origin: str = "jira_link",
        source: str = "jira",
        link_key: str | None = None,
    ) -> LinkSpec:
        spec = LinkSpec(blocker, blocked, origin, source, link_key or f"L{len(self.links) + 1}")
        spec.changes.append((when, "added"))
        self.links.append(spec)
        return spec

    def unlink(self, spec: LinkSpec, when: datetime) -> None:
        spec.changes.append((when, "removed"))

    def relink(self, spec: LinkSpec, when: datetime) -> None:
        spec.changes.append((when, "added"))

    def sync(self, source: str, started: datetime, minutes: int = 2, **kw: Any) -> None:
        self.runs.append(RunSpec(source, started, started + timedelta(minutes=minutes), **kw))

    # -- storing ---------------------------------------------------------------------------------

    def write(self, session: Session, cutoff: datetime | None = None) -> None:
        """Store the world as a sync at ``cutoff`` (None: everything) would have left it."""
        cut = cutoff or FAR
        source_ids, team_ids, iteration_ids = self._catalog(session)
        sprint_ids = self._sprints(session, source_ids, iteration_ids)
        ids = self._items(session, cut, source_ids, team_ids, sprint_ids)
        self._links(session, cut, source_ids, ids)
        self._sync_rows(session, cut, source_ids)
        session.commit()

    def _catalog(
        self, session: Session
    ) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, int], int]]:
        train = Train(name=self.train, timezone=self.timezone)
        train.teams = [Team(name=name) for name in self.teams]
        for name, start, count, length, ip in self.pis:
            total = count + (1 if ip else 0)
            pi = PI(name=name, start=start, end=start + timedelta(days=total * length))
            for seq in range(1, total + 1):
                first = start + timedelta(days=(seq - 1) * length)
                is_ip = ip and seq == total
                pi.iterations.append(
                    Iteration(
                        seq=seq,
                        name=f"{name} · IP" if is_ip else f"{name} · I{seq}",
                        start=first,
                        end=first + timedelta(days=length),
                        is_ip=is_ip,
                    )
                )
            train.pis.append(pi)
        session.add(train)
        sources = [
            Source(name=name, kind=kind, url=f"https://{name}.example")
            for name, kind in self.sources
        ]
        session.add_all(sources)
        session.flush()
        iterations = {(pi.name, it.seq): it.id for pi in train.pis for it in pi.iterations}
        return {s.name: s.id for s in sources}, {t.name: t.id for t in train.teams}, iterations

    def _sprints(
        self,
        session: Session,
        source_ids: dict[str, int],
        iteration_ids: dict[tuple[str, int], int],
    ) -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        for source, tracker_id, name, pi, seq in self.sprints:
            closed = self.sprint_closed.get((source, tracker_id))
            row = TrackerSprint(
                source_id=source_ids[source],
                tracker_id=tracker_id,
                name=name,
                iteration_id=iteration_ids[(pi, seq)],
                state="closed" if closed is not None else "active",
                completed=closed,
            )
            session.add(row)
            session.flush()
            found[(source, tracker_id)] = row.id
        return found

    def _items(
        self,
        session: Session,
        cut: datetime,
        source_ids: dict[str, int],
        team_ids: dict[str, int],
        sprint_ids: dict[tuple[str, str], int],
    ) -> dict[str, int]:
        ids: dict[str, int] = {}
        categories: dict[tuple[int, str], str] = {}
        events: list[dict[str, Any]] = []
        for n, spec in enumerate(self.items.values(), start=1):
            spec.id = n
            if spec.created > cut:
                continue
            ids[spec.key] = n
            sid = source_ids[spec.source]
            for _, name, from_v, to_v, _ in spec.changes:
                if name == "status":
                    for value in (from_v, to_v):
                        if value:
                            categories[(sid, value)] = status_category(value)
            categories[(sid, spec.status)] = status_category(spec.status)
        rows = list(self._item_rows(cut, source_ids, team_ids, sprint_ids))
        for batch in _batches(rows):
            session.execute(insert(WorkItem), batch)
        for spec in self.items.values():
            if spec.created > cut:
                continue
            for k, (when, name, from_v, to_v, detail) in enumerate(spec.changes):
                if when > cut:
                    break
                events.append(
                    {
                        "source_id": source_ids[spec.source],
                        "event_key": f"{spec.key}:{k}",
                        "item_id": spec.id,
                        "link_id": None,
                        "at": when,
                        "field": name,
                        "from_value": from_v,
                        "to_value": to_v,
                        "detail": detail,
                        "author": self.authors.get((spec.key, k)),
                    }
                )
                if len(events) >= 5000:
                    session.execute(insert(Event), events)
                    events = []
        if events:
            session.execute(insert(Event), events)
        for (sid, status), category in {
            **categories,
            **{(source_ids[s], st): c for (s, st), c in self.extra_categories.items()},
        }.items():
            session.add(StatusCategoryRow(source_id=sid, status=status, category=category))
        session.flush()
        return ids

    def _item_rows(
        self,
        cut: datetime,
        source_ids: dict[str, int],
        team_ids: dict[str, int],
        sprint_ids: dict[tuple[str, str], int],
    ) -> Iterator[dict[str, Any]]:
        for spec in self.items.values():
            if spec.created > cut:
                continue
            state = spec.state(cut)
            container = (
                spec.key.rsplit("-", 1)[0] if spec.source == "jira" else spec.key.split("#")[0]
            )
            sprint = self._current_sprint(spec.source, state["sprint"])
            yield {
                "id": spec.id,
                "source_id": source_ids[spec.source],
                "tracker_id": f"t{spec.id}",
                "key": spec.key,
                "url": f"https://{spec.source}.example/{spec.key}",
                "type": "story",
                "title": spec.title,
                "status": state["status"],
                "status_category": state["status_category"],
                "container": container,
                "team_id": team_ids[spec.team] if spec.team else None,
                "team_field": None,
                "sprint_id": sprint_ids.get((spec.source, sprint)) if sprint else None,
                "parent_key": None,
                "parent_id": None,
                "assignee": None,
                "labels": state["labels"],
                "components": [],
                "story_points": None,
                "created_at": spec.created,
                "updated_at": spec.created,
                "resolved_at": state["resolved_at"],
                "flagged": state["flagged"],
                "flag_reason": state["flag_reason"],
                "in_scope": spec.in_scope,
                "missing": False,
                "missing_since": None,
                "missing_reason": None,
                "moved_to": None,
                "first_seen_at": spec.created,
                "last_seen_at": spec.created,
                "census_run_id": None,
            }

    def _current_sprint(self, source: str, value: str | None) -> str | None:
        """Of several sprints, the one in the latest iteration (as the reports read events)."""
        order = {(src, sid): (pi, seq) for src, sid, _, pi, seq in self.sprints}
        names = [s.strip() for s in (value or "").split(",") if s.strip()]
        mapped = [n for n in names if (source, n) in order]
        if not mapped:
            return names[-1] if names else None
        pis = [p[0] for p in self.pis]
        return max(mapped, key=lambda n: (pis.index(order[(source, n)][0]), order[(source, n)][1]))

    def _links(
        self, session: Session, cut: datetime, source_ids: dict[str, int], ids: dict[str, int]
    ) -> None:
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for n, spec in enumerate(self.links, start=1):
            spec.id = n
            kept = [(when, what) for when, what in spec.changes if when <= cut]
            if not kept:
                continue
            removed = kept[-1][0] if kept[-1][1] == "removed" else None
            added = [when for when, what in kept if what == "added"]
            row = {  # like the engine: a re-added link's created_at is its re-adding
                "id": n,
                "source_id": source_ids[spec.source],
                "origin": spec.origin,
                "link_key": spec.link_key,
                "kind": "blocks",
                "created_at": added[-1],
                "created_from_history": True,
                "removed_at": removed,
                "first_seen_at": kept[0][0],
                "last_seen_at": kept[-1][0],
            }
            for end, ref in (("blocker", spec.blocker), ("blocked", spec.blocked)):
                if isinstance(ref, tuple):
                    tracker, key, url = ref
                    row.update(
                        {
                            f"{end}_item_id": None,
                            f"{end}_tracker": tracker,
                            f"{end}_key": key,
                            f"{end}_url": url,
                        }
                    )
                else:
                    item = self.items[ref]
                    row.update(
                        {
                            f"{end}_item_id": ids.get(ref),
                            f"{end}_tracker": self._kind(item.source),
                            f"{end}_key": ref,
                            f"{end}_url": f"https://{item.source}.example/{ref}",
                        }
                    )
            rows.append(row)
            for k, (when, what) in enumerate(kept):
                events.append(
                    {
                        "source_id": source_ids[spec.source],
                        "event_key": f"link:{spec.link_key}:{spec.origin}:{k}",
                        "item_id": ids.get(spec.blocked) if isinstance(spec.blocked, str) else None,
                        "link_id": n,
                        "at": when,
                        "field": "link",
                        "from_value": None,
                        "to_value": what,
                        "detail": None,
                        "author": None,
                    }
                )
        for batch in _batches(rows):
            session.execute(insert(Link), batch)
        for batch in _batches(events):
            session.execute(insert(Event), batch)

    def _kind(self, source: str) -> str:
        return dict(self.sources)[source]

    def _sync_rows(self, session: Session, cut: datetime, source_ids: dict[str, int]) -> None:
        last: dict[str, datetime] = {}
        for run in self.runs:
            if run.finished > cut:
                continue
            session.add(
                SyncRun(
                    source_id=source_ids[run.source],
                    mode=run.mode,
                    started_at=run.started,
                    finished_at=run.finished,
                    outcome=run.outcome,
                    census_items=run.census,
                )
            )
            if run.outcome == "success" and run.mode == "incremental":
                last[run.source] = max(last.get(run.source, run.finished), run.finished)
        for source, when in last.items():
            session.add(
                SyncState(
                    source_id=source_ids[source],
                    mode="incremental",
                    cursor=when,
                    last_success_at=when,
                    updated_at=when,
                )
            )
        for source, key, reason, when in self.quarantine:
            if when <= cut:
                session.add(
                    QuarantinedRecord(
                        source_id=source_ids[source], tracker_key=key, reason=reason, at=when
                    )
                )
        session.flush()


def _batches(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def report(
    session: Session,
    name: str,
    as_of: datetime,
    *,
    now: datetime | None = None,
    include_resolved: bool = False,
    train: str = "ART",
    **rules: Any,
) -> dict[str, Any]:
    """A report's JSON document as of ``as_of`` (the contract tests read), through the renderer."""
    import json

    from reports.blocked import blocked_report
    from reports.dependencies import dependency_report
    from reports.flow import flow_report
    from reports.render import render
    from reports.state import ReportContext

    ctx = ReportContext(
        train=train, as_of=as_of, now=now or as_of, sources=("github", "jira"), **rules
    )
    if name == "dependencies":
        built: Any = dependency_report(session, ctx, include_resolved=include_resolved)
    elif name == "blocked":
        built = blocked_report(session, ctx)
    else:
        built = flow_report(session, ctx)
    document: dict[str, Any] = json.loads(render(built, "json"))
    return document
