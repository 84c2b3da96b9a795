"""Dependency aging: open blocks-links, their age, health and who waits on whom.

Definitions (``docs/design.md``):

* A dependency is a blocks-link (blocker → blocked), **open** while the link is present and the
  blocker is not done. Two links describing the same (blocker, blocked) pair (e.g. a Jira remote
  link and a GitHub text reference) are one dependency: the earliest ``created_at`` and that
  link's origin are kept.
* **Age** = ``as_of`` - ``created_at`` (resolved ones: ``resolved_at`` - ``created_at``);
  ``created_at`` is when the link was (last) added.
* **Cross-team** when the teams differ; an unmapped end, or one outside the train, never counts
  as the same team (the ITEM shows ``team`` null / ``outside_train`` true).
* **Health**: the one rule of ``reports.health`` (red: blocker planned later than the blocked
  item, or unplanned while it is planned; same iteration: ``[dependencies] same_iteration``,
  amber by default; neither planned: amber; otherwise green; resolved ones are green).
* ``--all`` adds dependencies **resolved** within the current PI (the one containing ``as_of``):
  open at some instant since the PI started but not at ``as_of``; ``resolved_at`` is when they
  last stopped being open (link removed or blocker done).
* Age buckets count open dependencies by the whole days of their age as shown (``age_days``
  rounded down): 0-7, 8-14, 15-30, >30. A dependency shown as 8.0 days old (7 days 23 hours)
  is in 8-14, never in a bucket its own row contradicts; 7.5 days is in 0-7.
* The matrix counts open dependencies per (waiting team = blocked item's team, providing team =
  blocker's team), with the total days waited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reports.gcpause import gc_paused
from reports.header import build_header
from reports.hygiene import findings
from reports.pairs import (
    OUTSIDE,
    UNMAPPED,
    Analysis,
    Pair,
    analyse,
    cross_team,
    health,
    slack,
    team_label,
)
from reports.state import ReportContext, StateReader
from reports.views import Finding, Header, ItemView, days, median_days

__all__ = [  # the pair analysis lived here; other modules may still import it from here
    "OUTSIDE",
    "UNMAPPED",
    "Analysis",
    "Pair",
    "analyse",
    "health",
    "slack",
]
BUCKETS = (("0-7", 7), ("8-14", 14), ("15-30", 30), (">30", None))


@dataclass(frozen=True, slots=True)
class Dependency:
    state: str  # "open" | "resolved"
    origin: str
    created_at: datetime
    resolved_at: datetime | None
    age_days: float
    cross_team: bool
    health: str  # "red" | "amber" | "green"
    blocker: ItemView
    blocked: ItemView


@dataclass(frozen=True, slots=True)
class DependencySummary:
    open: int
    cross_team: int
    red: int
    amber: int
    green: int
    median_age_days: float


@dataclass(frozen=True, slots=True)
class MatrixCell:
    waiting: str
    providing: str
    open: int
    days_waited: float


@dataclass(frozen=True, slots=True)
class DependencyReport:
    header: Header
    summary: DependencySummary
    dependencies: tuple[Dependency, ...]
    matrix: tuple[MatrixCell, ...]
    buckets: tuple[tuple[str, int], ...]
    hygiene: tuple[Finding, ...]
    include_resolved: bool


# -- the report --------------------------------------------------------------------------------


def bucket(age: timedelta) -> str:
    whole = int(days(age))  # the age as shown, so a row and its bucket agree
    for name, limit in BUCKETS:
        if limit is None or whole <= limit:
            return name
    raise AssertionError("unreachable")


@gc_paused  # a million short-lived objects, no cycles: see reports.gcpause
def dependency_report(
    session: Session, ctx: ReportContext, *, include_resolved: bool = False
) -> DependencyReport:
    """Open dependencies as of ``ctx.as_of`` (and, with ``include_resolved``, those resolved
    within the current PI), oldest first."""
    reader = StateReader(session, ctx)
    pi = reader.train.pi_at(reader.t)
    since = pi.start if include_resolved and pi is not None else None
    if since is not None:
        reader.widen(since)
    analysis = analyse(reader, resolved_since=since)
    deps: list[tuple[Pair, Dependency]] = []
    for pair in analysis.pairs:
        if not pair.open and pair.resolved_at is None:
            continue
        end = pair.resolved_at if pair.resolved_at is not None else reader.t
        deps.append(
            (
                pair,
                Dependency(
                    state="open" if pair.open else "resolved",
                    origin=pair.link.origin,
                    created_at=pair.created_at,
                    resolved_at=pair.resolved_at,
                    age_days=days(end - pair.created_at),
                    cross_team=cross_team(analysis, pair),
                    health=health(analysis, pair),
                    blocker=analysis.view(pair.blocker, pair.link),
                    blocked=analysis.view(pair.blocked, pair.link),
                ),
            )
        )
    deps.sort(
        key=lambda d: (d[1].created_at, d[1].blocked.source, d[1].blocked.key, d[1].blocker.key)
    )
    open_pairs = [(p, d) for p, d in deps if d.state == "open"]
    return DependencyReport(
        header=build_header(session, ctx, reader),
        summary=_summary([d for _, d in open_pairs], reader.t),
        dependencies=tuple(d for _, d in deps),
        matrix=_matrix(analysis, open_pairs, reader.t),
        buckets=_buckets([p for p, _ in open_pairs], reader.t),
        hygiene=findings(analysis),
        include_resolved=include_resolved,
    )


def _summary(open_deps: Sequence[Dependency], t: datetime) -> DependencySummary:
    ages = sorted(t - d.created_at for d in open_deps)
    median = median_days(ages) or 0.0
    colours = {c: sum(1 for d in open_deps if d.health == c) for c in ("red", "amber", "green")}
    return DependencySummary(
        open=len(open_deps),
        cross_team=sum(1 for d in open_deps if d.cross_team),
        median_age_days=median,
        **colours,
    )


def _matrix(
    analysis: Analysis, open_pairs: Sequence[tuple[Pair, Dependency]], t: datetime
) -> tuple[MatrixCell, ...]:
    cells: dict[tuple[str, str], list[timedelta]] = defaultdict(list)
    for pair, _ in open_pairs:
        key = (team_label(analysis, pair.blocked), team_label(analysis, pair.blocker))
        cells[key].append(t - pair.created_at)
    return tuple(
        MatrixCell(waiting, providing, len(ages), days(sum(ages, timedelta())))
        for (waiting, providing), ages in sorted(cells.items())
    )


def _buckets(open_pairs: Sequence[Pair], t: datetime) -> tuple[tuple[str, int], ...]:
    counts = dict.fromkeys((name for name, _ in BUCKETS), 0)
    for pair in open_pairs:
        counts[bucket(t - pair.created_at)] += 1
    return tuple(counts.items())
