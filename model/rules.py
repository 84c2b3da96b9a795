"""Pure rules: the team owning an item, the iteration a tracker sprint is, status categories.

Team precedence (first match wins; within one rule kind, teams in config order):

1. ``jira_team_ids``   — the Jira Team field is an explicit statement of ownership
2. ``jira_components`` — a component names a part of a project a team owns
3. ``labels``          — labels split a shared project or repository
4. ``jira_projects``   — a whole project
5. ``github_repos``    — a whole repository

Specific rules come before broad ones so a project shared by two teams can be split by component
or label. An item no rule matches has no team ("unmapped"): never dropped, always counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class TeamRules(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def jira_team_ids(self) -> Sequence[str]: ...
    @property
    def jira_components(self) -> Sequence[str]: ...
    @property
    def labels(self) -> Sequence[str]: ...
    @property
    def jira_projects(self) -> Sequence[str]: ...
    @property
    def github_repos(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """What team rules look at. ``tracker`` is "jira" or "github"; ``container`` the project key
    or "owner/repo"."""

    tracker: str
    container: str
    team_field: str | None = None
    components: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


PRECEDENCE = ("jira_team_ids", "jira_components", "labels", "jira_projects", "github_repos")


def resolve_team(facts: ItemFacts, teams: Sequence[TeamRules]) -> str | None:
    """The owning team's name, or None (unmapped). Labels, projects and repos ignore case."""
    labels = {label.casefold() for label in facts.labels}
    for rule in PRECEDENCE:
        for team in teams:
            if _matches(rule, team, facts, labels):
                return team.name
    return None


def _matches(rule: str, team: TeamRules, facts: ItemFacts, labels: set[str]) -> bool:
    if rule == "jira_team_ids":
        return facts.tracker == "jira" and facts.team_field in team.jira_team_ids
    if rule == "jira_components":
        return facts.tracker == "jira" and bool(set(facts.components) & set(team.jira_components))
    if rule == "labels":
        return any(label.casefold() in labels for label in team.labels)
    if rule == "jira_projects":
        # Jira answers keys upper-case; a config may not: project keys are case-insensitive.
        wanted = {project.casefold() for project in team.jira_projects}
        return facts.tracker == "jira" and facts.container.casefold() in wanted
    if rule == "github_repos":
        wanted = {repo.casefold() for repo in team.github_repos}
        return facts.tracker == "github" and facts.container.casefold() in wanted
    raise ValueError(f"unknown team rule {rule!r}")


@dataclass(frozen=True, slots=True)
class IterationSpan:
    """A train iteration: local calendar days [start, end) in the train's time zone."""

    id: int
    name: str
    start: date
    end: date


def iteration_for_sprint(
    name: str,
    start: datetime | None,
    end: datetime | None,
    iterations: Sequence[IterationSpan],
    tz: ZoneInfo,
) -> int | None:
    """Map a tracker sprint to a train iteration: by date overlap, else by name.

    Overlap counts whole local days shared by the sprint [start, end] and the iteration; the
    largest wins, ties to the iteration that starts first. A sprint with only an end date (a GitHub
    milestone's due date) maps to the iteration containing that day. Without dates, a sprint
    whose name equals or contains an iteration's name maps to it (longest name wins).
    """
    if start is not None or end is not None:
        first = (start or end).astimezone(tz).date()  # type: ignore[union-attr]
        last = (end or start).astimezone(tz).date()  # type: ignore[union-attr]
        if end is not None and start is not None and last < first:
            first, last = last, first
        best: tuple[int, int] | None = None  # (overlap days, -start day): ties go earlier
        chosen: int | None = None
        for it in iterations:
            overlap = (min(last, _day_before(it.end)) - max(first, it.start)).days + 1
            score = (overlap, -it.start.toordinal())
            if overlap > 0 and (best is None or score > best):
                best, chosen = score, it.id
        if chosen is not None:
            return chosen
    return _by_name(name, iterations)


def _day_before(day: date) -> date:
    return date.fromordinal(day.toordinal() - 1)


def _by_name(name: str, iterations: Iterable[IterationSpan]) -> int | None:
    wanted = _norm(name)
    if not wanted:
        return None
    best: tuple[int, int] | None = None
    for it in iterations:
        candidate = _norm(it.name)
        # Whole words only: "PI 26.4 · I1" must not match a sprint named "PI 26.4 I12".
        if candidate and f" {candidate} " in f" {wanted} ":
            score = (1 if candidate == wanted else 0, len(candidate))
            if best is None or score > best[:2]:
                best = (*score, it.id)  # type: ignore[assignment]
    return best[2] if best else None  # type: ignore[misc]


def _norm(text: str) -> str:
    return " ".join("".join(c if c.isalnum() or c == "." else " " for c in text.casefold()).split())


# Status categories -------------------------------------------------------------------------

JIRA_CATEGORY = {"new": "todo", "indeterminate": "in_progress", "done": "done"}
DONE_WORDS = frozenset(
    {
        "done",
        "closed",
        "resolved",
        "complete",
        "completed",
        "released",
        "shipped",
        "cancelled",
        "canceled",
        "won't do",
        "wont do",
        "rejected",
    }
)
TODO_WORDS = frozenset(
    {
        "to do",
        "todo",
        "open",
        "backlog",
        "new",
        "selected for development",
        "ready",
        "reopened",
        "funnel",
        "analyzing",
    }
)


def status_category(status: str, tracker_category: str | None = None) -> str:
    """The category ("todo", "in_progress", "done") of a raw status.

    The tracker's own category wins (Jira ``statusCategory.key``: new / indeterminate / done;
    or an already-normalised value); otherwise well-known names decide, and anything else
    counts as in progress (a status someone moved an item into is work that started).
    """
    if tracker_category:
        key = tracker_category.casefold()
        if key in JIRA_CATEGORY:
            return JIRA_CATEGORY[key]
        if key in ("todo", "in_progress", "done"):
            return key
    name = status.strip().casefold().replace("\u2019", "'")  # typographic "Won\u2019t Do"
    if name in DONE_WORDS:
        return "done"
    if name in TODO_WORDS or not name:
        return "todo"
    return "in_progress"
