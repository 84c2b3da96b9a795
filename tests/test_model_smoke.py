"""The schema migrates and an aware datetime round-trips on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.tables import Source, WorkItem


def test_work_item_round_trips_aware_utc(session: Session) -> None:
    src = Source(name="jira", kind="jira", url="https://x")
    session.add(src)
    session.flush()
    berlin = timezone(timedelta(hours=1))
    created = datetime(2026, 10, 5, 9, 30, tzinfo=berlin)
    session.add(WorkItem(source_id=src.id, tracker_id="10001", key="CHK-1", created_at=created,
                         updated_at=created, first_seen_at=created, last_seen_at=created,
                         labels=["blocked", "ä"]))
    session.commit()
    session.expunge_all()
    item = session.scalars(select(WorkItem)).one()
    assert item.created_at == datetime(2026, 10, 5, 8, 30, tzinfo=UTC)
    assert item.created_at.tzinfo is UTC
    assert item.labels == ["blocked", "ä"]
