"""Stores one connector page in the model: idempotent upserts keyed by (source, tracker id).

``PageStore.store`` runs inside the caller's transaction (the engine commits the page and its
cursor together). Applying the same page twice changes nothing: rows are compared before they
are written, events and links are keyed, synthesized link events have deterministic keys.

What it does beyond plain upserts:
* resolves ``ItemRef``s to stored items — by tracker id within the source, else by key (or url)
  across sources of that tracker kind — and, when items arrive, fills link ends and parents that
  were waiting for them (cross-tracker links resolve in either sync order);
* resolves each item's team (``model.rules.resolve_team``) and each sprint's train iteration;
* reconciles ``LinkScope``s: a stored link the tracker no longer reports is closed
  (``removed_at`` from the tracker's history when the page has it, else now);
* keeps link history in ``events``: an "added" event at ``created_at``, a "removed" event at
  ``removed_at``, so reports can replay links as of any instant;
* census pages mark listed items and, when complete, mark unlisted in-scope items missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from model.rules import ItemFacts, IterationSpan, TeamRules, iteration_for_sprint, resolve_team
from model.rules import status_category as category_of

CHUNK = 500  # ids per IN (...) query: well under SQLite's variable limit


@dataclass(slots=True)
class PageCounts:
    items: int = 0
    links: int = 0
    events: int = 0
    quarantined: int = 0
    census: int = 0


@dataclass(slots=True)
class StoreContext:
    """What the store needs besides the page: who we are and the train's rules."""

    source: t.Source
    run_id: int
    now: datetime
    teams: Sequence[TeamRules]
    team_ids: dict[str, int]
    iterations: Sequence[IterationSpan]
    tz: ZoneInfo
    kinds: dict[int, str] = field(default_factory=dict)  # source id → kind, for ref resolution


class PageStore:
    def __init__(self, session: Session, ctx: StoreContext) -> None:
        self.s = session
        self.ctx = ctx
        self.src_id = ctx.source.id
        self.kind = ctx.source.kind

    # -- entry point ---------------------------------------------------------------------------

    def store(self, page: rec.Page) -> PageCounts:
        counts = PageCounts()
        sprint_ids = self._sprints(page.sprints)
        items = self._items(page.items, sprint_ids, counts)
        self._resolve_waiting(items)
        link_rows = self._links(page.links, page.events, counts)
        self._scopes(page.link_scopes, page.links, page.events)
        self._events(page.events, link_rows, counts)
        self._census(page.census, counts)
        self._moves_and_gone(page.moves, page.gone)
        self._quarantine(page.quarantined, counts)
        self._memo(page.memo)
        self.s.flush()
        return counts

    # -- sprints --------------------------------------------------------------------------------

    def _sprints(self, sprints: Sequence[rec.Sprint]) -> dict[str, int]:
        wanted = {sp.tracker_id for sp in sprints}
        rows = {r.tracker_id: r for r in self._by_tracker_id(t.TrackerSprint, wanted)}
        for sp in sprints:
            row = rows.get(sp.tracker_id)
            if row is None:
                row = t.TrackerSprint(source_id=self.src_id, tracker_id=sp.tracker_id, name=sp.name)
                self.s.add(row)
                rows[sp.tracker_id] = row
            iteration = iteration_for_sprint(
                sp.name, sp.start, sp.end, self.ctx.iterations, self.ctx.tz
            )
            _assign(
                row,
                name=sp.name,
                state=sp.state,
                start=sp.start,
                end=sp.end,
                completed=sp.completed,
                board_id=sp.board_id,
                iteration_id=iteration,
            )
        self.s.flush()
        # items may name sprints from earlier pages
        return {r.tracker_id: r.id for r in rows.values()}

    def _sprint_id(self, tracker_id: str | None, known: dict[str, int]) -> int | None:
        if tracker_id is None:
            return None
        if tracker_id not in known:
            row = self.s.scalar(
                select(t.TrackerSprint.id).where(
                    t.TrackerSprint.source_id == self.src_id,
                    t.TrackerSprint.tracker_id == tracker_id,
                )
            )
            if row is None:
                return None
            known[tracker_id] = row
        return known[tracker_id]

    # -- items ----------------------------------------------------------------------------------

    def _items(
        self, items: Sequence[rec.WorkItem], sprint_ids: dict[str, int], counts: PageCounts
    ) -> list[t.WorkItem]:
        rows = {
            r.tracker_id: r for r in self._by_tracker_id(t.WorkItem, {i.tracker_id for i in items})
        }
        out: list[t.WorkItem] = []
        categories: dict[str, str] = {}
        for item in items:
            row = rows.get(item.tracker_id)
            if row is None:
                row = t.WorkItem(
                    source_id=self.src_id,
                    tracker_id=item.tracker_id,
                    first_seen_at=self.ctx.now,
                    last_seen_at=self.ctx.now,
                )
                self.s.add(row)
                rows[item.tracker_id] = row
            # fetched one hop out by a link, but already synced in scope: stays in scope
            in_scope = item.in_scope or (row.id is not None and row.in_scope)
            changed = _assign(row, **self._item_values(item, sprint_ids, in_scope))
            if changed or row.id is None:
                row.last_seen_at = self.ctx.now
                counts.items += 1
            categories[item.status] = item.status_category
            out.append(row)
        self._status_categories(categories)
        self.s.flush()
        self._parents(items, rows)
        return out

    def _parents(self, items: Sequence[rec.WorkItem], rows: dict[str, t.WorkItem]) -> None:
        parents = self._resolve_refs([i.parent for i in items if i.parent is not None])
        for item in items:
            row = rows[item.tracker_id]
            parent_id = parents.get(_ref_key(item.parent)) if item.parent else None
            # an unresolved parent keeps what is stored; it resolves when the parent arrives
            resolved = item.parent is None or parent_id is not None
            if resolved and row.parent_id != parent_id:
                row.parent_id = parent_id

    def _item_values(
        self, item: rec.WorkItem, sprint_ids: dict[str, int], in_scope: bool
    ) -> dict[str, Any]:
        team = (
            resolve_team(
                ItemFacts(
                    tracker=self.kind,
                    container=item.container,
                    team_field=item.team_field,
                    components=item.components,
                    labels=item.labels,
                ),
                self.ctx.teams,
            )
            if in_scope
            else None
        )
        return dict(
            key=norm_key(self.kind, item.key),
            url=item.url,
            type=item.type,
            title=item.title,
            status=item.status,
            status_category=item.status_category,
            container=item.container,
            team_id=self.ctx.team_ids.get(team) if team else None,
            team_field=item.team_field,
            sprint_id=self._sprint_id(item.sprint_id, sprint_ids),
            parent_key=norm_key(item.parent.tracker, item.parent.key) if item.parent else None,
            assignee=item.assignee,
            labels=list(item.labels),
            components=list(item.components),
            story_points=item.story_points,
            objective=item.objective,
            business_value=item.business_value,
            actual_business_value=item.actual_business_value,
            committed=item.committed,
            created_at=item.created_at,
            updated_at=item.updated_at,
            resolved_at=item.resolved_at,
            flagged=item.flagged,
            flag_reason=item.flag_reason,
            in_scope=in_scope,
            missing=False,
            missing_since=None,
            missing_reason=None,
        )

    def _status_categories(self, categories: dict[str, str]) -> None:
        if not categories:
            return
        rows = {
            r.status: r
            for r in self.s.scalars(
                select(t.StatusCategoryRow).where(
                    t.StatusCategoryRow.source_id == self.src_id,
                    t.StatusCategoryRow.status.in_(list(categories)),
                )
            )
        }
        for status, category in categories.items():
            row = rows.get(status)
            if row is None:
                self.s.add(
                    t.StatusCategoryRow(
                        source_id=self.src_id, status=status, category=category_of(status, category)
                    )
                )
            elif row.category != category:
                row.category = category

    def _resolve_waiting(self, items: Sequence[t.WorkItem]) -> None:
        """Link ends and parents that named these items before they were stored."""
        by_key = {row.key: row.id for row in items}
        for chunk in _chunks(list(by_key), CHUNK):
            for end in ("blocker", "blocked"):
                item_col = getattr(t.Link, f"{end}_item_id")
                key_col = getattr(t.Link, f"{end}_key")
                tracker_col = getattr(t.Link, f"{end}_tracker")
                waiting = self.s.execute(
                    select(t.Link.id, key_col).where(
                        item_col.is_(None), tracker_col == self.kind, key_col.in_(chunk)
                    )
                ).all()
                if waiting:  # one executemany; no Link row is loaded in this session yet
                    table = cast(Table, t.Link.__table__)
                    self.s.execute(
                        update(table)
                        .where(table.c.id == bindparam("link_id"))
                        .values({f"{end}_item_id": bindparam("item_id")}),
                        [{"link_id": lid, "item_id": by_key[key]} for lid, key in waiting],
                    )
            # as rows, not one UPDATE each: an ORM update per child scans the whole session
            for child in self.s.scalars(
                select(t.WorkItem).where(
                    t.WorkItem.source_id == self.src_id,
                    t.WorkItem.parent_key.in_(chunk),
                )
            ):
                child.parent_id = by_key[str(child.parent_key)]

    # -- links ----------------------------------------------------------------------------------

    def _links(
        self, links: Sequence[rec.Link], events: Sequence[rec.Event], counts: PageCounts
    ) -> dict[tuple[str, str], t.Link]:
        keys: set[tuple[str, str]] = {(ln.origin, ln.link_key) for ln in links}
        keys |= {(ev.link_origin, ev.link_key) for ev in events if ev.link_key and ev.link_origin}
        rows = self._link_rows(keys)
        refs = self._resolve_refs([ln.blocker for ln in links] + [ln.blocked for ln in links])
        for link in links:
            row = rows.get((link.origin, link.link_key))
            values = dict(
                kind=link.kind,
                blocker_item_id=refs.get(_ref_key(link.blocker)),
                blocker_tracker=link.blocker.tracker,
                blocker_key=norm_key(link.blocker.tracker, link.blocker.key),
                blocker_url=link.blocker.url,
                blocked_item_id=refs.get(_ref_key(link.blocked)),
                blocked_tracker=link.blocked.tracker,
                blocked_key=norm_key(link.blocked.tracker, link.blocked.key),
                blocked_url=link.blocked.url,
            )
            if row is None and link.removed_at is not None:
                row = self._adopt(link, values)
                if row is not None:
                    rows[(link.origin, link.link_key)] = row
            if row is None:
                row = t.Link(
                    source_id=self.src_id,
                    origin=link.origin,
                    link_key=link.link_key,
                    created_at=link.created_at or self.ctx.now,
                    created_from_history=link.created_at is not None,
                    removed_at=link.removed_at,
                    first_seen_at=self.ctx.now,
                    last_seen_at=self.ctx.now,
                    **values,
                )
                self.s.add(row)
                self.s.flush()
                rows[(link.origin, link.link_key)] = row
                self._link_event(row, "added", row.created_at)
                if row.removed_at is not None:
                    self._link_event(row, "removed", row.removed_at)
                counts.links += 1
                continue
            if self._update_link(row, link, values):
                row.last_seen_at = self.ctx.now
                counts.links += 1
        return rows

    def _adopt(self, link: rec.Link, values: dict[str, Any]) -> t.Link | None:
        """A closed episode from history (added then removed) may be a link we stored while it
        was live under the tracker's own key: close that row instead of storing a twin."""
        where = [
            t.Link.source_id == self.src_id,
            t.Link.origin == link.origin,
            t.Link.kind == link.kind,
            t.Link.blocker_key == values["blocker_key"],
            t.Link.blocked_key == values["blocked_key"],
            or_(t.Link.removed_at.is_(None), t.Link.removed_at == link.removed_at),
        ]
        if link.created_at is not None:
            where.append(t.Link.created_at == link.created_at)
        return self.s.scalars(select(t.Link).where(*where).order_by(t.Link.id)).first()

    def _update_link(self, row: t.Link, link: rec.Link, values: dict[str, Any]) -> bool:
        # keep ends resolved earlier when this page cannot resolve them
        for end in ("blocker_item_id", "blocked_item_id"):
            if values[end] is None:
                values[end] = getattr(row, end)
        changed = _assign(row, **values)
        if row.removed_at is not None and link.removed_at is None:
            # the tracker reports the link again: a new episode
            back = (
                link.created_at
                if link.created_at and link.created_at > row.removed_at
                else self.ctx.now
            )
            row.removed_at, row.created_at = None, back
            row.created_from_history = link.created_at is not None and back == link.created_at
            self._link_event(row, "added", back)
            return True
        if link.created_at is not None and link.created_at != row.created_at:
            self._move_added_event(row, link.created_at)
            row.created_at, row.created_from_history = link.created_at, True
            changed = True
        if link.removed_at is not None and row.removed_at != link.removed_at:
            if row.removed_at is None:
                self._link_event(row, "removed", link.removed_at)
            row.removed_at = link.removed_at
            changed = True
        return changed

    def _link_rows(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], t.Link]:
        rows: dict[tuple[str, str], t.Link] = {}
        by_origin: dict[str, list[str]] = {}
        for origin, key in keys:
            by_origin.setdefault(origin, []).append(key)
        for origin, link_keys in by_origin.items():
            for chunk in _chunks(link_keys, CHUNK):
                for row in self.s.scalars(
                    select(t.Link).where(
                        t.Link.source_id == self.src_id,
                        t.Link.origin == origin,
                        t.Link.link_key.in_(chunk),
                    )
                ):
                    rows[(row.origin, row.link_key)] = row
        return rows

    def _link_event(self, row: t.Link, what: str, at: datetime) -> None:
        key = f"~link:{row.origin}:{row.link_key}:{what}:{_stamp(at)}"
        exists = self.s.scalar(
            select(t.Event.id).where(t.Event.source_id == self.src_id, t.Event.event_key == key)
        )
        if exists is None:
            self.s.add(
                t.Event(
                    source_id=self.src_id,
                    event_key=key,
                    link_id=row.id,
                    item_id=row.blocked_item_id,
                    at=at,
                    field="link",
                    to_value=what,
                )
            )

    def _move_added_event(self, row: t.Link, new_at: datetime) -> None:
        """``created_at`` learned from history replaces the first-seen guess."""
        old = f"~link:{row.origin}:{row.link_key}:added:{_stamp(row.created_at)}"
        event = self.s.scalar(
            select(t.Event).where(t.Event.source_id == self.src_id, t.Event.event_key == old)
        )
        if event is not None:
            self.s.delete(event)
            self.s.flush()
        self._link_event(row, "added", new_at)

    def _resolve_refs(self, refs: Iterable[rec.ItemRef]) -> dict[tuple[str, str], int]:
        """ItemRef → stored work item id, by tracker id in this source, else by key/url."""
        found: dict[tuple[str, str], int] = {}
        own_ids = {r.tracker_id for r in refs if r.tracker_id and self._is_own(r)}
        for tracker_id, item_id in self._ids_by_tracker_id(own_ids).items():
            found[("id", tracker_id)] = item_id
        by_kind: dict[str, set[str]] = {}
        for ref in refs:
            if _ref_key(ref) not in found:
                by_kind.setdefault(ref.tracker, set()).add(norm_key(ref.tracker, ref.key))
        for kind, keys in by_kind.items():
            for chunk in _chunks(sorted(keys), CHUNK):
                rows = self.s.execute(
                    select(t.WorkItem.key, t.WorkItem.id, t.WorkItem.source_id)
                    .join(t.Source, t.Source.id == t.WorkItem.source_id)
                    .where(t.Source.kind == kind, t.WorkItem.key.in_(chunk))
                    .order_by((t.WorkItem.source_id == self.src_id).desc(), t.WorkItem.id)
                ).all()
                for key, item_id, _source in rows:
                    found.setdefault(("key", f"{kind}:{key}"), item_id)
        result: dict[tuple[str, str], int] = {}
        for ref in refs:
            by_key = ("key", f"{ref.tracker}:{norm_key(ref.tracker, ref.key)}")
            hit = found.get(_ref_key(ref)) or found.get(by_key)
            if hit is not None:
                result[_ref_key(ref)] = hit
        return result

    def _is_own(self, ref: rec.ItemRef) -> bool:
        return ref.source == self.ctx.source.name or (
            ref.source is None and ref.tracker == self.kind
        )

    def _ids_by_tracker_id(self, tracker_ids: set[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for chunk in _chunks(sorted(tracker_ids), CHUNK):
            out.update(
                self.s.execute(
                    select(t.WorkItem.tracker_id, t.WorkItem.id).where(
                        t.WorkItem.source_id == self.src_id, t.WorkItem.tracker_id.in_(chunk)
                    )
                ).all()
            )
        return out

    # -- link scopes ----------------------------------------------------------------------------

    def _scopes(
        self,
        scopes: Sequence[rec.LinkScope],
        links: Sequence[rec.Link],
        events: Sequence[rec.Event],
    ) -> None:
        if not scopes:
            return
        present = {(ln.origin, ln.link_key) for ln in links if ln.removed_at is None}
        removed_at: dict[tuple[str, str], datetime] = {
            (str(ev.link_origin), ev.link_key): ev.at
            for ev in sorted(events, key=_at)
            if ev.field == "link" and ev.to_value == "removed" and ev.link_key
        }
        item_ids = self._ids_by_tracker_id({sc.tracker_id for sc in scopes})
        # one query per origin and chunk of items, not one per scope: a backfill page asserts
        # two scopes for each of its 100 issues
        roles: dict[str, dict[int, set[str]]] = {}
        for scope in scopes:
            item_id = item_ids.get(scope.tracker_id)
            if item_id is not None:
                roles.setdefault(scope.origin, {}).setdefault(item_id, set()).add(scope.role)
        for origin, by_item in roles.items():
            ids = list(by_item)
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                for row in self.s.scalars(
                    select(t.Link).where(
                        t.Link.source_id == self.src_id,
                        t.Link.origin == origin,
                        t.Link.removed_at.is_(None),
                        or_(t.Link.blocker_item_id.in_(chunk), t.Link.blocked_item_id.in_(chunk)),
                    )
                ):
                    if not _scoped(row, by_item) or (row.origin, row.link_key) in present:
                        continue
                    at = removed_at.get((row.origin, row.link_key)) or self.ctx.now
                    row.removed_at = max(at, row.created_at)
                    row.last_seen_at = self.ctx.now
                    self._link_event(row, "removed", row.removed_at)

    # -- events ---------------------------------------------------------------------------------

    def _events(
        self,
        events: Sequence[rec.Event],
        link_rows: dict[tuple[str, str], t.Link],
        counts: PageCounts,
    ) -> None:
        if not events:
            return
        existing: set[str] = set()
        for chunk in _chunks([ev.event_key for ev in events], CHUNK):
            existing.update(
                self.s.scalars(
                    select(t.Event.event_key).where(
                        t.Event.source_id == self.src_id, t.Event.event_key.in_(chunk)
                    )
                )
            )
        item_ids = self._ids_by_tracker_id({ev.item_tracker_id for ev in events})
        rows = []
        for ev in events:
            if ev.event_key in existing:
                continue
            existing.add(ev.event_key)
            link = link_rows.get((ev.link_origin, ev.link_key)) if ev.link_key else None  # type: ignore[arg-type]
            rows.append(
                dict(
                    source_id=self.src_id,
                    event_key=ev.event_key,
                    item_id=item_ids.get(ev.item_tracker_id),
                    link_id=link.id if link else None,
                    at=ev.at,
                    field=ev.field,
                    from_value=ev.from_value,
                    to_value=ev.to_value,
                    detail=ev.detail,
                )
            )
        if rows:
            self.s.execute(t.Event.__table__.insert(), rows)  # type: ignore[attr-defined]
            counts.events += len(rows)

    # -- census, moves, deletions ---------------------------------------------------------------

    def _census(self, census: rec.Census | None, counts: PageCounts) -> None:
        if census is None:
            return
        counts.census += len(census.tracker_ids)
        for chunk in _chunks(list(census.tracker_ids), CHUNK):
            self.s.execute(
                update(t.WorkItem)
                .where(t.WorkItem.source_id == self.src_id, t.WorkItem.tracker_id.in_(chunk))
                .values(census_run_id=self.ctx.run_id)
            )
            self.s.execute(
                update(t.WorkItem)
                .where(
                    t.WorkItem.source_id == self.src_id,
                    t.WorkItem.tracker_id.in_(chunk),
                    t.WorkItem.missing.is_(True),
                    t.WorkItem.missing_reason == "not in census",
                )
                .values(missing=False, missing_since=None, missing_reason=None)
            )
        if census.complete:
            self.s.execute(
                update(t.WorkItem)
                .where(
                    t.WorkItem.source_id == self.src_id,
                    t.WorkItem.in_scope.is_(True),
                    t.WorkItem.missing.is_(False),
                    or_(
                        t.WorkItem.census_run_id.is_(None),
                        t.WorkItem.census_run_id != self.ctx.run_id,
                    ),
                )
                .values(missing=True, missing_since=self.ctx.now, missing_reason="not in census")
            )

    def _moves_and_gone(self, moves: Sequence[rec.Move], gone: Sequence[rec.Gone]) -> None:
        for move in moves:
            values: dict[str, Any] = {"moved_to": move.new_url or move.new_key}
            self.s.execute(
                update(t.WorkItem)
                .where(
                    t.WorkItem.source_id == self.src_id,
                    t.WorkItem.tracker_id == move.tracker_id,
                    or_(t.WorkItem.moved_to.is_(None), t.WorkItem.moved_to != values["moved_to"]),
                )
                .values(missing=True, missing_since=self.ctx.now, missing_reason="moved", **values)
            )
        for g in gone:
            self.s.execute(
                update(t.WorkItem)
                .where(
                    t.WorkItem.source_id == self.src_id,
                    t.WorkItem.tracker_id == g.tracker_id,
                    t.WorkItem.missing.is_(False),
                )
                .values(missing=True, missing_since=self.ctx.now, missing_reason=g.reason[:200])
            )

    def _quarantine(self, records: Sequence[rec.Quarantined], counts: PageCounts) -> None:
        for q in records:
            self.s.add(
                t.QuarantinedRecord(
                    source_id=self.src_id,
                    run_id=self.ctx.run_id,
                    tracker_key=q.key[:300],
                    reason=q.reason,
                    at=self.ctx.now,
                )
            )
        counts.quarantined += len(records)

    def _memo(self, memo: dict[str, str | None] | Any) -> None:
        if not memo:
            return
        rows = {
            r.key: r
            for r in self.s.scalars(
                select(t.ConnectorMemo).where(
                    t.ConnectorMemo.source_id == self.src_id, t.ConnectorMemo.key.in_(list(memo))
                )
            )
        }
        for key, value in memo.items():
            row = rows.get(key)
            if value is None:
                if row is not None:
                    self.s.delete(row)
            elif row is None:
                self.s.add(t.ConnectorMemo(source_id=self.src_id, key=key, value=value))
            elif row.value != value:
                row.value = value

    # -- helpers --------------------------------------------------------------------------------

    def _by_tracker_id(self, model: Any, tracker_ids: set[str]) -> list[Any]:
        out: list[Any] = []
        for chunk in _chunks(sorted(tracker_ids), CHUNK):
            out.extend(
                self.s.scalars(
                    select(model).where(model.source_id == self.src_id, model.tracker_id.in_(chunk))
                )
            )
        return out


def stored_updated(
    session: Session, source_id: int, tracker_ids: Sequence[str]
) -> dict[str, datetime]:
    """``updated_at`` of stored, non-missing items (what a connector can skip re-fetching)."""
    out: dict[str, datetime] = {}
    for chunk in _chunks(list(tracker_ids), CHUNK):
        out.update(
            session.execute(
                select(t.WorkItem.tracker_id, t.WorkItem.updated_at).where(
                    t.WorkItem.source_id == source_id,
                    t.WorkItem.tracker_id.in_(chunk),
                    t.WorkItem.missing.is_(False),
                )
            ).all()
        )
    return out


def memo_view(session: Session, source_id: int) -> dict[str, str]:
    return dict(
        session.execute(
            select(t.ConnectorMemo.key, t.ConnectorMemo.value).where(
                t.ConnectorMemo.source_id == source_id
            )
        ).all()
    )


def count_items(session: Session, source_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(t.WorkItem)
            .where(
                and_(
                    t.WorkItem.source_id == source_id,
                    t.WorkItem.in_scope.is_(True),
                    t.WorkItem.missing.is_(False),
                )
            )
        )
        or 0
    )


def _assign(row: Any, **values: Any) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _ref_key(ref: rec.ItemRef) -> tuple[str, str]:
    if ref.tracker_id:
        return ("id", ref.tracker_id)
    return ("key", f"{ref.tracker}:{norm_key(ref.tracker, ref.key)}")


def norm_key(tracker: str, key: str) -> str:
    """GitHub owner and repository names are case-insensitive: "Acme/Web#7" is "acme/web#7",
    so references typed by people and URLs from Jira resolve to the same item."""
    return key.lower() if tracker == "github" else key


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _at(ev: rec.Event) -> datetime:
    return ev.at


def _scoped(row: t.Link, roles: dict[int, set[str]]) -> bool:
    """Whether a scope (item id → roles asserted complete) covers this link at either end."""
    blocker = roles.get(row.blocker_item_id) if row.blocker_item_id is not None else None
    blocked = roles.get(row.blocked_item_id) if row.blocked_item_id is not None else None
    return bool(
        ({"either", "blocker"} & (blocker or set())) or ({"either", "blocked"} & (blocked or set()))
    )


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
