"""A source's stored state as the engine and its connectors read it back, and the connector
memo they write: ``updated_at`` of stored items (what a connector may skip), link ends nothing
resolves yet, the in-scope count, the memo (ETags, discovered field ids, pass positions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from model import tables as t
from sync.resolve import CHUNK, chunks


def stored_updated(
    session: Session, source_id: int, tracker_ids: Sequence[str]
) -> dict[str, datetime]:
    """``updated_at`` of stored, non-missing items (what a connector can skip re-fetching)."""
    out: dict[str, datetime] = {}
    for chunk in chunks(list(tracker_ids), CHUNK):
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


def unresolved_keys(session: Session, kind: str) -> list[str]:
    """Keys of ``kind`` that stored link ends name and nothing stored resolves (see
    ``sync.resolve``): what a connector may look up (a transferred issue's old URL). All of
    them: the connector skips those it already asked about and caps how many it asks."""
    found: set[str] = set()
    for end in ("blocker", "blocked"):
        key_col = getattr(t.Link, f"{end}_key")
        found.update(
            session.scalars(
                select(key_col)
                .where(getattr(t.Link, f"{end}_item_id").is_(None))
                .where(getattr(t.Link, f"{end}_tracker") == kind)
                .distinct()
            )
        )
    return sorted(found)


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


def write_memo(session: Session, source_id: int, memo: Mapping[str, str | None] | None) -> None:
    """Store a page's connector memo entries (a value of None deletes the entry)."""
    if not memo:
        return
    rows = {
        r.key: r
        for r in session.scalars(
            select(t.ConnectorMemo).where(
                t.ConnectorMemo.source_id == source_id, t.ConnectorMemo.key.in_(list(memo))
            )
        )
    }
    for key, value in memo.items():
        row = rows.get(key)
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(t.ConnectorMemo(source_id=source_id, key=key, value=value))
        elif row.value != value:
            row.value = value
