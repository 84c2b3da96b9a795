"""End to end: the real engine and the real Jira connector against the loopback fake Jira.

The invariants of issue 3: nothing lost, nothing doubled. Two syncs in a row change nothing the
second time; a run killed at any page and rerun ends in the database of an uninterrupted run; a
future cursor yields nothing; a backfill window leaves the incremental cursor alone; deletions
mark items missing and back; moves keep the item; 429/5xx/reset/timeout storms lose nothing;
API users in UTC-8, UTC+5:30 and UTC+14 miss no update, also in the cursor's own minute.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from model import tables as t
from model.db import open_engine
from sync.config import Config, load
from sync.engine import SyncEngine
from sync.errors import RunError
from sync.sandbox.jira import IN_SCOPE, FakeJira, ms
from tests.engine.scripted import snapshot

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, 0, 30, tzinfo=UTC)

CONFIG = """
[database]
url = "{db}"
[train]
name = "Payments ART"
timezone = "Europe/Berlin"
[[train.teams]]
name = "Checkout"
jira_projects = ["CHK"]
[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
[[train.teams]]
name = "Platform"
jira_projects = ["PLAT", "MOB", "SRCH"]
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "jira"
kind = "jira"
url = "{url}"
token_env = "E2E_JIRA_TOKEN"
{user}
projects = {projects}
blocks_link_types = ["Blocks", "Dependency"]
{extra}
[sync]
lookback_minutes = {lookback}
request_timeout_seconds = 2
max_retries = 6
"""


class Clock:
    """One clock for the engine and the fake, so "now" is the same on both sides."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def ms(self) -> int:
        return ms(self.now)

    def tick(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def start_fake(clock: Clock, **kw: Any) -> FakeJira:
    fake = FakeJira(clock=clock.ms, anchor=NOW - timedelta(days=2), **kw)
    return fake.start()


@pytest.fixture(params=["cloud", "dc"])
def fake(request: pytest.FixtureRequest, clock: Clock) -> Iterator[FakeJira]:
    server = start_fake(clock, issues=150, cloud=request.param == "cloud")
    yield server
    server.stop()


@pytest.fixture
def cloud_fake(clock: Clock) -> Iterator[FakeJira]:
    server = start_fake(clock, issues=150)
    yield server
    server.stop()


def write_config(
    tmp_path: Path, fake: FakeJira, db_url: str, lookback: int = 15, extra: str = ""
) -> Path:
    """``extra``: more keys for the Jira source's table (``"concurrency = 2"``)."""
    path = tmp_path / "trainyard.toml"
    user = 'user_env = "E2E_JIRA_USER"' if fake.cloud else ""
    projects = "[" + ", ".join(f'"{p}"' for p in IN_SCOPE) + "]"
    text = CONFIG.format(
        db=db_url, url=fake.url, user=user, projects=projects, lookback=lookback, extra=extra
    )
    path.write_text(text)
    return path


def make(
    tmp_path: Path,
    fake: FakeJira,
    db_url: str,
    db: Engine,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    lookback: int = 15,
    extra: str = "",
) -> SyncEngine:
    monkeypatch.setenv("E2E_JIRA_TOKEN", fake.token)
    monkeypatch.setenv("E2E_JIRA_USER", fake.email)
    config: Config = load(write_config(tmp_path, fake, db_url, lookback, extra))
    return SyncEngine(config, db, clock=clock, sleeper=lambda s: None)


def fresh(
    name: str, tmp_path: Path, fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> tuple[Engine, SyncEngine]:
    """A new SQLite database of its own and an engine syncing the fake into it."""
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    db = open_engine(url)
    return db, make(tmp_path, fake, url, db, clock, monkeypatch)


def items(db: Engine) -> dict[str, t.WorkItem]:
    with Session(db) as s:
        return {i.tracker_id: i for i in s.scalars(select(t.WorkItem))}


def cursor(db: Engine, mode: str = "incremental") -> datetime | None:
    with Session(db) as s:
        state = s.scalars(select(t.SyncState).where(t.SyncState.mode == mode)).first()
        return state.cursor if state else None


def no_census_due(db: Engine, clock: Clock) -> None:
    """Make the next incremental run a plain one (the census runs on its own schedule)."""
    with Session(db) as s, s.begin():
        s.execute(update(t.SyncState).values(last_success_at=clock.now))


# --------------------------------------------------------------------------------------------


def test_backfill_then_sync_changes_nothing_and_costs_few_requests(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    first = engine.sync("jira")[0]
    assert first.outcome == "success"
    assert first.items > 100
    assert first.links > 5
    before = snapshot(db)
    clock.tick(minutes=5)
    no_census_due(db, clock)
    fake.requests.clear()
    second = engine.sync("jira")[0]
    assert snapshot(db) == before
    assert second.items == 0
    # serverInfo + one census page (Cloud) / one search page (DC): no field discovery (memo)
    assert len(fake.requests) <= 3, [r.path for r in fake.requests]
    assert fake.count("/field") == 0


def test_records_come_from_history(
    tmp_path: Path,
    cloud_fake: FakeJira,
    sqlite_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = cloud_fake
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    blocker, blocked = fake.resolve("CHK-2"), fake.resolve("PAY-3")
    assert blocker
    assert blocked
    link_at = clock.now - timedelta(hours=5)
    link_id = fake.add_link(blocker, blocked, at=ms(link_at))
    fake.flag(blocked, "Waiting for the PSP sandbox", at=ms(link_at + timedelta(minutes=1)))
    gh = fake.add_remote_link(
        blocked,
        "https://github.com/acme/payments-api/issues/77",
        "is blocked by",
        at=ms(link_at + timedelta(minutes=2)),
    )
    engine.sync("jira")
    stored = items(db)
    with Session(db) as s:
        links = {ln.link_key: ln for ln in s.scalars(select(t.Link))}
        events = s.scalars(select(t.Event)).all()
    mine = links[str(link_id)]
    assert (mine.blocker_key, mine.blocked_key) == ("CHK-2", "PAY-3")
    assert mine.created_at == link_at
    assert mine.created_from_history
    item = stored[str(blocked)]
    assert item.flagged
    assert item.flag_reason == "Waiting for the PSP sandbox"
    flag_events = [e for e in events if e.field == "flagged" and e.item_id == item.id]
    assert flag_events[-1].detail == "Waiting for the PSP sandbox"
    remote = links[f"{blocked}:{gh}"]
    assert (remote.origin, remote.blocker_key, remote.blocked_key) == (
        "jira_remote_link",
        "acme/payments-api#77",
        "PAY-3",
    )
    # every generated Blocks link whose both ends are in the data set is stored, oriented
    for rec in fake.links.values():
        if rec.type == "Relates":
            assert str(rec.id) not in links  # not a dependency type
            continue
        if rec.removed is not None or str(rec.id) not in links:
            continue
        row = links[str(rec.id)]
        outward, inward = fake.key_of(rec.outward), fake.key_of(rec.inward)
        expected = (outward, inward) if rec.type == "Blocks" else (inward, outward)
        assert (row.blocker_key, row.blocked_key) == expected
        assert row.created_at == datetime.fromtimestamp(rec.added / 1000, tz=UTC)
    # removed links became history-only rows with both ends of their episode
    episodes = [ln for ln in links.values() if ln.link_key.startswith("history:")]
    assert episodes
    assert all(ln.removed_at and ln.removed_at > ln.created_at for ln in episodes)
    outside = [i for i in stored.values() if not i.in_scope]
    assert outside
    assert all(i.key.startswith("SEC-") for i in outside)
    assert all(i.in_scope for i in stored.values() if i.key.split("-")[0] in IN_SCOPE)
    statuses = [e for e in events if e.field == "status"]
    assert statuses
    assert all(e.to_value for e in statuses)
    assert any(e.field == "sprint" for e in events)
    assert any(e.field == "parent" for e in events)


# (the bulk reads of 125 issues: two pages, then one read of the outside issues both link to;
# until issue 10 §5's second round each page read its own outside issues, so 1, 2, 3 here)
@pytest.mark.parametrize("fail_at", [0, 1, 2])
def test_resume_after_a_failure_at_any_page_gives_the_same_database(
    tmp_path: Path, fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    whole_db, whole = fresh("whole", tmp_path, fake, clock, monkeypatch)
    whole.sync("jira")
    expected = snapshot(whole_db)

    db, engine = fresh("resumed", tmp_path, fake, clock, monkeypatch)
    path = "/issue/bulkfetch" if fake.cloud else "/rest/api/2/search"
    fake.fault("status", path=path, status=500, after=fail_at, times=-1)
    with pytest.raises(RunError, match="HTTP 500"):
        engine.sync("jira")
    fake.clear_faults()
    partial = items(db)
    assert len(partial) < len(items(whole_db))
    engine.sync("jira")
    assert snapshot(db) == expected


def test_kill_9_of_a_real_sync_process_then_rerun(
    tmp_path: Path, cloud_fake: FakeJira, clock: Clock
) -> None:
    """A real ``trainyard sync`` in a subprocess, killed with SIGKILL mid-run, then rerun."""
    fake = cloud_fake
    env = {**os.environ, "E2E_JIRA_TOKEN": fake.token, "E2E_JIRA_USER": fake.email}
    whole_url = f"sqlite:///{tmp_path / 'whole.db'}"
    killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
    cli = [sys.executable, "-m", "sync.cli", "sync", "--config"]
    (tmp_path / "w").mkdir()
    (tmp_path / "k").mkdir()
    whole_cfg = write_config(tmp_path / "w", fake, whole_url)
    killed_cfg = write_config(tmp_path / "k", fake, killed_url)
    subprocess.run([*cli, str(whole_cfg)], env=env, cwd=ROOT, check=True, capture_output=True)

    fake.requests.clear()
    fake.fault("slow", path="/issue/bulkfetch", after=1, times=-1, delay=0.6)
    proc = subprocess.Popen(
        [*cli, str(killed_cfg)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while fake.count("/issue/bulkfetch") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    fake.clear_faults()
    assert proc.returncode == -signal.SIGKILL
    subprocess.run([*cli, str(killed_cfg)], env=env, cwd=ROOT, check=True, capture_output=True)

    def essence(url: str) -> dict[str, Any]:
        db = open_engine(url)
        with Session(db) as s:
            got = {
                "items": sorted(
                    (
                        i.tracker_id,
                        i.key,
                        i.status,
                        i.updated_at,
                        i.flagged,
                        i.in_scope,
                        i.sprint_id is not None,
                        i.parent_key,
                    )
                    for i in s.scalars(select(t.WorkItem))
                ),
                "links": sorted(
                    (ln.link_key, ln.blocker_key, ln.blocked_key, ln.created_at, ln.removed_at)
                    for ln in s.scalars(select(t.Link))
                ),
                "events": sorted(
                    (e.event_key, e.at, e.to_value)
                    for e in s.scalars(select(t.Event))
                    if not e.event_key.startswith("synth")
                ),
            }
        db.dispose()
        return got

    assert essence(killed_url) == essence(whole_url)


def test_future_cursor_yields_nothing(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    engine.sync("jira")
    before = snapshot(db)
    with Session(db) as s, s.begin():
        s.execute(
            update(t.SyncState)
            .where(t.SyncState.mode == "incremental")
            .values(cursor=clock.now + timedelta(days=30))
        )
    no_census_due(db, clock)
    fake.update("CHK-2", status="Done", at=clock.ms() - 60_000)  # before the future cursor
    result = engine.sync("jira")[0]
    assert result.items == 0
    assert snapshot(db) == before


def test_backfill_window_leaves_the_incremental_cursor_alone(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    engine.sync("jira")
    incremental = cursor(db)
    clock.tick(hours=1)
    since, until = NOW - timedelta(days=200), NOW - timedelta(days=100)
    fake.requests.clear()
    result = engine.backfill("jira", since=since, until=until)
    assert result.outcome == "success"
    assert cursor(db) == incremental
    searches = [
        r for r in fake.requests if "search" in r.path and "id in" not in r.params.get("jql", "")
    ]
    assert searches
    assert all(
        f"updated >= {ms(since)}" in r.params["jql"] and f"updated < {ms(until)}" in r.params["jql"]
        for r in searches
    )


def test_deleted_issues_go_missing_and_come_back(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    engine.sync("jira")
    gone = fake.resolve("PAY-4")
    assert gone
    fake.delete(gone)
    clock.tick(hours=7)  # the census is due (every 6 h)
    engine.sync("jira")
    assert items(db)[str(gone)].missing
    assert items(db)[str(gone)].missing_reason == "not in census"
    fake.restore(gone)
    clock.tick(hours=7)
    engine.sync("jira")
    assert not items(db)[str(gone)].missing


def test_moved_issue_keeps_its_row_with_the_new_key(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    engine.sync("jira")
    moved = fake.resolve("CHK-5")
    assert moved
    count = len(items(db))
    clock.tick(minutes=10)
    new_key = fake.move(moved, "PAY", at=clock.ms() - 1000)
    no_census_due(db, clock)
    engine.sync("jira")
    after = items(db)
    assert len(after) == count
    assert (after[str(moved)].key, after[str(moved)].container) == (new_key, "PAY")


def test_storms_of_429_5xx_resets_and_timeouts_lose_nothing(
    tmp_path: Path, fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm_db, calm = fresh("calm", tmp_path, fake, clock, monkeypatch)
    calm.sync("jira")
    expected = snapshot(calm_db)

    db, engine = fresh("storm", tmp_path, fake, clock, monkeypatch)
    http_date = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: retry at once
    fake.requests.clear()
    fake.fault("status", path="/serverInfo", status=503, headers={"Retry-After": "1"})
    fake.fault("status", path="search", status=429, headers={"Retry-After": "2"}, times=2)
    fake.fault("status", path="search", status=429, headers={"Retry-After": http_date})
    fake.fault("status", path="/issue", status=502, times=2)
    fake.fault("status", path="changelog", status=500)
    fake.fault("reset", path="/field")
    fake.fault("slow", path="/issueLinkType", delay=2.5)  # over the 2 s request timeout
    result = engine.sync("jira")[0]
    assert result.outcome == "success"
    assert snapshot(db) == expected
    assert result.api_requests >= len(fake.requests)  # retried attempts are counted
    assert sum(1 for r in fake.requests if r.status in (429, 500, 502, 503)) >= 6


@pytest.mark.parametrize(
    "zone",
    ["America/Los_Angeles", "Asia/Kolkata", "Pacific/Kiritimati"],
    ids=["utc-8", "utc+5:30", "utc+14"],
)
def test_no_update_is_missed_in_any_user_timezone(
    tmp_path: Path, clock: Clock, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    fake = start_fake(clock, issues=60, time_zone=zone)
    try:
        db = open_engine(sqlite_url)
        # lookback 0: the epoch-ms literal alone must be exact
        engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch, lookback=0)
        engine.sync("jira")
        last = cursor(db)
        assert last == NOW
        a, b, c = (fake.resolve(k) for k in ("CHK-2", "PAY-2", "MOB-2"))
        assert a
        assert b
        assert c
        fake.update(a, status="Done", at=ms(NOW))  # exactly at the cursor
        fake.update(b, status="Done", at=ms(NOW) + 20_000)  # same minute, after it
        fake.update(c, status="Done", at=ms(NOW) - 29_000)  # same minute, just before: not due
        clock.tick(seconds=40)
        no_census_due(db, clock)
        engine.sync("jira")
        got = items(db)
        assert got[str(a)].status == "Done"
        assert got[str(b)].status == "Done"
        jql = [
            r.params["jql"]
            for r in fake.requests
            if r.path.endswith("search/jql") or r.path.endswith("/search")
        ][-1]
        assert f"updated >= {ms(NOW)}" in jql
    finally:
        fake.stop()


def test_a_naive_minute_string_would_lose_updates_for_a_user_west_of_utc(clock: Clock) -> None:
    """The trap the epoch-ms literal avoids, reproduced by the fake as Jira behaves."""
    fake = FakeJira(
        issues=30, time_zone="America/Los_Angeles", clock=clock.ms, anchor=NOW - timedelta(days=2)
    )
    target = fake.resolve("CHK-2")
    assert target
    fake.update(target, status="Done", at=ms(NOW) + 20_000)
    naive = NOW.strftime('"%Y-%m-%d %H:%M"')  # a UTC wall time, read as Los Angeles time
    assert fake.search_rows(f"project = CHK AND updated >= {naive}") == []
    exact = fake.search_rows(f"project = CHK AND updated >= {ms(NOW)}")
    assert [iid for _, iid in exact] == [target]


def test_malformed_issue_is_quarantined_and_the_rest_stored(
    tmp_path: Path, fake: FakeJira, sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    broken = fake.resolve("PAY-6")
    assert broken
    fake.malform(broken, "bad_created", at=clock.ms() - 5000)
    result = engine.sync("jira")[0]
    assert result.outcome == "success"
    assert result.quarantined == 1
    with Session(db) as s:
        q = s.scalars(select(t.QuarantinedRecord)).one()
    assert q.tracker_key == "PAY-6"
    assert "created" in q.reason
    assert str(broken) not in items(db)
    assert len(items(db)) > 100


def test_bad_token_is_one_line_without_the_secret(
    tmp_path: Path,
    cloud_fake: FakeJira,
    sqlite_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = open_engine(sqlite_url)
    engine = make(tmp_path, cloud_fake, sqlite_url, db, clock, monkeypatch)
    monkeypatch.setenv("E2E_JIRA_TOKEN", "wrong-token-value")
    with pytest.raises(RunError) as err:
        engine.sync("jira")
    message = str(err.value)
    assert "rejected the credentials" in message
    assert "\n" not in message
    assert "wrong-token-value" not in message
    assert cloud_fake.email not in message


def test_an_issue_deleted_between_two_calls_goes_missing_and_the_sync_goes_on(
    tmp_path: Path,
    cloud_fake: FakeJira,
    sqlite_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = cloud_fake
    victim = fake.resolve("PAY-4")
    assert victim
    fake.add_remote_link(victim, "https://github.com/acme/web/issues/7", "is blocked by")

    def delete_once_read(method: str, path: str, body: Any) -> None:
        ids = (body or {}).get("issueIdsOrKeys") or [] if isinstance(body, dict) else []
        if path.endswith("/issue/bulkfetch") and str(victim) in map(str, ids):
            fake.delete(victim)

    fake.after_request.append(delete_once_read)
    db = open_engine(sqlite_url)
    engine = make(tmp_path, fake, sqlite_url, db, clock, monkeypatch)
    engine.sync("jira")

    remote_calls = [r for r in fake.requests if r.path.endswith(f"/issue/{victim}/remotelink")]
    assert [r.status for r in remote_calls] == [404]
    stored = items(db)
    assert stored[str(victim)].missing
    assert "404" in (stored[str(victim)].missing_reason or "")
    assert sum(not i.missing for i in stored.values()) >= 100  # the rest of the scope is in
    with Session(db) as s:
        runs = list(s.scalars(select(t.SyncRun)))
    assert [r.outcome for r in runs] == ["success"]

    fake.after_request.clear()
    clock.tick(minutes=5)
    engine.sync("jira")  # the next run is not failed by it either
    with Session(db) as s:
        assert [r.outcome for r in s.scalars(select(t.SyncRun))] == ["success", "success"]


def test_status_after_a_backfill_shows_the_load_and_its_mode(
    tmp_path: Path,
    cloud_fake: FakeJira,
    sqlite_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A newcomer who backfilled is told what was loaded, not "never synced" (issue 10 §4);
    staleness stays about the incremental sync."""
    from sync.cli import main

    db = open_engine(sqlite_url)
    engine = make(tmp_path, cloud_fake, sqlite_url, db, clock, monkeypatch)
    engine.backfill("jira")
    capsys.readouterr()
    code = main(["status", "--config", str(tmp_path / "trainyard.toml")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "source jira (jira): loaded by backfill" in out
    assert "(backfill; no incremental sync yet)" in out
    assert "never synced" not in out
    assert "lag: -" in out  # the lag is the incremental sync's: there is none yet
    engine.sync("jira")
    main(["status", "--config", str(tmp_path / "trainyard.toml")])
    out = capsys.readouterr().out
    assert "no incremental sync yet" not in out  # the engine's clock is days ago: STALE is right
    assert "last success: 2026-11-20" in out
