"""The history marks of current-state-first loads (``work_items.history_pending``).

A connector that stores items before their history (GitHub's first pass defers timelines)
says so per page (``Page.history_deferred``), and later which items' history is in
(``Page.history_read``). The mark is stored with the page's records, in the same transaction,
so a resumed run asks again for exactly what is still missing. Reports show a pending item's
dates as provisional.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from model import tables as t

CHUNK = 500


def mark_history(
    session: Session, source_id: int, deferred: Sequence[str], read: Sequence[str]
) -> None:
    """Set the mark on items stored without history, clear it on those whose history is in."""
    done = set(read)
    for flag, ids in ((True, [i for i in deferred if i not in done]), (False, list(done))):
        for start in range(0, len(ids), CHUNK):
            session.execute(
                update(t.WorkItem)
                .where(
                    t.WorkItem.source_id == source_id,
                    t.WorkItem.tracker_id.in_(ids[start : start + CHUNK]),
                    t.WorkItem.history_pending.is_(not flag),
                )
                .values(history_pending=flag)
            )


def history_pending(session: Session, source_id: int, limit: int) -> list[tuple[str, str]]:
    """Up to ``limit`` items (tracker id, key) still waiting for their history, the most
    recently updated first: the items a board shows are the ones worth dating first."""
    rows = session.execute(
        select(t.WorkItem.tracker_id, t.WorkItem.key)
        .where(
            t.WorkItem.source_id == source_id,
            t.WorkItem.history_pending.is_(True),
            t.WorkItem.missing.is_(False),
        )
        .order_by(t.WorkItem.updated_at.desc(), t.WorkItem.id)
        .limit(limit)
    ).all()
    return [(str(tracker_id), str(key)) for tracker_id, key in rows]
