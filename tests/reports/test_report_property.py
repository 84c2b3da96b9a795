"""Property: a report as of T from the full history equals the report from a database that only
ever saw the history up to T (as a sync at T would have stored it).

Random trains (statuses, flags, labels, sprint moves, links added/removed/re-added, duplicate
origins, ends outside the train, syncs and quarantine) are written twice: once complete, once
cut at T. Every report (dependencies with and without --all, blocked, flow) must come out
identical, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_world import World, at, report
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.orm import Session

from model.db import open_engine
from model.tables import Base

START = at("2026-01-05", "00:00")
STATUSES = ("To Do", "In Progress", "Blocked", "Done", "Reopened")
SPRINTS = (None, "1", "2", "3", "2,3")
LABELS = ("blocked", "Blocked", "frontend")


def random_world(rnd: random.Random) -> World:
    w = World()
    for sprint in ("1", "2", "3"):
        w.sprint("jira", sprint, "PI 1", int(sprint))
    keys: list[str] = []
    for n in range(rnd.randint(3, 9)):
        github = rnd.random() < 0.3
        key = f"acme/web#{n}" if github else f"A-{n}"
        created = START + timedelta(minutes=rnd.randint(0, 20 * 24 * 60))
        w.item(
            key, created, source="github" if github else "jira",
            team=rnd.choice(("Alpha", "Beta", None)), in_scope=rnd.random() < 0.85,
            sprint=rnd.choice(SPRINTS), labels=tuple(rnd.sample(LABELS[1:], rnd.randint(0, 1))),
        )  # fmt: skip
        _history(w, key, created, rnd)
        keys.append(key)
    for n in range(rnd.randint(0, 8)):
        blocker, blocked = rnd.sample(keys, 2)
        since = max(w.items[blocker].created, w.items[blocked].created)
        when = since + timedelta(minutes=rnd.randint(1, 10 * 24 * 60))
        outside = ("github", f"other/repo#{n}", f"https://github.com/other/repo/issues/{n}")
        end = outside if rnd.random() < 0.15 else blocker
        origin = rnd.choice(("jira_link", "text_reference", "github_dependency"))
        link = w.link(
            end, blocked, when, origin=origin, source="github" if origin != "jira_link" else "jira"
        )
        for _ in range(rnd.randint(0, 3)):
            when += timedelta(minutes=rnd.randint(1, 5 * 24 * 60))
            (w.unlink if link.changes[-1][1] == "added" else w.relink)(link, when)
    for n in range(rnd.randint(0, 4)):
        w.sync(rnd.choice(("jira", "github")), START + timedelta(hours=rnd.randint(0, 700)),
               census=rnd.choice((None, 5)), outcome=rnd.choice(("success", "failed")))  # fmt: skip
        w.quarantine.append(("jira", f"Q-{n}", "bad", START + timedelta(hours=rnd.randint(0, 700))))
    return w


def _history(w: World, key: str, created: datetime, rnd: random.Random) -> None:
    when = created
    spec = w.items[key]
    labels = set(spec.labels)
    for _ in range(rnd.randint(0, 8)):
        when += timedelta(minutes=rnd.randint(1, 4 * 24 * 60))
        state = spec.state(when)
        kind = rnd.choice(("status", "status", "flag", "label", "sprint"))
        if kind == "status":
            w.status(key, when, rnd.choice([s for s in STATUSES if s != state["status"]]))
        elif kind == "flag":
            if state["flagged"]:
                w.unflag(key, when)
            else:
                w.flag(key, when, reason=rnd.choice((None, "vendor", "<b>why</b>")))
        elif kind == "label":
            label = rnd.choice(LABELS)
            if label in labels:
                w.remove_label(key, when, label)
                labels.discard(label)
            else:
                w.add_label(key, when, label)
                labels.add(label)
        else:
            w.move_sprint(key, when, rnd.choice([s for s in SPRINTS if s != state["sprint"]]))


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture(params=["sqlite", "postgres"])
def two_databases(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Engine, Engine]]:
    """Two empty, migrated databases of one kind (emptied again by the test per example)."""
    if request.param == "sqlite":
        engines = [open_engine(f"sqlite:///{tmp_path / name}.db") for name in ("full", "cut")]
        yield engines[0], engines[1]
        for engine in engines:
            engine.dispose()
        return
    first = request.getfixturevalue("pg_schema_url")
    base = first.split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engines = [open_engine(first), open_engine(f"{base}?options=-csearch_path%3D{schema}")]
    try:
        yield engines[0], engines[1]
    finally:
        for engine in engines:
            engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**32 - 1), minutes=st.integers(0, 32 * 24 * 60))
def test_report_as_of_t_equals_report_of_history_up_to_t(
    two_databases: tuple[Engine, Engine], seed: int, minutes: int
) -> None:
    full, cut = two_databases
    world = random_world(random.Random(seed))
    t = START + timedelta(minutes=minutes)
    for engine, cutoff in ((full, None), (cut, t)):
        _clear(engine)
        with Session(engine) as session:
            world.write(session, cutoff)
    with Session(full) as a, Session(cut) as b:
        for name, extra in (
            ("dependencies", {}),
            ("dependencies", {"include_resolved": True}),
            ("blocked", {}),
            ("flow", {}),
        ):
            expected = report(b, name, t, **extra)
            assert report(a, name, t, **extra) == expected, (name, seed, t)
