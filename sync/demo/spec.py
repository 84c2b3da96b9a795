"""The vocabulary of the bundled demo train: teams, items, dependencies and the week's changes.

A train is plain data. Times are offsets: ``day`` counts days (fractions allowed) from the first
day of the PI at local midnight, so the train reads like a PI's story ("flagged on day 20");
``hours`` in a week change counts hours after the first sync. ``sync.demo.world`` turns the data
into tracker state on the sandbox; the known answers in ``sync.demo.known`` follow from it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["todo", "doing", "review", "blocked", "done"]
Kind = Literal["feature", "story", "objective"]


@dataclass(frozen=True)
class TeamSpec:
    """One team of the train and the rule that maps tracker items to it."""

    name: str
    jira_project: str | None = None  # the project its Jira items live in
    component: str | None = None  # rule: Jira component
    team_id: str | None = None  # rule: the Jira Team field's id
    repo: str | None = None  # rule: GitHub repository (owner/name)


@dataclass(frozen=True)
class Flag:
    day: float
    reason: str
    cleared_day: float | None = None


@dataclass(frozen=True)
class ItemSpec:
    """One tracker item. ``home`` is "jira:PROJECT" or "github:owner/name"."""

    ref: str  # symbolic name, used by dependencies and changes
    home: str
    title: str
    team: str | None = None  # None: no team rule matches (unmapped), or outside the train
    kind: Kind = "story"
    iteration: int | None = None  # sprint / milestone of the PI (1-5); None: the backlog
    status: Status = "todo"
    created_day: float = -7.0
    planned_day: float | None = None  # when it was put in its sprint; None: at creation
    started_day: float | None = None  # moved to In Progress
    done_day: float | None = None
    carried_from: int | None = None  # was in this iteration's sprint first (carried over)
    flag: Flag | None = None
    labels: tuple[str, ...] = ()
    business_value: float | None = None
    actual_business_value: float | None = None
    committed: bool = True
    body: str = ""  # GitHub issue body (text references); "{ref}" names another item's key


@dataclass(frozen=True)
class DepSpec:
    """``blocker`` blocks ``blocked`` from ``day``. How it is recorded follows the two homes:
    Jira↔Jira an issue link, GitHub↔GitHub a GitHub dependency, a Jira item blocked by a GitHub
    issue a Jira remote link, a GitHub issue blocked by a Jira item a "Blocked by KEY" line in
    the GitHub issue's body (a text reference)."""

    blocker: str
    blocked: str
    day: float = 0.4


@dataclass(frozen=True)
class Change:
    """One change of the simulated week, ``hours`` after the first sync."""

    hours: float
    what: Literal["status", "iteration", "flag", "unflag", "depend", "label"]
    ref: str
    value: str | int | None = None  # new status, iteration, flag reason, blocker ref, label
    story: str = ""  # what the change means, printed by the demo


@dataclass(frozen=True)
class TrainSpec:
    name: str
    timezone: str
    teams: tuple[TeamSpec, ...]
    jira_projects: tuple[str, ...]  # synced projects
    outside_projects: tuple[str, ...]  # projects outside the train (linked, not synced)
    repos: tuple[str, ...]
    items: tuple[ItemSpec, ...]
    dependencies: tuple[DepSpec, ...]
    week: tuple[Change, ...] = field(default=())
