"""End to end: the real engine and the real GitHub connector against the loopback fake GitHub.

Issue 4's proofs: pull requests never become items; a dependency added without ``updated_at``
moving is found by the sweep, and a removed one closes its link with the tracker's removal time;
unchanged dependencies come back as 304s that cost no rate limit; transfers and deletions are
recorded with history kept; an issue deleted or hidden between two calls of one run is marked
missing and the sync goes on (issue 10 §2); 403/429 storms lose nothing; the Jira ↔ GitHub
text reference resolves whichever source syncs first (the Jira side is a scripted in-test
connector).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors import base as rec
from connectors.github import GitHubConnector
from model import tables as t
from model.db import open_engine
from sync.cli import main
from sync.config import load
from sync.engine import SyncEngine
from sync.sandbox.github import TOKEN, FakeGitHub, Fault
from tests.engine.scripted import Script, scripted_class, snapshot

pytestmark = pytest.mark.slow

SCOPE = ("acme/checkout-web", "acme/payments-web")  # acme/platform-web stays outside

CONFIG = """
[database]
url = "{db}"
[train]
name = "Payments ART"
timezone = "UTC"
[[train.teams]]
name = "Checkout"
github_repos = ["acme/checkout-web"]
[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
github_repos = ["acme/payments-web"]
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "github"
kind = "github"
base_url = "{base}"
token_env = "E2E_GITHUB_TOKEN"
repos = ["acme/checkout-web", "acme/payments-web"]
text_references = true
dependency_sweep_minutes = {sweep}
history_per_sync = {history}
[[sources]]
name = "jira"
kind = "jira"
url = "https://acme.atlassian.net"
token_env = "E2E_JIRA_TOKEN"
projects = ["PAY"]
[sync]
lookback_minutes = 15
"""


@dataclass
class World:
    fake: FakeGitHub
    db: Engine
    engine: SyncEngine
    jira: Script
    sleeps: list[float]
    config: Path | None = None

    def sync(self, source: str = "github", **kw: Any) -> list[Any]:
        return self.engine.sync(source, **kw)

    def items(self) -> dict[str, t.WorkItem]:
        with Session(self.db) as s:
            return {row.key: row for row in s.scalars(select(t.WorkItem))}

    def links(self, origin: str) -> dict[str, t.Link]:
        with Session(self.db) as s:
            rows = s.scalars(select(t.Link).where(t.Link.origin == origin))
            return {row.link_key: row for row in rows}

    def link_events(self, link: t.Link) -> list[tuple[str | None, datetime]]:
        with Session(self.db) as s:
            rows = s.execute(
                select(t.Event.to_value, t.Event.at).where(t.Event.link_id == link.id)
            ).all()
            return sorted(((v, a) for v, a in rows), key=lambda r: r[1])


def build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    sweep: int = 0,
    history: int = 500,
    **fake: Any,
) -> World:
    monkeypatch.setenv("E2E_GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("E2E_JIRA_TOKEN", "jira-unused")
    gh = FakeGitHub(**{"repos": 3, "issues_per_repo": 40, **fake})
    base = gh.start()
    tmp_path.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{tmp_path / 'trainyard.db'}"
    path = tmp_path / "trainyard.toml"
    path.write_text(CONFIG.format(db=db_url, base=base, sweep=sweep, history=history))
    config = load(path)
    db = open_engine(db_url)
    jira = Script()
    sleeps: list[float] = []
    classes = {"github": GitHubConnector, "jira": scripted_class(jira, "jira")}
    engine = SyncEngine(config, db, sleeper=sleeps.append, connector_classes=classes)  # type: ignore[arg-type]
    return World(gh, db, engine, jira, sleeps, path)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = build(tmp_path, monkeypatch)
    yield w
    w.fake.stop()
    w.db.dispose()


def content(db: Engine) -> dict[str, set[tuple[Any, ...]]]:
    """What the trackers said, without the sync's own timestamps (first/last seen)."""
    with Session(db) as s:
        return {
            "items": {
                tuple(row)
                for row in s.execute(
                    select(
                        t.WorkItem.tracker_id,
                        t.WorkItem.key,
                        t.WorkItem.status,
                        t.WorkItem.updated_at,
                        t.WorkItem.parent_key,
                        t.WorkItem.in_scope,
                    )
                )
            },
            "links": {
                # created_at is the tracker's only where history has it (dependencies);
                # sub-issue and text-reference links are dated when first seen
                (*row[:4], row[4] if row.created_from_history else None, row[5])
                for row in s.execute(
                    select(
                        t.Link.origin,
                        t.Link.link_key,
                        t.Link.blocker_key,
                        t.Link.blocked_key,
                        t.Link.created_at,
                        t.Link.removed_at,
                        t.Link.created_from_history,
                    )
                )
            },
            "events": {
                tuple(row)
                for row in s.execute(
                    select(t.Event.event_key, t.Event.at, t.Event.field, t.Event.to_value).where(
                        ~t.Event.event_key.startswith("~")  # synthesized at first-seen time
                    )
                )
            },
        }


def open_issue_without_blockers(fake: FakeGitHub, repo: str) -> str:
    for raw in fake.issues():
        summary = raw["issue_dependencies_summary"]
        if (
            raw["state"] == "open"
            and raw["repository_url"].endswith(repo)
            and summary["total_blocked_by"] == 0
            and not raw["parent_issue_url"]
        ):
            return f"{repo}#{raw['number']}"
    raise AssertionError("the seeded data set has no such issue")


def open_issue(fake: FakeGitHub, repo: str, skip: tuple[str, ...] = ()) -> str:
    for raw in fake.issues():
        key = f"{repo}#{raw['number']}"
        if raw["state"] == "open" and raw["repository_url"].endswith(repo) and key not in skip:
            return key
    raise AssertionError("no open issue")


# -- the proofs ----------------------------------------------------------------------------------


def test_pull_requests_never_become_items(world: World) -> None:
    [result] = world.sync()
    assert result.outcome == "success"
    items = world.items()
    prs = {
        f"{r['repository_url'].rsplit('/repos/', 1)[1]}#{r['number']}"
        for r in world.fake.issues(prs=True)
        if "pull_request" in r
    }
    assert prs
    assert not prs & set(items)
    in_scope = {
        f"{r['repository_url'].rsplit('/repos/', 1)[1]}#{r['number']}"
        for r in world.fake.issues()
        if r["repository_url"].rsplit("/repos/", 1)[1] in SCOPE
    }
    assert {k for k, row in items.items() if row.in_scope} == in_scope


def _stored(world: World) -> dict[str, list[tuple[object, ...]]]:
    """The snapshot without the sweep's own clock: when the last sweep ran is bookkeeping that
    legitimately moves on every sync, not data a no-change sync may alter."""
    rows = snapshot(world.db)
    rows["connector_memo"] = [r for r in rows["connector_memo"] if r[1] != "sweep:last"]
    return rows


def test_second_sync_without_changes_changes_nothing(world: World) -> None:
    world.sync()
    before = _stored(world)
    world.sync()
    assert _stored(world) == before


def test_dependency_added_without_update_is_found_by_the_sweep(world: World) -> None:
    world.sync()
    blocked = open_issue_without_blockers(world.fake, "acme/checkout-web")
    blocker = open_issue(world.fake, "acme/payments-web")
    updated_before = world.fake.issue(blocked)["updated_at"]
    world.fake.add_dependency(blocked, blocker)
    assert world.fake.issue(blocked)["updated_at"] == updated_before  # as on GitHub
    mark = len(world.fake.log)
    world.sync()
    key = f"{world.fake.issue(blocker)['id']}>{world.fake.issue(blocked)['id']}"
    link = world.links("github_dependency")[key]
    added_at = world.fake.timeline[world.fake.issue(blocked)["id"]][-1]["created_at"]
    assert link.removed_at is None
    assert link.created_at == datetime.fromisoformat(added_at.replace("Z", "+00:00"))
    assert link.blocker_item_id is not None
    assert link.blocked_item_id is not None
    number = blocked.split("#")[1]
    swept = [
        r
        for r in world.fake.log[mark:]
        if r.path.endswith(f"/issues/{number}/dependencies/blocked_by")
    ]
    assert swept
    assert swept[0].status == 200


def test_removed_dependency_closes_the_link_at_the_removal_time(world: World) -> None:
    world.sync()
    blocked_id, blocker_ids = next(
        (b, ks)
        for b, ks in world.fake.blocked_by.items()
        if ks and world.fake._raw(b)["state"] == "open"
    )
    blocked, blocker = world.fake.key_of(blocked_id), world.fake.key_of(blocker_ids[0])
    key = f"{blocker_ids[0]}>{blocked_id}"
    assert world.links("github_dependency")[key].removed_at is None
    world.fake.remove_dependency(blocked, blocker)
    world.sync()
    link = world.links("github_dependency")[key]
    removed = world.fake.timeline[blocked_id][-1]
    assert removed["event"] == "blocked_by_removed"
    assert link.removed_at == datetime.fromisoformat(removed["created_at"].replace("Z", "+00:00"))
    assert [v for v, _ in world.link_events(link)][-1] == "removed"


def test_unchanged_dependencies_answer_304_and_cost_no_budget(world: World) -> None:
    world.sync()
    world.sync()  # the first sweep stores the open-list ETags
    budget, mark = world.fake.remaining, len(world.fake.log)
    world.sync()
    log = world.fake.log[mark:]
    deps = [r for r in log if r.path.endswith("/dependencies/blocked_by")]
    assert deps
    assert all(r.status == 304 and "if-none-match" in r.headers for r in deps)
    spent = budget - world.fake.remaining
    assert spent == len([r for r in log if r.status != 304])
    assert spent == len(SCOPE)  # one issues-list request per repository, the rest is free
    with Session(world.db) as s:
        run = s.scalars(select(t.SyncRun).order_by(t.SyncRun.id.desc())).first()
        assert run is not None
        assert run.api_requests == len(log)
        assert run.rate_limit_remaining == world.fake.remaining


def test_transfer_and_deletion_are_recorded_with_history_kept(world: World) -> None:
    world.sync()
    moved = open_issue(world.fake, "acme/checkout-web")
    deleted = open_issue(world.fake, "acme/payments-web")
    moved_id, deleted_id = world.fake.issue(moved)["id"], world.fake.issue(deleted)["id"]
    with Session(world.db) as s:
        history_before = s.scalar(
            select(t.Event.id).join(t.WorkItem).where(t.WorkItem.tracker_id == str(deleted_id))
        )
    new_key = world.fake.transfer(moved, "acme/platform-web")  # out of scope
    world.fake.delete(deleted)
    world.sync()
    items = {row.tracker_id: row for row in world.items().values()}
    assert items[str(moved_id)].missing
    assert (
        items[str(moved_id)].moved_to == f"{world.fake.base_url}/{new_key.replace('#', '/issues/')}"
    )
    assert items[str(deleted_id)].missing
    assert items[str(deleted_id)].missing_reason == "deleted (410)"
    if history_before is not None:
        with Session(world.db) as s:
            assert s.get(t.Event, history_before) is not None


def test_a_milestone_move_is_sprint_history_so_as_of_views_see_the_old_one(world: World) -> None:
    world.sync()
    key = open_issue(world.fake, "acme/checkout-web")
    milestones = world.fake.repos["acme/checkout-web"].milestones
    world.fake.set_milestone(key, milestones[0]["number"])
    world.sync()
    world.fake.set_milestone(key, milestones[1]["number"])
    world.sync()
    first, second = (str(m["id"]) for m in milestones[:2])
    with Session(world.db) as s:
        item = s.scalars(select(t.WorkItem).where(t.WorkItem.key == key)).one()
        rows = s.execute(
            select(t.Event.from_value, t.Event.to_value)
            .where(t.Event.item_id == item.id, t.Event.field == "sprint")
            .order_by(t.Event.at, t.Event.id)
        ).all()
        sprints = set(s.scalars(select(t.TrackerSprint.tracker_id)))
    # the timeline names milestones by title: each maps to its id, the old one included
    assert (None, first) in rows
    assert (first, None) in rows
    assert rows[-1] == (None, second)
    assert {first, second} <= sprints


@pytest.mark.parametrize("every", [2, 3], ids=["every-2nd-request", "every-3rd-request"])
def test_403_429_storms_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    calm = build(tmp_path / "calm", monkeypatch)
    stormy = build(tmp_path / "storm", monkeypatch)
    try:
        calm.sync()
        stormy.fake.storm(every=every)
        [result] = stormy.sync()
        assert result.outcome == "success"
        assert stormy.sleeps, "rate limits were waited out"
        faulted = [r for r in stormy.fake.log if r.status in (403, 429)]
        assert faulted
        got, want = content(stormy.db), content(calm.db)
        for part in want:
            assert got[part] - want[part] == set(), part
            assert want[part] - got[part] == set(), part
    finally:
        for w in (calm, stormy):
            w.fake.stop()
            w.db.dispose()


@pytest.mark.parametrize(
    "order", [("jira", "github"), ("github", "jira")], ids=["jira-first", "github-first"]
)
def test_cross_tracker_text_reference_resolves_in_either_order(
    world: World, order: tuple[str, str]
) -> None:
    blocked = open_issue(world.fake, "acme/payments-web")
    world.fake.edit_body(blocked, "Blocked by PAY-12 until the provider ships.")
    now = datetime.now(UTC)
    world.jira.pages = [
        rec.Page(
            items=[
                rec.WorkItem(
                    tracker_id="10012",
                    key="PAY-12",
                    url="https://acme.atlassian.net/browse/PAY-12",
                    title="Provider onboarding",
                    type="story",
                    status="In Progress",
                    status_category="in_progress",
                    created_at=now - timedelta(days=3),
                    updated_at=now - timedelta(hours=1),
                    container="PAY",
                )
            ],
            cursor=now - timedelta(hours=1),
        )
    ]
    for source in order:
        world.sync(source)
    blocked_id = world.fake.issue(blocked)["id"]
    link = world.links("text_reference")[f"jira:PAY-12>{blocked_id}"]
    items = world.items()
    assert link.blocker_item_id == items["PAY-12"].id
    assert link.blocked_item_id == items[blocked.lower()].id
    assert link.removed_at is None
    world.fake.edit_body(blocked, "No longer blocked.")
    world.sync("github")
    assert world.links("text_reference")[f"jira:PAY-12>{blocked_id}"].removed_at is not None


def _after_list(fake: FakeGitHub, repo: str, then: Any) -> None:
    """Run ``then`` once, right after the first incremental issues list of ``repo`` is answered:
    between the call that lists an issue and the per-issue calls that follow it."""

    def hook(method: str, path: str, query: dict[str, str]) -> None:
        if path == f"/repos/{repo}/issues" and "since" in query:
            fake.after_request.remove(hook)
            then()

    fake.after_request.append(hook)


@pytest.mark.parametrize(
    ("how", "reason"),
    [("deleted", "deleted (410)"), ("hidden", "not visible to the token (403)")],
    ids=["deleted-410", "hidden-403"],
)
def test_issue_vanished_between_two_calls_of_one_run_is_marked_missing_and_the_sync_goes_on(
    world: World, how: str, reason: str
) -> None:
    world.sync()
    repo = "acme/checkout-web"
    gone = open_issue(world.fake, repo)
    later = open_issue(world.fake, repo, skip=(gone,))
    gone_id, about = world.fake.issue(gone)["id"], rf"/repos/{gone.replace('#', '/issues/')}(/|$)"
    world.fake.label(gone, "blocked")  # changed: the sync will ask for its timeline
    world.fake.label(later, "ux")  # changed after it: proves the run went on

    def vanish() -> None:
        if how == "deleted":
            world.fake.delete(gone)
        else:  # the token lost access to it: GitHub answers 403 on everything about it
            message = "Resource not accessible by personal access token"
            world.fake.inject(Fault(403, about, 100, {}, message))

    _after_list(world.fake, repo, vanish)
    mark = len(world.fake.log)
    [result] = world.sync()
    assert result.outcome == "success"
    items = {row.tracker_id: row for row in world.items().values()}
    assert items[str(gone_id)].missing
    assert items[str(gone_id)].missing_reason == reason
    assert "ux" in items[str(world.fake.issue(later)["id"])].labels
    per_issue = [r for r in world.fake.log[mark:] if re.search(about, r.path)]
    assert per_issue
    assert {r.status for r in per_issue} == {410 if how == "deleted" else 403}
    with Session(world.db) as s:  # history kept
        assert s.scalar(
            select(t.Event.id).join(t.WorkItem).where(t.WorkItem.tracker_id == str(gone_id))
        )
    world.sync()  # and the next sync is not failed by it either
    assert world.sync()[0].outcome == "success"


def test_dependencies_added_between_sweeps_are_in_the_next_syncs_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10 §3: no full sweep is due, yet the open lists' summaries show what moved."""
    world = build(tmp_path, monkeypatch, sweep=600)
    try:
        had_one = open_issue_without_blockers(world.fake, "acme/checkout-web")
        first = open_issue(world.fake, "acme/payments-web")
        world.fake.add_dependency(had_one, first)
        world.sync()  # the full walk reads every dependency
        world.sync()  # the first sweep stores the open lists' summaries
        had_none = open_issue_without_blockers(world.fake, "acme/checkout-web")
        blocker = open_issue(world.fake, "acme/payments-web", skip=(first,))
        before = {k: world.fake.issue(k)["updated_at"] for k in (had_one, had_none)}
        world.fake.add_dependency(had_one, blocker)
        world.fake.add_dependency(had_none, blocker)
        assert {k: world.fake.issue(k)["updated_at"] for k in before} == before  # as on GitHub
        mark = len(world.fake.log)
        [result] = world.sync()
        assert result.outcome == "success"
        assert not [r for r in world.fake.log[mark:] if r.path.endswith("/timeline")][2:], (
            "only the two issues that moved were re-read"
        )
        assert world.config is not None
        while datetime.now(UTC) <= world.fake.clock:  # mutations may run ahead of it
            time.sleep(0.05)
        assert main(["report", "dependencies", "--config", str(world.config)]) == 0
        doc = json.loads(capsys.readouterr().out)
        pairs = {(d["blocker"]["key"], d["blocked"]["key"]) for d in doc["dependencies"]}
        assert {(blocker, had_one), (blocker, had_none)} <= pairs
        added = world.fake.timeline[world.fake.issue(had_none)["id"]][-1]["created_at"]
        dated = {d["created_at"] for d in doc["dependencies"] if d["blocked"]["key"] == had_none}
        assert dated == {added}  # dated by GitHub's timeline, not by when we saw it
    finally:
        world.fake.stop()
        world.db.dispose()


def _pending(world: World) -> set[str]:
    with Session(world.db) as s:
        rows = s.scalars(select(t.WorkItem.key).where(t.WorkItem.history_pending.is_(True)))
        return set(rows)


def test_first_load_is_current_state_and_history_follows_without_delaying_syncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10 §5: the first sync costs about N/100 plus the relations the summaries name;
    timelines follow, ``history_per_sync`` a sync, after each sync's own changes; until then
    the reports mark the item provisional."""
    world = build(tmp_path, monkeypatch, sweep=600, history=10)
    paced = build(tmp_path / "full", monkeypatch, sweep=600, history=500)
    try:
        [result] = world.sync()
        assert result.outcome == "success"
        listed = [
            i for i in world.fake.issues() if i["repository_url"].rsplit("/repos/", 1)[1] in SCOPE
        ]
        log = world.fake.log
        timelines = [r for r in log if r.path.endswith("/timeline")]
        assert len(timelines) == 10  # the history pass, capped
        relations = [r for r in log if r.path.endswith(("/sub_issues", "/blocked_by"))]
        named = [
            i
            for i in listed
            if i["issue_dependencies_summary"]["total_blocked_by"]
            or i["sub_issues_summary"]["total"]
        ]
        assert len(relations) == len(named)  # only where the summaries say there are any
        pending = _pending(world)
        assert len(pending) == len(listed) - 10
        assert world.config is not None
        assert main(["report", "dependencies", "--config", str(world.config)]) == 0
        doc = json.loads(capsys.readouterr().out)
        ends = [d[end] for d in doc["dependencies"] for end in ("blocker", "blocked")]
        assert {e["key"] for e in ends if e["provisional"]} <= pending
        assert any(e["provisional"] for e in ends)
        for fmt, mark in (("md", ", provisional)"), ("html", " · provisional</span>")):
            args = ["report", "dependencies", "--format", fmt, "--config", str(world.config)]
            assert main(args) == 0
            assert mark in capsys.readouterr().out, fmt

        changed = open_issue(world.fake, "acme/checkout-web")
        world.fake.label(changed, "ux")
        mark = len(world.fake.log)
        world.sync()
        log = world.fake.log[mark:]
        own = f"/repos/{changed.replace('#', '/issues/')}/timeline"  # read with its change
        lists = [n for n, r in enumerate(log) if r.path.endswith("/issues")]
        history = [n for n, r in enumerate(log) if r.path.endswith("/timeline") and r.path != own]
        assert max(lists) < min(history)  # the sync's own changes first, then the history pass
        assert "ux" in world.items()[changed].labels
        assert changed not in _pending(world)  # changed, so its timeline was read with it

        for _ in range(20):  # resumable: each sync takes the next ten
            if not _pending(world):
                break
            world.sync()
        assert not _pending(world)
        paced.sync()  # everything read in one go: what the history pass must come to
        assert not _pending(paced)
        got, want = content(world.db), content(paced.db)
        assert got["links"] == want["links"]
        ours = f"tl:{world.fake.timeline[world.fake.issue(changed)['id']][-1]['id']}"
        assert {e for e in got["events"] if e[0] != ours} == want["events"]
    finally:
        for w in (world, paced):
            w.fake.stop()
            w.db.dispose()
