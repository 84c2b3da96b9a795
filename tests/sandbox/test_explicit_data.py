"""The sandbox's explicit-data API, read by the real connectors through the real engine.

A tiny hand-written train (two Jira projects, one GitHub repository, nothing generated) is built
with ``add_sprint``/``create_issue``/``add_link`` and ``add_milestone``/``create_issue``/
``add_dependency`` at explicit times; what the engine stores is what the calls said: keys from 1
per project, the Team field, business values, the Sprint's state following the fake's clock,
the milestone, and the dependency dated from its timeline event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors.github import GitHubConnector
from connectors.jira import JiraConnector
from model import tables as t
from model.db import open_engine
from sync.config import load
from sync.engine import SyncEngine
from sync.sandbox import GITHUB_TOKEN, FakeGitHub, FakeJira, ProjectSpec, ms

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PAY_TEAM = "5d1c2f4e-8a3b-4c6d-9e0f-1a2b3c4d5e6f"
CHK_TEAM = "36885b3c-1bf0-4f85-a357-c5b858c31de4"
REPO = "acme/payments-api"
PROJECTS = (
    ProjectSpec("PAY", "Payments", PAY_TEAM, ("Ledger",), ("Eva Lindqvist",), REPO),
    ProjectSpec("CHK", "Checkout", CHK_TEAM, ("Cart",), ("Ana Costa",), "acme/checkout-web"),
)

CONFIG = """
[database]
url = "{db}"
[train]
name = "Sandbox ART"
timezone = "UTC"
[[train.teams]]
name = "Payments"
jira_team_ids = ["{pay}"]
github_repos = ["{repo}"]
[[train.teams]]
name = "Checkout"
jira_team_ids = ["{chk}"]
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
token_env = "SANDBOX_JIRA_TOKEN"
user_env = "SANDBOX_JIRA_USER"
projects = ["PAY", "CHK"]
objective_issue_type = "PI Objective"
[[sources]]
name = "github"
kind = "github"
base_url = "{github}"
token_env = "SANDBOX_GITHUB_TOKEN"
repos = ["{repo}"]
dependency_sweep_minutes = 0
"""


class Clock:
    """One "now" for the engine and the Jira fake."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def ms(self) -> int:
        return ms(self.now)


@dataclass
class World:
    jira: FakeJira
    gh: FakeGitHub
    db: Engine
    engine: SyncEngine
    clock: Clock
    keys: dict[str, str]

    def sync(self, source: str) -> None:
        [result] = self.engine.sync(source)
        assert result.outcome == "success", result.error

    def item(self, source: str, key: str) -> t.WorkItem:
        with Session(self.db) as s:
            return s.scalars(
                select(t.WorkItem)
                .join(t.Source)
                .where(t.Source.name == source, t.WorkItem.key == key)
            ).one()

    def sprint_of(self, source: str, key: str) -> t.TrackerSprint:
        with Session(self.db) as s:
            item = s.scalars(
                select(t.WorkItem)
                .join(t.Source)
                .where(t.Source.name == source, t.WorkItem.key == key)
            ).one()
            return s.get_one(t.TrackerSprint, item.sprint_id)

    def team_of(self, source: str, key: str) -> str | None:
        with Session(self.db) as s:
            team_id = self.item(source, key).team_id
            return s.get_one(t.Team, team_id).name if team_id is not None else None


def build_jira(clock: Clock) -> tuple[FakeJira, dict[str, str]]:
    jira = FakeJira(issues=0, projects=PROJECTS, clock=clock.ms)
    sprint = jira.add_sprint(
        "PAY", "PAY Sprint 7", NOW - timedelta(days=7), NOW + timedelta(days=7)
    )
    week_ago = ms(NOW - timedelta(days=7))
    keys = {
        "feature": jira.create_issue(
            "PAY", summary="Instant refunds", type="Feature", created=week_ago, team=PAY_TEAM
        ),
        "blocker": jira.create_issue(
            "CHK", summary="Refund button", created=week_ago, team=CHK_TEAM, status="In Progress"
        ),
    }
    keys["story"] = jira.create_issue(
        "PAY",
        summary="Refund API",
        created=week_ago + 60_000,
        team=PAY_TEAM,
        sprints=[sprint],
        parent=keys["feature"],
        points=3,
        labels=["backend"],
        components=["Ledger"],
        assignee="Eva Lindqvist",
    )
    keys["objective"] = jira.create_issue(
        "PAY",
        summary="Refunds in seconds",
        type="PI Objective",
        created=week_ago,
        team=PAY_TEAM,
        business_value=8,
        actual_business_value=7,
    )
    jira.add_link(keys["blocker"], keys["story"], at=ms(NOW - timedelta(days=3)))
    return jira, keys


def build_github(keys: dict[str, str]) -> FakeGitHub:
    gh = FakeGitHub(repo_names=(REPO,), issues_per_repo=0)
    gh.set_clock(NOW - timedelta(days=10))
    iteration = gh.add_milestone(REPO, "Iteration 3", NOW + timedelta(days=4))
    keys["gh_blocked"] = gh.create_issue(
        REPO, "Webhook retries", labels=["feature"], milestone=iteration
    )
    keys["gh_blocker"] = gh.create_issue(REPO, "Queue upgrade", created=NOW - timedelta(days=9))
    gh.add_dependency(keys["gh_blocked"], keys["gh_blocker"], at=NOW - timedelta(days=2))
    return gh


@pytest.fixture
def world(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    clock = Clock()
    jira, keys = build_jira(clock)
    gh = build_github(keys)
    jira.start()
    gh.start()
    monkeypatch.setenv("SANDBOX_JIRA_TOKEN", jira.token)
    monkeypatch.setenv("SANDBOX_JIRA_USER", jira.email)
    monkeypatch.setenv("SANDBOX_GITHUB_TOKEN", GITHUB_TOKEN)
    path = tmp_path / "trainyard.toml"
    text = CONFIG.format(
        db=sqlite_url, jira=jira.url, github=gh.base_url, repo=REPO, pay=PAY_TEAM, chk=CHK_TEAM
    )
    path.write_text(text)
    db = open_engine(sqlite_url)
    classes = {"jira": JiraConnector, "github": GitHubConnector}
    engine = SyncEngine(
        load(path), db, clock=clock, sleeper=lambda s: None, connector_classes=classes
    )  # type: ignore[arg-type]
    yield World(jira, gh, db, engine, clock, keys)
    jira.stop()
    gh.stop()
    db.dispose()


def test_created_jira_issues_are_stored_as_the_calls_said(world: World) -> None:
    world.sync("jira")
    keys = world.keys
    assert (keys["feature"], keys["story"], keys["objective"]) == ("PAY-1", "PAY-2", "PAY-3")
    assert keys["blocker"] == "CHK-1"
    story = world.item("jira", "PAY-2")
    assert (story.team_field, story.type, story.status) == (PAY_TEAM, "story", "To Do")
    assert (story.parent_key, story.story_points, story.labels) == ("PAY-1", 3.0, ["backend"])
    assert (story.assignee, story.components) == ("Eva Lindqvist", ["Ledger"])
    assert story.created_at == NOW - timedelta(days=7, minutes=-1)
    assert world.team_of("jira", "PAY-2") == "Payments"
    assert world.team_of("jira", "CHK-1") == "Checkout"
    assert world.item("jira", "PAY-1").type == "epic"  # a level-1 type, as the connector reads it
    blocker = world.item("jira", "CHK-1")
    assert (blocker.status, blocker.status_category) == ("In Progress", "in_progress")
    objective = world.item("jira", "PAY-3")
    assert (objective.objective, objective.business_value, objective.actual_business_value) == (
        True,
        8.0,
        7.0,
    )
    with Session(world.db) as s:
        link = s.scalars(select(t.Link).where(t.Link.origin == "jira_link")).one()
    assert (link.blocker_key, link.blocked_key) == ("CHK-1", "PAY-2")
    assert link.created_at == NOW - timedelta(days=3)


def test_a_sprint_closes_when_the_clock_passes_its_end(world: World) -> None:
    world.sync("jira")
    sprint = world.sprint_of("jira", "PAY-2")
    assert (sprint.name, sprint.state, sprint.completed) == ("PAY Sprint 7", "active", None)
    world.clock.now = NOW + timedelta(days=8)
    world.jira.update("PAY-2", status="Done", at=ms(NOW + timedelta(days=6)))
    world.sync("jira")
    sprint = world.sprint_of("jira", "PAY-2")
    assert (sprint.state, sprint.completed) == ("closed", NOW + timedelta(days=7))
    assert world.item("jira", "PAY-2").resolved_at == NOW + timedelta(days=6)


def test_update_moves_sprints_and_removes_labels_with_changelog_items(world: World) -> None:
    later = world.jira.add_sprint(
        "PAY", "PAY Sprint 8", NOW + timedelta(days=7), NOW + timedelta(days=21)
    )
    before = world.jira.issue(world.jira._need("PAY-2")).sprint_ids
    issue = world.jira.update("PAY-2", sprints=[*before, later], remove_label="backend")
    items = [i for h in issue.histories for i in h.items]
    sprint_item = next(i for i in items if i["field"] == "Sprint")
    assert (sprint_item["fromString"], sprint_item["toString"]) == (
        "PAY Sprint 7",
        "PAY Sprint 7, PAY Sprint 8",
    )
    label_item = next(i for i in items if i["field"] == "labels")
    assert (label_item["fromString"], label_item["toString"]) == ("backend", "")
    world.sync("jira")
    assert world.item("jira", "PAY-2").labels == []


def test_github_milestone_and_dependency_are_stored_with_their_times(world: World) -> None:
    world.sync("github")
    blocked = world.item("github", world.keys["gh_blocked"])
    # stamped by the set clock: the milestone took its first second, the issue the next
    assert blocked.created_at == NOW - timedelta(days=10, seconds=-1)
    assert blocked.labels == ["feature"]
    assert world.team_of("github", world.keys["gh_blocked"]) == "Payments"
    sprint = world.sprint_of("github", world.keys["gh_blocked"])
    assert (sprint.name, sprint.state, sprint.end) == (
        "Iteration 3",
        "open",
        NOW + timedelta(days=4),
    )
    with Session(world.db) as s:
        link = s.scalars(select(t.Link).where(t.Link.blocked_key == world.keys["gh_blocked"])).one()
    assert link.blocker_key == world.keys["gh_blocker"]
    assert link.created_at == NOW - timedelta(days=2)
    events = [e["event"] for e in world.gh.timeline[blocked_id(world, "gh_blocked")]]
    assert events[:2] == ["labeled", "milestoned"]


def blocked_id(world: World, name: str) -> int:
    return int(world.gh.issue(world.keys[name])["id"])


def test_closing_a_milestone_and_closing_an_issue_at_given_times(world: World) -> None:
    gh, key = world.gh, world.keys["gh_blocker"]
    gh.close(key, at=NOW - timedelta(days=1))
    gh.close_milestone(REPO, 1, at=NOW - timedelta(hours=1))
    assert gh.issue(key)["closed_at"] == "2026-11-19T12:00:00Z"
    assert gh.issue(world.keys["gh_blocked"])["milestone"]["state"] == "closed"
    world.sync("github")
    assert world.item("github", key).status_category == "done"
    assert world.sprint_of("github", world.keys["gh_blocked"]).state == "closed"
