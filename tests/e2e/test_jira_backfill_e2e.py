"""End to end (issue 10 §5): the Jira first load, the remote-link sweep pass, and what they cost.

The first load is census + bulkfetch + changelog bulkfetch; remote links are read on it only for
issues whose history shows one; every other issue gets its remote links from the sweep pass,
which runs after the run's data, resumes after a crash, and is paced (``sweep_per_run``,
``rate_limit_reserve``). Per-issue calls run ``concurrency`` at once. The first incremental
sync after a backfill costs what a no-change sync costs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors.jira.settings import FIRST_KEY, SWEEP_KEY
from model import tables as t
from model.db import open_engine
from sync.engine import RunProgress, SyncEngine
from sync.errors import RunError
from sync.sandbox.jira import FakeJira
from tests.e2e.test_jira_e2e import Clock, make, no_census_due, start_fake

GH = "https://github.com/acme/payments-api/issues/"


@pytest.fixture
def clock() -> Clock:
    return Clock()


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


def remote_link_keys(db: Engine) -> set[str]:
    with Session(db) as s:
        return set(
            s.scalars(select(t.Link.link_key).where(t.Link.origin == "jira_remote_link")).all()
        )


def sweep_memo(db: Engine) -> dict[str, str] | None:
    with Session(db) as s:
        row = s.scalars(select(t.ConnectorMemo).where(t.ConnectorMemo.key == SWEEP_KEY)).first()
        return json.loads(row.value) if row else None


def remote_calls(fake: FakeJira) -> list[str]:
    """Issue ids whose remote links were asked for, in order."""
    return [r.path.split("/")[-2] for r in fake.requests if r.path.endswith("/remotelink")]


def scope_ids(db: Engine) -> list[str]:
    with Session(db) as s:
        rows = s.scalars(select(t.WorkItem.tracker_id).where(t.WorkItem.in_scope)).all()
    return sorted(rows, key=int)


def engine_for(
    tmp_path: Path,
    fake: FakeJira,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    extra: str = "",
) -> tuple[Engine, SyncEngine]:
    url = f"sqlite:///{tmp_path / 'jira.db'}"
    db = open_engine(url)
    return db, make(tmp_path, fake, url, db, clock, monkeypatch, extra=extra)


# --------------------------------------------------------------------------------------------


def test_the_first_load_reads_no_remote_links_and_the_sweep_reads_the_history_shown_first(
    tmp_path: Path, fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (until issue 10 §5's second round the first pass read the history-shown ones itself:
    # 6 requests per 100 issues, most of the first load's cost)
    in_history = fake.resolve("CHK-3")
    silent = fake.resolve("PAY-5")
    assert in_history
    assert silent
    added = clock.now.replace(microsecond=0)  # the fake's history has second precision
    seen = fake.add_remote_link(in_history, GH + "41", "is blocked by")
    unseen = fake.add_remote_link(silent, GH + "42", "is blocked by", history=False)
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch)
    at_first_pass: dict[str, object] = {}

    def watch(progress: RunProgress) -> None:
        if progress.total is not None and not at_first_pass:  # the first pass is stored
            at_first_pass["links"] = remote_link_keys(db)
            at_first_pass["calls"] = remote_calls(fake)
            at_first_pass["noted"] = noted_memo(db)

    engine.progress = watch
    result = engine.backfill("jira")

    assert result.outcome == "success"
    assert at_first_pass["calls"] == []  # the first pass: census and bulk reads only
    assert at_first_pass["links"] == set()
    with_history = {
        str(iid)
        for iid in map(int, scope_ids(db))
        if any(
            item.get("field") == "RemoteIssueLink"
            for h in fake.issue(iid).histories
            for item in h.items
        )
    }
    assert str(in_history) in with_history
    assert str(silent) not in with_history
    # the first pass noted them for the sweep, with the pages that read them
    assert {i for entries in at_first_pass["noted"] for i, _ in entries} == with_history  # type: ignore[attr-defined]
    # the sweep read the history-shown issues first, then every other issue once (the log is
    # in the order the concurrent calls were answered)
    calls = remote_calls(fake)
    assert set(calls[: len(with_history)]) == with_history
    assert sorted(calls[len(with_history) :], key=int) == [
        i for i in scope_ids(db) if i not in with_history
    ]
    assert {f"{in_history}:{seen}", f"{silent}:{unseen}"} <= remote_link_keys(db)
    # a link the history shows keeps the history's time, though the sweep read it
    with Session(db) as s:
        link = s.scalars(select(t.Link).where(t.Link.link_key == f"{in_history}:{seen}")).one()
        assert link.created_from_history
        assert link.created_at == added
    assert sweep_memo(db) is None  # the pass is complete
    assert noted_memo(db) == []  # and each page of it cleared the notes it read


def noted_memo(db: Engine) -> list[list[tuple[str, dict[str, str]]]]:
    with Session(db) as s:
        rows = s.scalars(select(t.ConnectorMemo).where(t.ConnectorMemo.key.like(FIRST_KEY + ":%")))
        return [json.loads(row.value) for row in rows]


def test_the_sweep_pass_resumes_after_a_crash(
    tmp_path: Path, cloud_fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cloud_fake
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch, extra="concurrency = 1")
    engine.sync("jira")
    ids = scope_ids(db)
    late = ids[-3]
    link = fake.add_remote_link(late, GH + "43", "blocks", history=False)
    clock.tick(hours=25)  # a full sweep is due
    fake.requests.clear()
    fake.fault("status", path="/remotelink", status=500, after=110, times=-1)
    with pytest.raises(RunError, match="HTTP 500"):
        engine.sync("jira")
    fake.clear_faults()
    position = sweep_memo(db)
    assert position is not None
    assert position["after"] == ids[99]  # the first page of 100 is stored, the second is not
    assert f"{late}:{link}" not in remote_link_keys(db)

    fake.requests.clear()
    clock.tick(minutes=5)
    engine.sync("jira")
    assert remote_calls(fake) == ids[100:]  # resumed after the stored page, nothing reread
    # (concurrency = 1: the log is in id order)
    assert f"{late}:{link}" in remote_link_keys(db)
    assert sweep_memo(db) is None


@pytest.mark.parametrize("workers", [1, 4])
def test_concurrency_bounds_the_per_issue_calls_in_flight(
    tmp_path: Path,
    cloud_fake: FakeJira,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    workers: int,
) -> None:
    fake = cloud_fake
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch, extra=f"concurrency = {workers}")
    fake.fault("slow", path="/remotelink", times=24, delay=0.05)
    engine.backfill("jira")
    assert fake.peak_in_flight["/rest/api/{id}/issue/{id}/remotelink"] == workers
    assert len(remote_calls(fake)) == len(scope_ids(db))  # each issue once, none lost


def test_sweep_per_run_spreads_the_pass_over_incremental_syncs(
    tmp_path: Path, cloud_fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cloud_fake
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch, extra="sweep_per_run = 60")
    engine.sync("jira")  # incremental: the first pass, then 60 issues of the sweep
    ids = scope_ids(db)
    swept = remote_calls(fake)  # the first pass's (history shows a link) and 60 more
    assert sweep_memo(db) is not None
    runs = 1
    while sweep_memo(db) is not None:
        clock.tick(minutes=5)
        no_census_due(db, clock)
        fake.requests.clear()
        engine.sync("jira")
        calls = remote_calls(fake)
        assert len(calls) <= 60
        swept += calls
        runs += 1
        assert runs < 5
    assert runs == 3  # 125 issues: 60, 60 (the first pass's own reads are not sweep's), rest
    assert set(swept) == set(ids)


def test_the_sweep_stops_for_the_run_when_the_rate_budget_runs_low(
    tmp_path: Path, cloud_fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cloud_fake
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch, extra="rate_limit_reserve = 300")
    fake.rate_headers = {"X-RateLimit-Remaining": "250"}
    engine.sync("jira")
    assert len(remote_calls(fake)) < 20  # the first pass's own reads, nothing swept
    assert items_stored(db) > 100  # the data is in
    assert (sweep_memo(db) or {}).get("after") == ""  # started, nothing swept yet
    clock.tick(minutes=5)
    no_census_due(db, clock)
    fake.rate_headers = {"X-RateLimit-Remaining": "4000", "X-RateLimit-NearLimit": "true"}
    fake.requests.clear()
    engine.sync("jira")
    assert remote_calls(fake) == []  # near the limit: still waiting
    clock.tick(minutes=5)
    fake.rate_headers = {"X-RateLimit-Remaining": "4000"}
    fake.requests.clear()
    engine.sync("jira")
    assert len(remote_calls(fake)) == len(scope_ids(db))  # a new run sweeps the whole scope
    assert sweep_memo(db) is None


def items_stored(db: Engine) -> int:
    return len(scope_ids(db))


def test_the_first_incremental_after_a_backfill_costs_what_a_no_change_sync_costs(
    tmp_path: Path, fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, engine = engine_for(tmp_path, fake, clock, monkeypatch)
    engine.backfill("jira")
    clock.tick(minutes=5)
    fake.requests.clear()
    result = engine.sync("jira")[0]
    assert result.items == 0
    search = "/rest/api/3/search/jql" if fake.cloud else "/rest/api/2/search"
    assert [r.path for r in fake.requests] == ["/rest/api/2/serverInfo", search]
    since = (clock.now - timedelta(minutes=5 + 15)).timestamp() * 1000
    assert f"updated >= {int(since)}" in fake.requests[1].params["jql"]
    # and a sync after changes: two bulk reads per 100 changed issues, nothing per issue
    clock.tick(minutes=5)
    changed = fake.touch_many(30)
    fake.requests.clear()
    result = engine.sync("jira")[0]
    assert result.items == len(changed)
    paths = [r.path for r in fake.requests]
    assert len(paths) <= 2 + 2 * math.ceil(len(changed) / 100), paths
    assert not any(p.endswith("/remotelink") for p in paths)


def test_a_backfill_window_leaves_the_sweep_pass_alone(
    tmp_path: Path, cloud_fake: FakeJira, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = cloud_fake
    db, engine = engine_for(tmp_path, fake, clock, monkeypatch, extra="sweep_per_run = 30")
    engine.sync("jira")
    position = sweep_memo(db)
    assert position is not None  # in progress
    clock.tick(minutes=5)
    fake.requests.clear()
    engine.backfill("jira", since=clock.now - timedelta(days=200), until=clock.now)
    assert remote_calls(fake) == []  # a window reloads a slice; the sweep waits for a sync
    assert sweep_memo(db) == position
