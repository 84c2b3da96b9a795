"""Gather the report objects now and at the previous digest's instant, and diff them.

The event history is stored, so "then" is computed exactly: the same reports run ``as_of``
the previous digest's instant (``since``); no snapshot is kept. What changed:

* **new** dependencies: open now, not open then; **resolved**: open then, not open now (the
  blocker is done or the link is gone), shown as they stood then;
* **aged**: open then and now, younger than ``aging_threshold_days`` then and at least that
  old now (a new dependency already older than that is listed as new, with its age);
* **turned red**: open then and now, not red then, red now (a new red one is listed as new);
* **newly blocked** / **unblocked**: blocked now and not then / blocked then and not now;
* **newly stalled**: stalled now and not then (``reports.stalled``, as ``report blocked``
  lists them: in progress with no meaningful activity for ``[flow] stalled_days``).

A dependency is identified by its (blocker, blocked) pair and an item by (source, key).
A team's slice (``DigestSettings.team``) keeps the team's own items and the items it blocks:
dependencies with the team at either end, blocked items of the team or waiting on one of its
items, root blockers of the team or holding up an item of the slice.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from reports.blocked import BlockedItem, BlockedReport, blocked_report
from reports.dependencies import (
    BUCKETS,
    OUTSIDE,
    UNMAPPED,
    Dependency,
    DependencyReport,
    bucket,
    dependency_report,
)
from reports.digest.health import source_notes
from reports.digest.model import BlockingTeam, Changes, Digest, SourceRun, top
from reports.state import ReportContext
from reports.views import ItemView, Ref

HEALTH_ORDER = {"red": 0, "amber": 1, "green": 2}
PairKey = tuple[Ref, Ref]


@dataclass(frozen=True, slots=True)
class DigestSettings:
    aging_threshold_days: int = 14
    max_items: int = 10
    board_url: str | None = None
    team: str | None = None  # None: the whole train


@dataclass(frozen=True, slots=True)
class Facts:
    """The report objects a digest is made of: now (``as_of``) and then (``since``)."""

    timezone: str
    since: datetime
    now_deps: DependencyReport
    now_blocked: BlockedReport
    then_deps: DependencyReport
    then_blocked: BlockedReport


def gather(session: Session, ctx: ReportContext, since: datetime, timezone: str) -> Facts:
    """Run the reports as of ``ctx.as_of`` and as of ``since`` (clamped to ``as_of``)."""
    then = dataclasses.replace(ctx, as_of=min(since, ctx.as_of))
    return Facts(
        timezone=timezone,
        since=then.as_of,
        now_deps=dependency_report(session, ctx, include_resolved=True),  # resolved: as now
        now_blocked=blocked_report(session, ctx),
        then_deps=dependency_report(session, then),
        then_blocked=blocked_report(session, then),
    )


def compose(facts: Facts, settings: DigestSettings, runs: Mapping[str, SourceRun]) -> Digest:
    """One recipient's digest from the facts: the train's, or ``settings.team``'s slice."""
    scope = _Scope(settings.team, facts)
    n = settings.max_items
    now_open = [d for d in facts.now_deps.dependencies if d.state == "open" and scope.dep(d)]
    then_open = [d for d in facts.then_deps.dependencies if d.state == "open" and scope.dep(d)]
    now_blocked = [b for b in facts.now_blocked.blocked if scope.blocked(b)]
    then_blocked = [b for b in facts.then_blocked.blocked if scope.blocked(b)]
    changes = _changes(facts, settings, now_open, then_open, now_blocked, then_blocked, scope)
    roots = {r for b in now_blocked for r in b.root_blockers}
    root_list = [
        r for r in facts.now_blocked.root_blockers if scope.team is None or r.item.ref in roots
    ]
    teams = Counter(b.item.team or UNMAPPED for b in now_blocked)
    return Digest(
        train=facts.now_deps.header.train,
        timezone=facts.timezone,
        team=settings.team,
        since=facts.since,
        as_of=facts.now_deps.header.as_of,
        sources=source_notes(facts.now_deps.header, runs, facts.timezone),
        changes=changes,
        aging_threshold_days=settings.aging_threshold_days,
        open_dependencies=len(now_open),
        red_dependencies=sum(1 for d in now_open if d.health == "red"),
        oldest_cross_team=top([d for d in now_open if d.cross_team], n),
        blocked_total=len(now_blocked),
        blocked_by_team=tuple(sorted(teams.items(), key=lambda kv: (-kv[1], kv[0]))),
        root_blockers=top(root_list, n),
        blocking_teams=_blocking_teams(now_open, settings),
        age_buckets=_age_buckets(now_open, facts.now_deps.header.as_of),
        board_url=settings.board_url,
    )


def _changes(
    facts: Facts,
    settings: DigestSettings,
    now_open: list[Dependency],
    then_open: list[Dependency],
    now_blocked: list[BlockedItem],
    then_blocked: list[BlockedItem],
    scope: _Scope,
) -> Changes:
    n, limit = settings.max_items, settings.aging_threshold_days
    then_map = {_pair(d): d for d in then_open}
    now_keys = {_pair(d) for d in now_open}
    # a resolved one is shown as it stands now (its blocker done), when the report has it
    now_all = {_pair(d): d for d in facts.now_deps.dependencies if scope.dep(d)}
    both = [(then_map[_pair(d)], d) for d in now_open if _pair(d) in then_map]
    was_blocked = {b.item.ref for b in then_blocked}
    is_blocked = {b.item.ref for b in now_blocked}
    was_stalled = {s.ref for s in facts.then_blocked.stalled}
    return Changes(
        new_dependencies=top(_worst_first(d for d in now_open if _pair(d) not in then_map), n),
        resolved_dependencies=top(
            [now_all.get(_pair(d), d) for d in then_open if _pair(d) not in now_keys], n
        ),
        aged=top([d for t, d in both if t.age_days < limit <= d.age_days], n),
        turned_red=top([d for t, d in both if t.health != "red" and d.health == "red"], n),
        newly_blocked=top([b for b in now_blocked if b.item.ref not in was_blocked], n),
        unblocked=top([b.item for b in then_blocked if b.item.ref not in is_blocked], n),
        newly_stalled=top(
            [
                s
                for s in facts.now_blocked.stalled
                if s.ref not in was_stalled and scope.item(s.item)
            ],
            n,
        ),
    )


def _pair(d: Dependency) -> PairKey:
    return d.blocker.ref, d.blocked.ref


def _worst_first(deps: Iterable[Dependency]) -> list[Dependency]:
    return sorted(deps, key=lambda d: (HEALTH_ORDER.get(d.health, 3), d.created_at))


def team_label(view: ItemView) -> str:
    if view.team is not None:
        return view.team
    return OUTSIDE if view.outside_train else UNMAPPED


def _blocking_teams(
    open_deps: list[Dependency], settings: DigestSettings
) -> tuple[BlockingTeam, ...]:
    by_team: dict[str, list[Dependency]] = defaultdict(list)
    for d in open_deps:
        if d.cross_team and d.blocker.team is not None:
            by_team[d.blocker.team].append(d)
    found = [
        BlockingTeam(
            team=team,
            items=len({d.blocked.ref for d in deps}),
            teams=len({team_label(d.blocked) for d in deps}),
            dependencies=top(deps, settings.max_items),
        )
        for team, deps in by_team.items()
        if settings.team is None or team == settings.team
    ]
    return tuple(sorted(found, key=lambda b: (-b.items, b.team)))


def _age_buckets(
    open_deps: list[Dependency], as_of: datetime
) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    """Open dependencies per providing team (the blocker's) and age bucket."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d in open_deps:
        counts[team_label(d.blocker)][bucket(as_of - d.created_at)] += 1
    return tuple(
        (team, tuple((name, counts[team][name]) for name, _ in BUCKETS)) for team in sorted(counts)
    )


class _Scope:
    """Which dependencies, blocked items and items belong to a team's slice."""

    def __init__(self, team: str | None, facts: Facts) -> None:
        self.team = team
        self.team_of: dict[Ref, str | None] = {}
        for report in (facts.then_deps, facts.now_deps):
            for d in report.dependencies:
                for view in (d.blocker, d.blocked):
                    self.team_of[view.ref] = view.team
        for blocked in (facts.then_blocked, facts.now_blocked):
            for b in blocked.blocked:
                self.team_of[b.item.ref] = b.item.team
            for r in blocked.root_blockers:
                self.team_of[r.item.ref] = r.item.team

    def dep(self, d: Dependency) -> bool:
        return self.team is None or self.team in (d.blocker.team, d.blocked.team)

    def item(self, view: ItemView) -> bool:
        return self.team is None or view.team == self.team

    def blocked(self, b: BlockedItem) -> bool:
        if self.team is None or b.item.team == self.team:
            return True
        return any(self.team_of.get(r) == self.team for r in (*b.blocked_by, *b.root_blockers))
