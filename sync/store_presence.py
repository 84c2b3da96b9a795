"""Where a source's items are: census pages, moves, deletions, and quarantined records.

Part of storing one page (``sync.store.PageStore``), in the caller's transaction. A census page
marks the items it lists (and brings back those it had marked missing); the page that completes
a census marks every unlisted in-scope item missing, its history kept. A move renames the item
(its old key becomes an alias) or, out of scope, marks it moved; a ``Gone`` marks it missing
with the tracker's reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from sync.resolve import CHUNK, Resolver, chunks, norm_key
from sync.store_context import StoreContext


class PresenceStore:
    def __init__(self, session: Session, ctx: StoreContext, resolver: Resolver) -> None:
        self.s = session
        self.ctx = ctx
        self.src_id = ctx.source.id
        self.kind = ctx.source.kind
        self.resolver = resolver

    def census(self, census: rec.Census | None) -> int:
        """Apply one census page; returns how many ids it listed."""
        if census is None:
            return 0
        for chunk in chunks(list(census.tracker_ids), CHUNK):
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
        return len(census.tracker_ids)

    def moves_and_gone(self, moves: Sequence[rec.Move], gone: Sequence[rec.Gone]) -> None:
        renamed: list[tuple[int, str, datetime | None]] = []
        for move in moves:
            row = self.s.scalar(
                select(t.WorkItem).where(
                    t.WorkItem.source_id == self.src_id, t.WorkItem.tracker_id == move.tracker_id
                )
            )
            if row is None:
                continue
            new_key = norm_key(self.kind, move.new_key) if move.new_key else row.key
            if new_key != row.key:  # the issue at its new place; the old key is an alias
                renamed.append((row.id, row.key, None))
                row.key, row.url = new_key, move.new_url or row.url
            moved_to = move.new_url or move.new_key
            if row.moved_to is None or row.moved_to != moved_to:
                row.moved_to, row.missing, row.missing_since = moved_to, True, self.ctx.now
                row.missing_reason = "moved"
        if renamed:
            self.s.flush()
            self.resolver.learn(renamed)
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


def quarantine(
    session: Session, source_id: int, ctx: StoreContext, records: Sequence[rec.Quarantined]
) -> int:
    """Keep the records a connector could not read (``status`` counts them); how many."""
    for q in records:
        session.add(
            t.QuarantinedRecord(
                source_id=source_id,
                run_id=ctx.run_id,
                tracker_key=q.key[:300],
                reason=q.reason,
                at=ctx.now,
            )
        )
    return len(records)
