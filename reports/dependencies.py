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
* **Health**: green when the blocker is done or planned in an earlier iteration than the blocked
  item, or planned while the blocked item is not; amber when both are planned in the same
  iteration, or neither is planned (no commitment either way: watch it); red when the blocker
  is planned in a later iteration than the blocked item, or not planned while the blocked item is.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reports.header import build_header
from reports.state import (
    ItemRow,
    ItemState,
    LinkRow,
    Node,
    ReportContext,
    Snap,
    StateReader,
    Steps,
    runs,
)
from reports.views import Finding, Header, ItemView, Ref, days

UNMAPPED = "(unmapped)"
OUTSIDE = "(outside the train)"
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


# -- pairs -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """One (blocker, blocked) pair, deduplicated over the links that describe it."""

    blocker: Node
    blocked: Node
    link: LinkRow  # the link whose created_at is kept
    created_at: datetime
    open: bool
    resolved_at: datetime | None
    present: bool  # some link of the pair is present at T (open or with a done blocker)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Dependencies at T and the item states they need, shared with hygiene and blocked."""

    reader: StateReader
    pairs: tuple[Pair, ...]
    snaps: dict[int, Snap]  # every stored end of a link considered
    rows: dict[int, ItemRow]
    states: dict[int, ItemState]  # the ends of ``pairs``

    def view(self, node: Node, link: LinkRow | None = None) -> ItemView:
        if isinstance(node, int) and node in self.states:
            return self.reader.view(self.states[node])
        if isinstance(node, int):  # stored but not yet created at T: show what the link knows
            row = self.reader.rows([node])[node]
            return StateReader.unstored_view(
                self.reader.source_kinds.get(row.source_id, ""), row.key, row.url
            )
        tracker, key = node
        url = ""
        if link is not None:
            url = link.blocker_url if link.blocker == node else link.blocked_url
        return StateReader.unstored_view(tracker, key, url)

    def ref(self, node: Node) -> Ref:
        """The REF of an end, without building its full view."""
        if isinstance(node, int) and node in self.rows:
            row = self.rows[node]
            name = self.reader.source_names.get(row.source_id, "")
            if node in self.snaps:
                return Ref(name, row.key)
            return Ref(self.reader.source_kinds.get(row.source_id, ""), row.key)
        if isinstance(node, int):
            return self.view(node).ref
        return Ref(node[0], node[1])

    def done(self, node: Node) -> bool:
        return isinstance(node, int) and node in self.snaps and self.snaps[node].done

    def outside(self, node: Node) -> bool:
        if not isinstance(node, int) or node not in self.snaps:
            return True
        return not self.reader.is_train_item(self.rows[node])

    def team_id(self, node: Node) -> int | None:
        if self.outside(node):
            return None
        assert isinstance(node, int)
        return self.rows[node].team_id


def analyse(reader: StateReader, *, resolved_since: datetime | None = None) -> Analysis:
    """The train's dependency pairs at T (plus, with ``resolved_since``, those resolved since).

    Pairs present at T whose blocker is done are kept only when the blocked item is not done
    (hygiene reports them); full item states are read only for the ends of kept pairs.
    """
    t = reader.t
    w0 = resolved_since if resolved_since is not None and resolved_since <= t else None
    links = [lk for lk in reader.links() if lk.present_at(t) or (w0 is not None and lk.touches(w0))]
    ends = {n for lk in links for n in (lk.blocker_id, lk.blocked_id) if n is not None}
    if w0 is None:  # links between two items done at T matter to nobody: skip them in SQL
        active = reader.not_surely_done(ends)
        links = [
            lk for lk in links if _active(lk.blocker_id, active) or _active(lk.blocked_id, active)
        ]
        ends = {n for lk in links for n in (lk.blocker_id, lk.blocked_id) if n is not None}
    snaps = reader.snapshot(ends)
    rows = reader.rows(ends)
    train_items = {n for n in snaps if reader.is_train_item(rows[n])}
    links = [lk for lk in links if lk.blocker_id in train_items or lk.blocked_id in train_items]
    spans = reader.open_steps(links, w0) if w0 is not None else {}
    grouped: dict[tuple[Node, Node], list[LinkRow]] = defaultdict(list)
    for lk in links:
        grouped[(lk.blocker, lk.blocked)].append(lk)
    pairs: list[Pair] = []
    for (blocker, blocked), group in grouped.items():
        blocker_done = isinstance(blocker, int) and blocker in snaps and snaps[blocker].done
        blocked_done = isinstance(blocked, int) and blocked in snaps and snaps[blocked].done
        present = [lk for lk in group if lk.present_at(t)]
        if present and not blocker_done:
            chosen = min(present, key=lambda lk: (lk.added_before(t) or t, lk.id))
            created = chosen.added_before(t) or t
            pairs.append(Pair(blocker, blocked, chosen, created, True, None, True))
            continue
        resolved = _resolved(group, spans, w0) if w0 is not None else None
        if resolved is not None:
            chosen, created, ended = resolved
            pairs.append(Pair(blocker, blocked, chosen, created, False, ended, bool(present)))
        elif present and not blocked_done:  # only hygiene looks at these
            chosen = min(present, key=lambda lk: (lk.added_before(t) or t, lk.id))
            created = chosen.added_before(t) or t
            pairs.append(Pair(blocker, blocked, chosen, created, False, None, True))
    shown = {n for p in pairs for n in (p.blocker, p.blocked) if isinstance(n, int)}
    return Analysis(reader, tuple(pairs), snaps, rows, reader.states(shown))


def _active(end: int | None, active: set[int]) -> bool:
    return end is None or end in active


def _resolved(
    group: Sequence[LinkRow], spans: Mapping[int, Steps[bool]], w0: datetime
) -> tuple[LinkRow, datetime, datetime] | None:
    """(link, created_at, resolved_at) when the pair was open in ``[w0, T]`` but is not at T."""
    found: list[tuple[datetime, LinkRow, datetime]] = []
    ended: datetime | None = None
    for lk in group:
        steps = spans.get(lk.id)
        if steps is None:
            continue
        open_runs = runs(steps)
        if not open_runs:
            continue
        start, end = open_runs[-1]
        assert end is not None  # open at T would have made the pair open
        began = start if start is not None else w0
        created = lk.added_before(began) or began
        found.append((created, lk, end))
        ended = end if ended is None else max(ended, end)
    if not found or ended is None:
        return None
    created, chosen, _ = min(found, key=lambda f: (f[0], f[1].id))
    return chosen, created, ended


# -- the report --------------------------------------------------------------------------------


def health(analysis: Analysis, pair: Pair) -> str:
    if analysis.done(pair.blocker):
        return "green"
    blocker = analysis.states.get(pair.blocker) if isinstance(pair.blocker, int) else None
    blocked = analysis.states.get(pair.blocked) if isinstance(pair.blocked, int) else None
    need = blocked.iteration if blocked else None
    give = blocker.iteration if blocker else None
    if need is None:
        return "green" if give is not None else "amber"
    if give is None or give.start > need.start:
        return "red"
    return "amber" if give.start == need.start else "green"


def cross_team(analysis: Analysis, pair: Pair) -> bool:
    mine, theirs = analysis.team_id(pair.blocked), analysis.team_id(pair.blocker)
    return mine is None or theirs is None or mine != theirs


def team_label(analysis: Analysis, node: Node) -> str:
    if analysis.outside(node):
        return OUTSIDE
    assert isinstance(node, int)
    team_id = analysis.rows[node].team_id
    return analysis.reader.train.teams.get(team_id, UNMAPPED) if team_id is not None else UNMAPPED


def bucket(age: timedelta) -> str:
    whole = int(days(age))  # the age as shown, so a row and its bucket agree
    for name, limit in BUCKETS:
        if limit is None or whole <= limit:
            return name
    raise AssertionError("unreachable")


def dependency_report(
    session: Session, ctx: ReportContext, *, include_resolved: bool = False
) -> DependencyReport:
    """Open dependencies as of ``ctx.as_of`` (and, with ``include_resolved``, those resolved
    within the current PI), oldest first."""
    from reports.hygiene import findings

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
    middle = len(ages) // 2
    if not ages:
        median = 0.0
    elif len(ages) % 2:
        median = days(ages[middle])
    else:
        median = days((ages[middle - 1] + ages[middle]) / 2)
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
