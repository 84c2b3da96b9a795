"""Stalled work end to end: the real Jira connector and engine against the loopback fake, then
``reports.stalled`` on what they stored.

The fake's generated history lies before its anchor (two days before now) and is written by
its people; changes made through the fake's API are by "Test User". A link added today is
not activity; a bot's status change is not either.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from model import tables as t
from model.db import open_engine
from reports.stalled import stalled_items
from reports.state import ReportContext
from sync.sandbox.jira import FakeJira, ms
from tests.e2e.test_jira_e2e import Clock, clock, cloud_fake, make

__all__ = ["clock", "cloud_fake"]  # fixtures, used by name


def test_stalled_items_from_a_real_sync(
    tmp_path: Path,
    cloud_fake: FakeJira,
    sqlite_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = cloud_fake
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    item = fake.resolve("CHK-2")
    other = fake.resolve("PAY-3")
    assert item
    assert other
    fake.update(item, status="In Progress", at=ms(clock.now - timedelta(hours=3)))
    fake.add_link(other, item, at=ms(clock.now - timedelta(hours=1)))  # link-only
    assert engine.sync("jira")[0].outcome == "success"
    with Session(db) as session:
        status = session.scalars(
            select(t.Event)
            .join(t.WorkItem, t.WorkItem.id == t.Event.item_id)
            .where(t.WorkItem.key == "CHK-2", t.Event.field == "status")
            .order_by(t.Event.at.desc())
        ).first()
        assert status is not None
        assert (status.to_value, status.author_name) == ("In Progress", "Test User")
        ctx = ReportContext(
            train="Payments ART", as_of=clock.now, now=clock.now, stalled_days=1, sources=("jira",)
        )
        by_people = {s.item.key: s for s in stalled_items(session, ctx)}
        assert "CHK-2" not in by_people  # its status changed three hours ago
        bots = ReportContext(
            train="Payments ART",
            as_of=clock.now,
            now=clock.now,
            stalled_days=1,
            bots=("test user",),  # case-insensitive
            sources=("jira",),
        )
        by_bots = {s.item.key: s for s in stalled_items(session, bots)}
    stalled = by_bots["CHK-2"]  # the bot's change and the new link do not count
    assert stalled.last_activity_at <= clock.now - timedelta(days=2)
    assert stalled.item.status == "In Progress"
    assert set(by_people) <= set(by_bots)
    assert all(s.item.status_category == "in_progress" for s in by_bots.values())
