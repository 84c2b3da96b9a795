"""The links of one page stored: upserts keyed by (source, origin, link key), with history.

* A link's ends resolve through ``sync.resolve`` (tracker id, key, alias); an end this page
  cannot resolve keeps what an earlier page resolved.
* History lives in ``events``: an "added" event at ``created_at``, a "removed" event at
  ``removed_at``; a link the tracker reports again after its removal is a new episode.
* ``created_at`` from the tracker's history replaces the first-seen guess. Read-dated links
  (text references: the tracker keeps no body-edit history) are dated by the reads that saw
  them: met on the first read of their item, from the item's creation, else from that read's
  ``updated_at`` (the connector's ``created_at``); such a date only ever moves earlier.
* ``LinkScope``s reconcile: a stored link the tracker no longer reports is closed (at the
  removal time from the page's history, else now).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from sync.resolve import CHUNK, Resolver, chunks, norm_key, ref_key

# origins whose ``created_at`` is when a read saw them (an upper bound), not a history instant
READ_DATED = frozenset({"text_reference"})


class LinkStore:
    """Links and link scopes of the pages of one source, inside the caller's transaction."""

    def __init__(
        self,
        session: Session,
        source_id: int,
        now: datetime,
        resolver: Resolver,
        first_reads: Mapping[str, datetime],
    ) -> None:
        self.s = session
        self.src_id = source_id
        self.now = now
        self.resolver = resolver
        self.first_reads = first_reads  # tracker id → created_at of items first stored now

    # -- links ----------------------------------------------------------------------------------

    def store(
        self, links: Sequence[rec.Link], events: Sequence[rec.Event]
    ) -> tuple[dict[tuple[str, str], int], int]:
        """The page's links upserted (with their "added"/"removed" events); the row ids by
        (origin, link key), events' links included, and how many were written. New links go
        in by one INSERT (and their events by another), stored ones are compared row by row."""
        written = 0
        keys: set[tuple[str, str]] = {(ln.origin, ln.link_key) for ln in links}
        keys |= {(ev.link_origin, ev.link_key) for ev in events if ev.link_key and ev.link_origin}
        rows = self._rows(keys)
        ids = {key: row.id for key, row in rows.items()}
        new: dict[tuple[str, str], dict[str, Any]] = {}
        refs = self.resolver.refs([ln.blocker for ln in links] + [ln.blocked for ln in links])
        for link in links:
            row = rows.get((link.origin, link.link_key))
            created = self._created(link)
            values = dict(
                kind=link.kind,
                blocker_item_id=refs.get(ref_key(link.blocker)),
                blocker_tracker=link.blocker.tracker,
                blocker_key=norm_key(link.blocker.tracker, link.blocker.key),
                blocker_url=link.blocker.url,
                blocked_item_id=refs.get(ref_key(link.blocked)),
                blocked_tracker=link.blocked.tracker,
                blocked_key=norm_key(link.blocked.tracker, link.blocked.key),
                blocked_url=link.blocked.url,
            )
            if row is None and link.removed_at is not None:
                ids |= self._insert(new)  # (a link new on this page may be the one to close)
                row = self._adopt(link, values)
                if row is not None:
                    rows[(link.origin, link.link_key)] = row
                    ids[(link.origin, link.link_key)] = row.id
            if row is None:
                new[(link.origin, link.link_key)] = dict(
                    source_id=self.src_id,
                    origin=link.origin,
                    link_key=link.link_key,
                    created_at=created or self.now,
                    created_from_history=created is not None and link.origin not in READ_DATED,
                    removed_at=link.removed_at,
                    first_seen_at=self.now,
                    last_seen_at=self.now,
                    **values,
                )
                written += 1
                continue
            if self._update(row, link, values, created):
                row.last_seen_at = self.now
                written += 1
        return ids | self._insert(new), written

    def _insert(self, new: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], int]:
        """New links (then emptied) in one INSERT ... RETURNING, and their "added" (and
        "removed") events in one more; their ids by (origin, link key)."""
        if not new:
            return {}
        self.s.flush()  # (Core statements do not autoflush)
        table = t.Link.__table__
        # keyed by (origin, link key): asking for parameter order made SQLite insert row by row
        statement = table.insert().returning(table.c.origin, table.c.link_key, table.c.id)  # type: ignore[attr-defined]
        rows = self.s.execute(statement, list(new.values()))
        ids = {(origin, key): link_id for origin, key, link_id in rows}
        marks: list[tuple[int, dict[str, Any], str, datetime]] = []
        for key, values in new.items():
            marks.append((ids[key], values, "added", values["created_at"]))
            if values["removed_at"] is not None:
                marks.append((ids[key], values, "removed", values["removed_at"]))
        self._insert_events(marks)
        new.clear()
        return ids

    def _insert_events(self, marks: Sequence[tuple[int, Mapping[str, Any], str, datetime]]) -> None:
        """The events ``_link_event`` makes, for many new links at once (those already
        stored, say from an earlier store of the same page, are left alone)."""
        rows = {
            f"~link:{v['origin']}:{v['link_key']}:{what}:{_stamp(at)}": dict(
                source_id=self.src_id,
                link_id=link_id,
                item_id=v["blocked_item_id"],
                at=at,
                field="link",
                to_value=what,
            )
            for link_id, v, what, at in marks
        }
        for chunk in chunks(list(rows), CHUNK):
            for key in self.s.scalars(
                select(t.Event.event_key).where(
                    t.Event.source_id == self.src_id, t.Event.event_key.in_(chunk)
                )
            ):
                rows.pop(key, None)
        if rows:
            values = [{**v, "event_key": key} for key, v in rows.items()]
            self.s.execute(t.Event.__table__.insert(), values)  # type: ignore[attr-defined]

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

    def _created(self, link: rec.Link) -> datetime | None:
        """When the link began, as far as this page tells: history's instant, or for a
        read-dated link met on its item's first read, the item's creation."""
        if link.origin not in READ_DATED or link.created_at is None:
            return link.created_at
        return self.first_reads.get(link.blocked.tracker_id or "", link.created_at)

    def _update(
        self, row: t.Link, link: rec.Link, values: dict[str, Any], created: datetime | None
    ) -> bool:
        # keep ends resolved earlier when this page cannot resolve them
        for end in ("blocker_item_id", "blocked_item_id"):
            if values[end] is None:
                values[end] = getattr(row, end)
        changed = assign(row, **values)
        historic = link.origin not in READ_DATED
        if row.removed_at is not None and link.removed_at is None:
            # the tracker reports the link again: a new episode
            back = created if created and created > row.removed_at else self.now
            row.removed_at, row.created_at = None, back
            row.created_from_history = historic and created is not None and back == created
            self._link_event(row, "added", back)
            return True
        # history's instant replaces a guess; a read's date only ever makes the link older
        if created is not None and (
            created < row.created_at if not historic else created != row.created_at
        ):
            self._move_added_event(row, created)
            row.created_at, row.created_from_history = created, historic
            changed = True
        if link.removed_at is not None and row.removed_at != link.removed_at:
            if row.removed_at is None:
                self._link_event(row, "removed", link.removed_at)
            row.removed_at = link.removed_at
            changed = True
        return changed

    def _rows(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], t.Link]:
        rows: dict[tuple[str, str], t.Link] = {}
        by_origin: dict[str, list[str]] = {}
        for origin, key in keys:
            by_origin.setdefault(origin, []).append(key)
        for origin, link_keys in by_origin.items():
            for chunk in chunks(link_keys, CHUNK):
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

    def scopes(
        self,
        scopes: Sequence[rec.LinkScope],
        links: Sequence[rec.Link],
        events: Sequence[rec.Event],
    ) -> None:
        """Close the open links a scope covers that the page no longer reports: one query per
        origin for all the page's scopes (not one per item), matched to them here."""
        if not scopes:
            return
        present = {(ln.origin, ln.link_key) for ln in links if ln.removed_at is None}
        removed_at: dict[tuple[str, str], datetime] = {
            (str(ev.link_origin), ev.link_key): ev.at
            for ev in sorted(events, key=_at)
            if ev.field == "link" and ev.to_value == "removed" and ev.link_key
        }
        item_ids = self.resolver.ids_by_tracker_id({sc.tracker_id for sc in scopes})
        by_origin: dict[str, dict[int, list[rec.LinkScope]]] = {}
        for scope in scopes:
            item_id = item_ids.get(scope.tracker_id)
            if item_id is not None:
                by_origin.setdefault(scope.origin, {}).setdefault(item_id, []).append(scope)
        for origin, by_item in by_origin.items():
            for row in self._open_links(origin, list(by_item)):
                if (row.origin, row.link_key) in present or not _covered(row, by_item):
                    continue
                at = removed_at.get((row.origin, row.link_key)) or self.now
                row.removed_at = max(at, row.created_at)
                row.last_seen_at = self.now
                self._link_event(row, "removed", row.removed_at)

    def _open_links(self, origin: str, item_ids: list[int]) -> list[t.Link]:
        """Open links of ``origin`` with an end among ``item_ids``, each once, in id order."""
        found: dict[int, t.Link] = {}
        for chunk in chunks(item_ids, CHUNK):
            for row in self.s.scalars(
                select(t.Link).where(
                    t.Link.source_id == self.src_id,
                    t.Link.origin == origin,
                    t.Link.removed_at.is_(None),
                    or_(t.Link.blocker_item_id.in_(chunk), t.Link.blocked_item_id.in_(chunk)),
                )
            ):
                found[row.id] = row
        return [found[i] for i in sorted(found)]


def _covered(row: t.Link, by_item: Mapping[int, Sequence[rec.LinkScope]]) -> bool:
    """Whether one of the scopes of the link's ends covers it: "either" end, the named end, or
    (``own``) the links kept on the item, keyed "<tracker_id>:<id>"."""
    for end, item_id in (("blocker", row.blocker_item_id), ("blocked", row.blocked_item_id)):
        for scope in by_item.get(item_id, ()) if item_id is not None else ():
            if scope.role == "own":
                if row.link_key.startswith(f"{scope.tracker_id}:"):
                    return True
            elif scope.role in ("either", end):
                return True
    return False


def assign(row: Any, **values: Any) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _at(ev: rec.Event) -> datetime:
    return ev.at
