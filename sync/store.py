"""Stores one connector page in the model: idempotent upserts keyed by (source, tracker id).

``PageStore.store`` runs inside the caller's transaction (the engine commits the page and its
cursor together). Applying the same page twice changes nothing: rows are compared before they
are written, events and links are keyed, synthesized link events have deterministic keys.

What it does beyond plain upserts:
* resolves ``ItemRef``s to stored items (``sync.resolve``: tracker id, key, or an alias — an old
  key of a moved or transferred item) and, when items or aliases arrive, fills link ends and
  parents that were waiting for them (cross-tracker links resolve in either sync order);
* learns aliases: a changelog's ``Alias`` records, a stored item whose key changed, a ``Move``;
* resolves each item's team (``model.rules.resolve_team``) and each sprint's train iteration;
* stores links, their history and their scopes (``sync.store_links``), text references dated
  by the reads that saw them;
* census pages mark listed items and, when complete, mark unlisted in-scope items missing
  (``sync.store_presence``, with moves, deletions and quarantine).

What the engine reads back of a source's stored state is in ``sync.stored``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from model.rules import ItemFacts, iteration_for_sprint, resolve_team
from model.rules import status_category as category_of
from sync.history import mark_history
from sync.resolve import CHUNK, Resolver, norm_key
from sync.resolve import chunks as _chunks
from sync.resolve import ref_key as _ref_key
from sync.store_context import PageCounts, StoreContext
from sync.store_links import LinkStore, assign
from sync.store_presence import PresenceStore, quarantine
from sync.stored import write_memo


class PageStore:
    def __init__(self, session: Session, ctx: StoreContext) -> None:
        self.s = session
        self.ctx = ctx
        self.src_id = ctx.source.id
        self.kind = ctx.source.kind
        self.resolver = Resolver(session, ctx.source)
        self._first_reads: dict[str, datetime] = {}  # tracker id → created_at, new this page
        self._renamed: list[tuple[int, str, datetime | None]] = []  # (item id, old key, at)
        self.links = LinkStore(session, self.src_id, ctx.now, self.resolver, self._first_reads)
        self.presence = PresenceStore(session, ctx, self.resolver)

    # -- entry point ---------------------------------------------------------------------------

    def store(self, page: rec.Page) -> PageCounts:
        counts = PageCounts()
        sprint_ids = self._sprints(page.sprints)
        keys = self._items(page.items, sprint_ids, counts)
        mark_history(self.s, self.src_id, page.history_deferred, page.history_read)
        self.resolver.resolve_waiting(keys)
        self._aliases(page.aliases)
        link_ids, counts.links = self.links.store(page.links, page.events)
        self.links.scopes(page.link_scopes, page.links, page.events)
        self._events(page.events, link_ids, counts)
        counts.census += self.presence.census(page.census)
        self.presence.moves_and_gone(page.moves, page.gone)
        counts.quarantined += quarantine(self.s, self.src_id, self.ctx, page.quarantined)
        write_memo(self.s, self.src_id, page.memo)
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
            assign(
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
    ) -> dict[str, int]:
        """Upserts the page's items; returns their keys → item ids. Stored rows are compared
        and updated through the ORM; new ones go in as one bulk INSERT (building an ORM object
        per new item was most of a first load's item cost)."""
        rows = {
            r.tracker_id: r for r in self._by_tracker_id(t.WorkItem, {i.tracker_id for i in items})
        }
        new: dict[str, dict[str, Any]] = {}  # tracker id → values of an item not stored yet
        categories: dict[str, str] = {}
        for item in items:
            categories[item.status] = item.status_category
            row = rows.get(item.tracker_id)
            if row is None:
                new[item.tracker_id] = self._item_values(item, sprint_ids, item.in_scope)
                self._first_reads[item.tracker_id] = item.created_at
                counts.items += 1
                continue
            # fetched one hop out by a link, but already synced in scope: stays in scope
            old_key = row.key
            changed = assign(
                row, **self._item_values(item, sprint_ids, item.in_scope or row.in_scope)
            )
            if old_key != row.key:  # moved or transferred
                self._renamed.append((row.id, old_key, None))
            if changed:
                row.last_seen_at = self.ctx.now
                counts.items += 1
        self._status_categories(categories)
        self.s.flush()
        parents = self._stored_parents(items, new)
        ids = {tid: row.id for tid, row in rows.items()} | self._insert_items(new)
        self._parents(items, rows, ids, parents)
        keys = {row.key: row.id for row in rows.values()}
        return keys | {values["key"]: ids[tid] for tid, values in new.items()}

    def _insert_items(self, new: dict[str, dict[str, Any]]) -> dict[str, int]:
        """New items in one INSERT (multi-row VALUES with RETURNING on SQLite and PostgreSQL);
        their tracker ids → item ids."""
        if not new:
            return {}
        now = self.ctx.now
        extra = dict(source_id=self.src_id, first_seen_at=now, last_seen_at=now)
        table = t.WorkItem.__table__
        # Core, not the ORM's bulk insert (which fell back to one INSERT per row here); rows come
        # back keyed by tracker id, since asking for them in parameter order made SQLite's
        # insert one row per statement again
        statement = table.insert().returning(table.c.tracker_id, table.c.id)  # type: ignore[attr-defined]
        values = [{**v, **extra, "tracker_id": tid} for tid, v in new.items()]
        return {tid: item_id for tid, item_id in self.s.execute(statement, values)}

    def _stored_parents(
        self, items: Sequence[rec.WorkItem], new: dict[str, dict[str, Any]]
    ) -> dict[tuple[str, str], int]:
        """The page's parent refs that name stored items; new items get theirs in their values,
        so they go in with it (an UPDATE per new item after was a first load's cost)."""
        parents = self.resolver.refs([i.parent for i in items if i.parent is not None])
        for item in items:
            if item.tracker_id in new:
                ref = _ref_key(item.parent) if item.parent else None
                new[item.tracker_id]["parent_id"] = parents.get(ref) if ref else None
        return parents

    def _parents(
        self,
        items: Sequence[rec.WorkItem],
        rows: dict[str, t.WorkItem],
        ids: dict[str, int],
        parents: dict[tuple[str, str], int],
    ) -> None:
        """Parents of stored items, and of new items whose parent is new on this page too
        (``parents``: the refs ``_stored_parents`` found before the page's items went in)."""
        later = [i.parent for i in items if i.parent and _ref_key(i.parent) not in parents]
        found_later = self.resolver.refs(later) if later else {}
        fill: dict[int, int] = {}  # new rows: one executemany
        for item in items:
            ref = _ref_key(item.parent) if item.parent else None
            parent_id = (parents.get(ref) or found_later.get(ref)) if ref else None
            # an unresolved parent keeps what is stored; it resolves when the parent arrives
            resolved = item.parent is None or parent_id is not None
            row = rows.get(item.tracker_id)
            if row is None:
                if ref in found_later:  # (one found before the insert went in with the item)
                    fill[ids[item.tracker_id]] = found_later[ref]
            elif resolved and row.parent_id != parent_id:
                row.parent_id = parent_id
        self.resolver.fill(t.WorkItem, "parent_id", list(fill.items()))

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

    def _aliases(self, aliases: Sequence[rec.Alias]) -> None:
        """Old keys: from the tracker's history and from stored items whose key changed."""
        ids = self.resolver.ids_by_tracker_id({a.tracker_id for a in aliases})
        learned = [(ids[a.tracker_id], a.key, a.at) for a in aliases if a.tracker_id in ids]
        self.resolver.learn([*self._renamed, *learned])
        self._renamed = []

    # -- events ---------------------------------------------------------------------------------

    def _events(
        self,
        events: Sequence[rec.Event],
        link_ids: dict[tuple[str, str], int],
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
        item_ids = self.resolver.ids_by_tracker_id({ev.item_tracker_id for ev in events})
        rows = []
        for ev in events:
            if ev.event_key in existing:
                continue
            existing.add(ev.event_key)
            link_id = link_ids.get((str(ev.link_origin), ev.link_key)) if ev.link_key else None
            rows.append(
                dict(
                    source_id=self.src_id,
                    event_key=ev.event_key,
                    item_id=item_ids.get(ev.item_tracker_id),
                    link_id=link_id,
                    at=ev.at,
                    field=ev.field,
                    from_value=ev.from_value,
                    to_value=ev.to_value,
                    detail=ev.detail,
                    author=ev.author,
                    author_name=ev.author_name,
                )
            )
        if rows:
            self.s.execute(t.Event.__table__.insert(), rows)  # type: ignore[attr-defined]
            counts.events += len(rows)

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
