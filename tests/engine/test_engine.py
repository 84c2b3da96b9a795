"""The engine's invariants, on SQLite and PostgreSQL, with a scripted connector.

Nothing lost, nothing doubled: idempotent reruns, resume after a failure at any page, cursor
rules, link history and reconciliation, census, one writer per source, secrets never shown.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from connectors import base as rec
from connectors.errors import AuthError
from model import tables as t
from sync.errors import RunError, SourceLocked
from tests.engine.scripted import (
    T0,
    Clock,
    Script,
    item,
    make_config,
    make_engine,
    ref,
    snapshot,
)


def blocks(key: str, blocker: rec.ItemRef, blocked: rec.ItemRef, **kw: object) -> rec.Link:
    return rec.Link(link_key=key, origin="jira_link", blocker=blocker, blocked=blocked, **kw)  # type: ignore[arg-type]


def three_pages() -> list[rec.Page]:
    return [
        rec.Page(
            items=[
                item("1", "CHK-1", updated=T0 - timedelta(hours=3)),
                item("2", "PAY-2", updated=T0 - timedelta(hours=2)),
            ],
            links=[
                blocks(
                    "L1", ref("PAY-2", "2"), ref("CHK-1", "1"), created_at=T0 - timedelta(days=2)
                )
            ],
            link_scopes=[rec.LinkScope("1", "jira_link"), rec.LinkScope("2", "jira_link")],
            events=[rec.Event("1:h1:0", "1", T0 - timedelta(days=3), "status", "To Do", "Blocked")],
            cursor=T0 - timedelta(hours=2),
        ),
        rec.Page(
            items=[item("3", "CHK-3", updated=T0 - timedelta(hours=1), parent=ref("CHK-1"))],
            links=[blocks("L2", ref("CHK-9"), ref("CHK-3", "3"))],
            link_scopes=[rec.LinkScope("3", "jira_link")],
            cursor=T0 - timedelta(hours=1),
        ),
        rec.Page(
            items=[item("9", "CHK-9", updated=T0 - timedelta(minutes=30))],
            quarantined=[rec.Quarantined("CHK-10", "fields.updated: not a date: 'yesterday'")],
            cursor=T0 - timedelta(minutes=30),
        ),
    ]


@pytest.fixture
def setup(tmp_path: Path, db_url: str, engine: Engine) -> tuple[Path, str, Engine]:
    return tmp_path, db_url, engine


def test_pages_are_stored_with_teams_links_events_and_cursor(
    setup: tuple[Path, str, Engine],
) -> None:
    tmp_path, url, db = setup
    config = make_config(tmp_path, url)
    script = Script(pages=three_pages())
    clock = Clock(T0)
    [result] = make_engine(config, db, {"jira": script}, clock).sync("jira")
    assert (result.outcome, result.pages, result.items, result.quarantined) == ("success", 3, 4, 1)
    assert result.cursor == T0  # a successful run completes at its start time
    with Session(db) as s:
        items = {i.key: i for i in s.scalars(select(t.WorkItem))}
        teams = {tm.id: tm.name for tm in s.scalars(select(t.Team))}
        assert {k: teams.get(i.team_id) for k, i in items.items()} == {  # type: ignore[arg-type]
            "CHK-1": "Checkout",
            "PAY-2": "Payments",
            "CHK-3": "Checkout",
            "CHK-9": "Checkout",
        }
        assert items["CHK-3"].parent_id == items["CHK-1"].id
        links = {ln.link_key: ln for ln in s.scalars(select(t.Link))}
        # L2 named CHK-9 before CHK-9 arrived (page 3): resolved when it did
        assert links["L2"].blocker_item_id == items["CHK-9"].id
        assert links["L1"].created_at == T0 - timedelta(days=2)
        assert links["L1"].created_from_history
        assert links["L2"].created_at == T0
        assert not links["L2"].created_from_history
        link_events = s.scalars(select(t.Event).where(t.Event.field == "link")).all()
        assert sorted((e.to_value, e.at) for e in link_events) == [
            ("added", T0 - timedelta(days=2)),
            ("added", T0),
        ]
        quarantined = s.scalars(select(t.QuarantinedRecord)).one()
        assert (quarantined.tracker_key, quarantined.run_id) == ("CHK-10", result.run_id)
        run = s.get(t.SyncRun, result.run_id)
        assert run is not None
        assert (run.items_written, run.links_written, run.quarantined, run.api_requests) == (
            4,
            2,
            1,
            3,
        )


def test_second_sync_changes_nothing(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    config = make_config(tmp_path, url)
    script = Script(pages=three_pages())
    engine = make_engine(config, db, {"jira": script})
    engine.sync("jira")
    first = snapshot(db)
    [again] = engine.sync("jira")
    assert snapshot(db) == first
    assert (again.items, again.links, again.events) == (0, 0, 0)
    # the second run reads from the cursor minus the lookback
    assert script.requests[1].since == T0 - timedelta(minutes=15)


@pytest.mark.parametrize(
    "fail_after", [0, 1, 2], ids=["before-page-1", "after-page-1", "after-page-2"]
)
def test_resume_after_failure_at_any_page_equals_uninterrupted(
    tmp_path: Path, db_url: str, engine: Engine, fail_after: int, request: pytest.FixtureRequest
) -> None:
    config = make_config(tmp_path, db_url)
    script = Script(pages=three_pages(), fail_after=fail_after)
    sync = make_engine(config, engine, {"jira": script})
    with pytest.raises(RunError, match="sync of source jira failed: ConnectionResetError"):
        sync.sync("jira")
    with Session(engine) as s:
        state = s.get(t.SyncState, (1, "incremental"))
        expected_cursor = three_pages()[fail_after - 1].cursor if fail_after else None
        assert (state.cursor if state else None) == expected_cursor
        run = s.scalars(select(t.SyncRun)).one()
        assert (run.outcome, run.pages) == ("failed", fail_after)
    script.fail_after = None
    sync.sync("jira")
    resumed = snapshot(engine)

    fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    from model.db import open_engine

    fresh = open_engine(fresh_url)
    make_engine(
        make_config(tmp_path, fresh_url), fresh, {"jira": Script(pages=three_pages())}
    ).sync("jira")
    assert resumed == snapshot(fresh)
    fresh.dispose()


def test_cursor_never_passes_the_sync_start(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    future = T0 + timedelta(days=365)
    script = Script(
        pages=[rec.Page(items=[item("1", "CHK-1", updated=future)], cursor=future), rec.Page()],
        fail_after=1,
    )
    with pytest.raises(RunError):
        make_engine(make_config(tmp_path, url), db, {"jira": script}).sync("jira")
    with Session(db) as s:
        assert s.get(t.SyncState, (1, "incremental")).cursor == T0  # type: ignore[union-attr]


def test_backfill_window_never_moves_the_incremental_cursor(
    setup: tuple[Path, str, Engine],
) -> None:
    tmp_path, url, db = setup
    config = make_config(tmp_path, url)
    clock = Clock(T0)
    script = Script(pages=three_pages())
    engine = make_engine(config, db, {"jira": script}, clock)
    engine.sync("jira")
    clock.tick(hours=1)
    since, until = T0 - timedelta(days=30), T0 - timedelta(days=1)
    result = engine.backfill("jira", since, until)
    assert result.outcome == "success"
    with Session(db) as s:
        assert s.get(t.SyncState, (1, "incremental")).cursor == T0  # type: ignore[union-attr]
        back = s.get(t.SyncState, (1, "backfill"))
        assert back is not None
        assert back.window == f"{since.isoformat()}..{until.isoformat()}"
    request = script.requests[-1]
    assert (request.mode, request.since, request.until, request.census, request.full_sweep) == (
        "backfill",
        since,
        until,
        False,
        False,  # a window is a slice: no census, no sweep of the whole scope
    )


def test_links_closed_by_scope_use_history_time_and_reopen_as_new_episode(
    setup: tuple[Path, str, Engine],
) -> None:
    tmp_path, url, db = setup
    clock = Clock(T0)
    script = Script(pages=three_pages())
    engine = make_engine(make_config(tmp_path, url), db, {"jira": script}, clock)
    engine.sync("jira")
    removed = T0 + timedelta(minutes=5)
    clock.tick(hours=1)
    script.pages = [
        rec.Page(
            items=[item("1", "CHK-1", updated=removed), item("2", "PAY-2", updated=removed)],
            link_scopes=[rec.LinkScope("1", "jira_link"), rec.LinkScope("2", "jira_link")],
            events=[
                rec.Event(
                    "2:h9:0",
                    "2",
                    removed,
                    "link",
                    None,
                    "removed",
                    link_key="L1",
                    link_origin="jira_link",
                )
            ],
        )
    ]
    engine.sync("jira")
    with Session(db) as s:
        link = s.scalars(select(t.Link).where(t.Link.link_key == "L1")).one()
        assert link.removed_at == removed
    clock.tick(hours=1)
    readded = clock.now - timedelta(minutes=1)
    script.pages = [
        rec.Page(
            items=[item("1", "CHK-1", updated=readded)],
            links=[blocks("L1", ref("PAY-2", "2"), ref("CHK-1", "1"), created_at=readded)],
            link_scopes=[rec.LinkScope("1", "jira_link")],
        )
    ]
    engine.sync("jira")
    with Session(db) as s:
        link = s.scalars(select(t.Link).where(t.Link.link_key == "L1")).one()
        assert (link.created_at, link.removed_at) == (readded, None)
        history = s.execute(
            select(t.Event.to_value, t.Event.at)
            .where(t.Event.link_id == link.id, t.Event.field == "link")
            .order_by(t.Event.at)
        ).all()
        # the tracker's own removal event and the engine's closing event agree on the time
        assert [tuple(h) for h in history] == [
            ("added", T0 - timedelta(days=2)),
            ("removed", removed),
            ("removed", removed),
            ("added", readded),
        ]


def test_cross_tracker_link_resolves_in_either_order(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    config = make_config(tmp_path, url)
    gh_ref = rec.ItemRef(
        tracker="github", key="acme/pay#7", url="https://github.com/acme/pay/issues/7"
    )
    jira = Script(
        pages=[
            rec.Page(
                items=[item("1", "CHK-1")],
                links=[
                    rec.Link("RL1", "jira_remote_link", blocker=gh_ref, blocked=ref("CHK-1", "1"))
                ],
            )
        ]
    )
    github = Script(pages=[rec.Page(items=[item("700", "acme/pay#7", tracker="github")])])
    engine = make_engine(config, db, {"jira": jira, "github": github})
    engine.sync("jira")
    with Session(db) as s:
        assert s.scalars(select(t.Link)).one().blocker_item_id is None
    engine.sync("github")
    with Session(db) as s:
        link = s.scalars(select(t.Link)).one()
        gh = s.scalars(select(t.WorkItem).where(t.WorkItem.key == "acme/pay#7")).one()
        assert link.blocker_item_id == gh.id
        assert s.get(t.Team, gh.team_id).name == "Payments"  # type: ignore[union-attr]


def test_census_marks_vanished_items_missing_and_back(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    clock = Clock(T0)
    script = Script(
        pages=[
            rec.Page(
                items=[item("1", "CHK-1"), item("2", "CHK-2")],
                census=rec.Census(("1", "2"), complete=True),
            )
        ]
    )
    engine = make_engine(make_config(tmp_path, url), db, {"jira": script}, clock)
    engine.sync("jira")
    assert script.requests[0].census  # the first sync always takes a census
    clock.tick(hours=7)  # census_hours defaults to 6
    script.pages = [rec.Page(census=rec.Census(("1",), complete=True))]
    engine.sync("jira")
    assert script.requests[1].census
    with Session(db) as s:
        gone = s.scalars(select(t.WorkItem).where(t.WorkItem.key == "CHK-2")).one()
        assert (gone.missing, gone.missing_reason, gone.missing_since) == (
            True,
            "not in census",
            clock.now,
        )
    clock.tick(hours=1)
    script.pages = [rec.Page(census=rec.Census(("1", "2"), complete=True))]
    engine.sync("jira", full_sweep=True)
    assert not script.requests[2].census
    assert script.requests[2].full_sweep
    clock.tick(hours=6)
    engine.sync("jira")
    with Session(db) as s:
        back = s.scalars(select(t.WorkItem).where(t.WorkItem.key == "CHK-2")).one()
        assert (back.missing, back.missing_reason) == (False, None)


def test_moves_and_deletions_keep_history(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    script = Script(
        pages=[
            rec.Page(
                items=[item("1", "CHK-1"), item("2", "CHK-2")],
                events=[rec.Event("1:h:0", "1", T0, "status", "To Do", "Done")],
            )
        ]
    )
    engine = make_engine(make_config(tmp_path, url), db, {"jira": script})
    engine.sync("jira")
    script.pages = [
        rec.Page(
            items=[item("1", "PAY-1", updated=T0 + timedelta(seconds=1))],
            gone=[rec.Gone("2", "HTTP 410: deleted")],
        )
    ]
    engine.sync("jira")
    with Session(db) as s:
        moved = s.scalars(select(t.WorkItem).where(t.WorkItem.tracker_id == "1")).one()
        assert moved.key == "PAY-1"
        assert s.get(t.Team, moved.team_id).name == "Payments"  # type: ignore[union-attr]
        assert s.scalars(select(t.Event)).one().item_id == moved.id
        deleted = s.scalars(select(t.WorkItem).where(t.WorkItem.tracker_id == "2")).one()
        assert (deleted.missing, deleted.missing_reason) == (True, "HTTP 410: deleted")


def test_memo_is_stored_with_its_page_and_read_back(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    script = Script(
        pages=[
            rec.Page(memo={"fields": '{"sprint": "customfield_10020"}'}),
            rec.Page(memo={"etag:1": 'W/"abc"'}),
        ],
        fail_after=1,
    )
    engine = make_engine(make_config(tmp_path, url), db, {"jira": script})
    with pytest.raises(RunError):
        engine.sync("jira")
    script.fail_after = None
    script.pages = [rec.Page(memo={"fields": None})]
    engine.sync("jira")
    assert script.requests[1].memo == {"fields": '{"sprint": "customfield_10020"}'}
    with Session(db) as s:
        assert s.scalars(select(t.ConnectorMemo)).all() == []


def test_second_writer_is_refused_with_holder(setup: tuple[Path, str, Engine]) -> None:
    tmp_path, url, db = setup
    config = make_config(tmp_path, url)
    engine = make_engine(config, db, {"jira": Script(pages=three_pages())})
    engine.sync("jira")  # creates the source rows
    holder = make_engine(config, db, {"jira": Script()})
    from sync.lock import source_lock

    with (
        source_lock(db, 1, "jira"),
        pytest.raises(
            SourceLocked,
            match=rf"source jira is being synced by pid {os.getpid()} "
            rf"on host {socket.gethostname()} since \d{{4}}-",
        ),
    ):
        holder.sync("jira")
    holder.sync("jira")  # released


def test_stale_sqlite_lock_of_a_dead_process_is_taken_over(tmp_path: Path, sqlite_url: str) -> None:
    from model.db import open_engine

    db = open_engine(sqlite_url)
    config = make_config(tmp_path, sqlite_url)
    engine = make_engine(config, db, {"jira": Script(pages=three_pages())})
    engine.sync("jira")
    with db.begin() as conn:
        conn.execute(
            insert(t.SyncLock).values(
                source_id=1, pid=2**22 + 12345, host=socket.gethostname(), since=T0
            )
        )
    [result] = engine.sync("jira")
    assert result.outcome == "success"
    db.dispose()


def test_fatal_connector_error_ends_run_with_one_line_and_no_secret(
    setup: tuple[Path, str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path, url, db = setup
    monkeypatch.setenv("JIRA_TOKEN", "s3cr3t-token-value")
    path = tmp_path / "trainyard.toml"
    path.write_text(path.read_text() if path.exists() else "")
    config = make_config(tmp_path, url)
    import dataclasses

    src = config.sources[0]
    config = dataclasses.replace(
        config,
        sources=(
            dataclasses.replace(
                src, settings=dataclasses.replace(src.settings, token_env="JIRA_TOKEN")
            ),
            config.sources[1],
        ),
    )
    script = Script(
        pages=three_pages(),
        fail_after=1,
        error=AuthError("401 from /rest/api/3/myself with token s3cr3t-token-value"),
    )
    with pytest.raises(RunError) as failure:
        make_engine(config, db, {"jira": script}).sync("jira")
    message = str(failure.value)
    assert "s3cr3t" not in message
    assert "\n" not in message
    assert message == "sync of source jira failed: 401 from /rest/api/3/myself with token ***"
    with Session(db) as s:
        run = s.scalars(select(t.SyncRun)).one()
        assert run.outcome == "failed"
        assert "s3cr3t" not in (run.error or "")
        state = s.get(t.SyncState, (1, "incremental"))
        assert state is not None
        assert state.last_error == run.error


def test_interrupted_run_is_marked_when_the_next_run_starts(
    setup: tuple[Path, str, Engine],
) -> None:
    tmp_path, url, db = setup
    engine = make_engine(make_config(tmp_path, url), db, {"jira": Script(pages=three_pages())})
    engine.sync("jira")
    with db.begin() as conn:
        conn.execute(
            insert(t.SyncRun).values(
                source_id=1,
                mode="incremental",
                started_at=T0,
                outcome="running",
                pages=0,
                items_written=0,
                links_written=0,
                events_written=0,
                api_requests=0,
                quarantined=0,
            )
        )
    engine.sync("jira")
    with Session(db) as s:
        outcomes = sorted(r.outcome for r in s.scalars(select(t.SyncRun)))
    assert outcomes == ["interrupted", "success", "success"]


def test_history_episode_closes_the_live_row_instead_of_storing_a_twin(
    setup: tuple[Path, str, Engine],
) -> None:
    """Jira's changelog names a removed link by its ends, not its id: the closed episode it
    describes is the live link stored earlier, closed at the tracker's removal time."""
    tmp_path, url, db = setup
    clock = Clock(T0)
    added = T0 - timedelta(days=2)
    script = Script(pages=three_pages())
    engine = make_engine(make_config(tmp_path, url), db, {"jira": script}, clock)
    engine.sync("jira")
    clock.tick(hours=2)
    removed = T0 + timedelta(minutes=30)
    script.pages = [
        rec.Page(
            items=[item("2", "PAY-2", updated=removed)],
            links=[
                blocks(
                    "history:2:h7:0",
                    ref("PAY-2", "2"),
                    ref("CHK-1"),
                    created_at=added,
                    removed_at=removed,
                )
            ],
            link_scopes=[rec.LinkScope("2", "jira_link")],
            events=[
                rec.Event(
                    "2:h7:0",
                    "2",
                    removed,
                    "link",
                    None,
                    "removed",
                    link_key="history:2:h7:0",
                    link_origin="jira_link",
                ),
            ],
        )
    ]
    engine.sync("jira")
    engine.sync("jira")  # idempotent
    with Session(db) as s:
        rows = s.scalars(select(t.Link).where(t.Link.blocked_key == "CHK-1")).all()
        assert [(r.link_key, r.created_at, r.removed_at) for r in rows] == [("L1", added, removed)]
        events = s.execute(
            select(t.Event.to_value, t.Event.at)
            .where(t.Event.link_id == rows[0].id)
            .order_by(t.Event.at, t.Event.event_key)
        ).all()
        assert [tuple(e) for e in events] == [
            ("added", added),
            ("removed", removed),
            ("removed", removed),
        ]
