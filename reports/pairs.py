"""Dependency pairs at T and the analysis every dependency-reading report shares.

A dependency is a blocks-link (blocker → blocked), **open** while the link is present and the
blocker is not done. Two links describing the same (blocker, blocked) pair (e.g. a Jira remote
link and a GitHub text reference) are one dependency: the earliest ``created_at`` and that
link's origin are kept. ``analyse`` builds the pairs once; ``report dependencies``, hygiene,
``report blocked``, flow, the PI plan and the board read them from the same :class:`Analysis`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from reports.health import iteration_health, slack_iterations
from reports.state import (
    ItemRow,
    ItemState,
    IterationInfo,
    LinkRow,
    Node,
    Snap,
    StateReader,
    Steps,
    runs,
)
from reports.views import ItemView, Ref

UNMAPPED = "(unmapped)"
OUTSIDE = "(outside the train)"


# -- pairs ---------------------------------------------------------------------------------------


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

    def iteration(self, node: Node) -> IterationInfo | None:
        """The planned iteration at T of a stored end (None: unplanned or not stored)."""
        state = self.states.get(node) if isinstance(node, int) else None
        return state.iteration if state is not None else None

    def team_id(self, node: Node) -> int | None:
        if self.outside(node):
            return None
        assert isinstance(node, int)
        return self.rows[node].team_id


def analyse(
    reader: StateReader, *, resolved_since: datetime | None = None, views: bool = True
) -> Analysis:
    """The train's dependency pairs at T (plus, with ``resolved_since``, those resolved since).

    Pairs present at T whose blocker is done are kept only when the blocked item is not done
    (hygiene reports them); full item states are read only for the ends of kept pairs, and not
    at all with ``views=False`` (hygiene alone needs none: flow's findings).
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
    states = reader.states(shown) if views else {}
    return Analysis(reader, tuple(pairs), snaps, rows, states)


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


# -- health, teams --------------------------------------------------------------------------


def health(analysis: Analysis, pair: Pair) -> str:
    """The pair's health (``reports.health``): green once the blocker is done (resolved)."""
    if analysis.done(pair.blocker):
        return "green"
    give, need = analysis.iteration(pair.blocker), analysis.iteration(pair.blocked)
    return iteration_health(give, need, analysis.reader.ctx.same_iteration)


def slack(analysis: Analysis, pair: Pair) -> int | None:
    """Iterations the blocker is planned before the blocked item (None: either unplanned)."""
    give, need = analysis.iteration(pair.blocker), analysis.iteration(pair.blocked)
    return slack_iterations(give, need, analysis.reader.train.iterations)


def cross_team(analysis: Analysis, pair: Pair) -> bool:
    mine, theirs = analysis.team_id(pair.blocked), analysis.team_id(pair.blocker)
    return mine is None or theirs is None or mine != theirs


def team_label(analysis: Analysis, node: Node) -> str:
    if analysis.outside(node):
        return OUTSIDE
    assert isinstance(node, int)
    team_id = analysis.rows[node].team_id
    return analysis.reader.train.teams.get(team_id, UNMAPPED) if team_id is not None else UNMAPPED
