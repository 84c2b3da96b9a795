"""The bundled train as tracker state on the sandbox: a ``FakeJira`` and a ``FakeGitHub`` on
loopback, filled through their mutation helpers so every change has its tracker history.

``World.build(spec, now)`` makes the world as it stood at the first sync (``now`` minus a week);
``World.advance()`` applies the simulated week. The PI starts 38 days before ``now`` (local
midnight), so the first sync falls on day 31 and the second on day 38: both in iteration 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.demo.spec import Change, DepSpec, ItemSpec, TrainSpec
from sync.sandbox import FakeGitHub, FakeJira, ProjectSpec

PI_DAYS_BEFORE_NOW = 38
WEEK = timedelta(days=7)
ITERATION_DAYS = 14
ITERATIONS = 5
JIRA_EMAIL = "demo-bot@acme.example"
JIRA_TOKEN = "sandbox-jira-token"
GITHUB_TOKEN = "sandbox-github-token"
JIRA_STATUS = {
    "todo": "To Do",
    "doing": "In Progress",
    "review": "In Review",
    "blocked": "Blocked",
    "done": "Done",
}
JIRA_TYPE = {"feature": "Feature", "story": "Story", "objective": "PI Objective"}
PEOPLE = ("Ana Costa", "Ben Okafor", "Chloé Martin", "Dmitri Volkov", "Eva Lindqvist")


def pi_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight of the PI's first day."""
    day = now.astimezone(tz).date() - timedelta(days=PI_DAYS_BEFORE_NOW)
    return datetime(day.year, day.month, day.day, tzinfo=tz)


@dataclass
class World:
    spec: TrainSpec
    now: datetime  # the real "now": the second sync
    jira: FakeJira = field(init=False)
    github: FakeGitHub = field(init=False)
    keys: dict[str, str] = field(default_factory=dict)  # ref → tracker key
    sprints: dict[tuple[str, int], int] = field(default_factory=dict)  # (project, it) → id
    milestones: dict[tuple[str, int], int] = field(default_factory=dict)  # (repo, it) → number
    clock: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.tz = ZoneInfo(self.spec.timezone)
        self.start = pi_start(self.now, self.tz)
        self.first_sync = self.now - WEEK
        self.clock = self.first_sync
        self.items = {item.ref: item for item in self.spec.items}

    # -- time --------------------------------------------------------------------------------

    def at(self, day: float) -> datetime:
        local = self.start + timedelta(days=day)
        return local.astimezone(UTC).replace(microsecond=0)

    def ms(self, moment: datetime) -> int:
        return int(moment.timestamp()) * 1000

    def _now_ms(self) -> int:
        return self.ms(self.clock)

    def iteration_start(self, n: int) -> datetime:
        return self.at((n - 1) * ITERATION_DAYS)

    # -- build -------------------------------------------------------------------------------

    def build(self) -> World:
        """Start both fakes and fill them with the train as it stood at the first sync."""
        projects = (*self.spec.jira_projects, *self.spec.outside_projects)
        self.jira = FakeJira(
            issues=0,
            projects=tuple(_project(key) for key in projects),
            time_zone=self.spec.timezone,
            email=JIRA_EMAIL,
            token=JIRA_TOKEN,
            clock=self._now_ms,
        )
        self.github = FakeGitHub(repo_names=self.spec.repos, issues_per_repo=0, token=GITHUB_TOKEN)
        self.github.set_clock(self.at(-30))
        self._calendar()
        for item in self.spec.items:
            if item.home.startswith("jira:"):
                self._jira_item(item)
        for item in self.spec.items:
            if item.home.startswith("github:"):
                self._github_item(item)
        for dep in self.spec.dependencies:
            self._depend(dep, self.at(dep.day))
        self.github.set_clock(self.first_sync - timedelta(minutes=5))
        return self

    def start_servers(self) -> tuple[str, str]:
        """(Jira URL, GitHub API URL) of the running sandbox."""
        self.jira.start()
        return self.jira.url, self.github.start()

    def stop(self) -> None:
        for fake in (getattr(self, "jira", None), getattr(self, "github", None)):
            if fake is not None:
                fake.stop()

    def _calendar(self) -> None:
        for n in range(1, ITERATIONS + 1):
            begin = self.iteration_start(n) + timedelta(hours=9)
            end = self.at(n * ITERATION_DAYS - 3) + timedelta(hours=17)
            for project in self.spec.jira_projects:
                self.sprints[project, n] = self.jira.add_sprint(
                    project, f"{project} Sprint {n}", begin, end
                )
            for repo in self.spec.repos:
                number = self.github.add_milestone(repo, f"Iteration {n}", end)
                self.milestones[repo, n] = number
                if end < self.first_sync:
                    self.github.close_milestone(repo, number, at=end)

    def _jira_item(self, item: ItemSpec) -> None:
        project = item.home.split(":", 1)[1]
        team = next((t for t in self.spec.teams if t.name == item.team), None)
        first = item.carried_from or item.iteration
        at_creation = [self.sprints[project, first]] if first and item.planned_day is None else []
        key = self.jira.create_issue(
            project,
            summary=item.title,
            type=JIRA_TYPE[item.kind],
            created=self.ms(self.at(item.created_day)),
            team=team.team_id if team else None,
            components=(team.component,) if team and team.component else (),
            labels=(*item.labels, *(() if item.committed else ("uncommitted",))),
            points=3.0 if item.kind == "story" else None,
            sprints=at_creation,
            assignee=PEOPLE[len(self.keys) % len(PEOPLE)] if item.started_day else None,
            business_value=item.business_value,
            actual_business_value=item.actual_business_value,
        )
        self.keys[item.ref] = key
        if first and item.planned_day is not None:
            self.jira.update(
                key, sprints=[self.sprints[project, first]], at=self._ms(item.planned_day)
            )
        if item.carried_from and item.iteration:
            carried = [
                self.sprints[project, item.carried_from],
                self.sprints[project, item.iteration],
            ]
            self.jira.update(
                key, sprints=carried, at=self._ms(item.carried_from * ITERATION_DAYS - 2.5)
            )
        self._jira_progress(key, item)

    def _ms(self, day: float) -> int:
        return self.ms(self.at(day))

    def _jira_progress(self, key: str, item: ItemSpec) -> None:
        if item.started_day is not None:
            self.jira.update(key, status="In Progress", at=self._ms(item.started_day))
        if item.status == "blocked":
            self.jira.update(key, status="Blocked", at=self._ms((item.started_day or 0) + 0.5))
        if item.status == "review":
            self.jira.update(key, status="In Review", at=self._ms((item.started_day or 0) + 1))
        if item.flag is not None:
            self.jira.flag(key, item.flag.reason, at=self._ms(item.flag.day))
            if item.flag.cleared_day is not None:
                self.jira.flag(key, None, at=self._ms(item.flag.cleared_day))
        if item.status == "done":
            self.jira.update(key, status="Done", at=self._ms(item.done_day or item.created_day + 1))

    def _github_item(self, item: ItemSpec) -> None:
        repo = item.home.split(":", 1)[1]
        labels = list(item.labels)
        if item.kind == "feature":
            labels.append("feature")
        if item.kind == "objective":
            labels += ["pi-objective", f"bv:{item.business_value:g}"]
            if item.actual_business_value is not None:
                labels.append(f"bv-actual:{item.actual_business_value:g}")
            if not item.committed:
                labels.append("uncommitted")
        milestone = self.milestones[repo, item.iteration] if item.iteration else None
        doing = item.status == "doing" or item.started_day is not None
        key = self.github.create_issue(
            repo,
            item.title,
            self._body(item),
            labels=labels,
            milestone=milestone,
            created=self.at(item.created_day),
            assignee="octo-" + (item.team or "x").lower() if doing else None,
        )
        self.keys[item.ref] = key
        if item.status == "done":
            self.github.close(key, at=self.at(item.done_day or item.created_day + 1))

    def _body(self, item: ItemSpec) -> str:
        body = re.sub(r"\{([\w.]+)\}", lambda m: self.keys.get(m[1], m[0]), item.body)
        for dep in self.spec.dependencies:
            blocker = self.items[dep.blocker]
            if dep.blocked == item.ref and blocker.home.startswith("jira:"):
                key = self.keys[dep.blocker]
                if key not in body:
                    body += f"\n\nBlocked by {key}."
        return body or f"Part of the {item.team or 'train'} plan."

    # -- links -------------------------------------------------------------------------------

    def _depend(self, dep: DepSpec, when: datetime) -> None:
        blocker, blocked = self.items[dep.blocker], self.items[dep.blocked]
        b_key, d_key = self.keys[dep.blocker], self.keys[dep.blocked]
        on_jira = (blocker.home.startswith("jira:"), blocked.home.startswith("jira:"))
        if on_jira == (True, True):
            self.jira.add_link(b_key, d_key, at=self.ms(when))
        elif on_jira == (False, False):
            self.github.add_dependency(d_key, b_key, at=when)
        elif on_jira == (False, True):  # a Jira item waits on a GitHub issue: a remote link
            self.jira.add_remote_link(
                d_key, self.github_url(b_key), "is blocked by", at=self.ms(when)
            )
        # GitHub blocked by Jira: the "Blocked by KEY" line written into the body at creation

    def github_url(self, key: str) -> str:
        """The issue's github.com address, as a Jira remote link names it (the connector maps
        it to the GitHub item by owner/name#number, whatever the host)."""
        repo, number = key.split("#")
        return f"https://github.com/{repo}/issues/{number}"

    # -- the week ----------------------------------------------------------------------------

    def advance(self) -> list[Change]:
        """Apply the simulated week; returns the changes that tell the story."""
        for change in sorted(self.spec.week, key=lambda c: c.hours):
            self._apply(change, self.first_sync + timedelta(hours=change.hours))
        self.clock = self.now
        self.github.set_clock(self.now - timedelta(minutes=1))
        return [c for c in self.spec.week if c.story]

    def _apply(self, change: Change, when: datetime) -> None:
        item, key = self.items[change.ref], self.keys[change.ref]
        self.clock = when
        if item.home.startswith("jira:"):
            self._apply_jira(change, key, item, self.ms(when))
        else:
            self._apply_github(change, key, item, when)

    def _apply_jira(self, change: Change, key: str, item: ItemSpec, when: int) -> None:
        project = item.home.split(":", 1)[1]
        if change.what == "status":
            self.jira.update(key, status=JIRA_STATUS[str(change.value)], at=when)
        elif change.what == "iteration":
            self.jira.update(key, sprints=[self.sprints[project, int(change.value or 0)]], at=when)
        elif change.what == "flag":
            self.jira.flag(key, str(change.value), at=when)
        elif change.what == "unflag":
            self.jira.flag(key, None, at=when)
        elif change.what == "label":
            self.jira.update(key, add_label=str(change.value), at=when)
        elif change.what == "depend":
            self._depend(
                DepSpec(str(change.value), change.ref), datetime.fromtimestamp(when / 1000, UTC)
            )

    def _apply_github(self, change: Change, key: str, item: ItemSpec, when: datetime) -> None:
        repo = item.home.split(":", 1)[1]
        if change.what == "status" and change.value == "done":
            self.github.close(key, at=when)
        elif change.what == "iteration":
            self.github.set_milestone(key, self.milestones[repo, int(change.value or 0)], at=when)
        elif change.what in ("label", "flag"):
            self.github.label(
                key, "blocked" if change.what == "flag" else str(change.value), at=when
            )
        elif change.what == "unflag":
            self.github.unlabel(key, "blocked", at=when)
        elif change.what == "depend":
            self._depend(DepSpec(str(change.value), change.ref), when)


def _project(key: str) -> ProjectSpec:
    names = {"SHOP": "Shop", "PAY": "Payments", "PLAT": "Platform", "SEC": "Security"}
    components = {
        "SHOP": ("Web checkout", "Mobile app"),
        "PAY": ("Ledger", "Risk"),
        "PLAT": ("Infrastructure", "Data"),
        "SEC": ("AppSec",),
    }
    return ProjectSpec(key, names[key], "", components[key], PEOPLE, "")
