"""Blocked work: what is blocked at ``as_of``, why, since when, and what holds it up.

Definitions (``docs/design.md``):

* An item is **blocked** when it is not done and any of: flagged (when ``blocked.flagged``), in
  a configured blocked status, carrying a configured blocked label (both case-insensitive), or
  the blocked end of an open dependency. Only train items are listed; items outside the train
  still count as links in the chains below.
* **Blocked since**: the start of the current uninterrupted blocked episode, replayed from
  history over the union of all reasons (a flag cleared while a dependency stays open does not
  end the episode); never before the item was created.
* **Blocked by**: the blockers of the item's open dependencies.
* **Root blockers**: follow blocked-by edges transitively until an item has no open blocked-by
  edge of its own (it is not blocked by anything further, though it may itself be flagged);
  those are the roots. **Impact** = the number of distinct blocked items a root holds up,
  directly or not. Dependency **cycles** (strongly connected groups of blocked items) are
  reported once each, from their smallest (source, key), each item waiting on the next, and
  never looped on; a cycle with no way out has no root blocker.
* Counts per team (``(unmapped)`` for items no team owns) and per iteration (``(unplanned)``).
* **Stalled** items (``reports.stalled``: in progress, no meaningful activity for
  ``[flow] stalled_days``) are listed in their own section, blocked or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from reports.gcpause import gc_paused
from reports.header import build_header
from reports.hygiene import findings
from reports.pairs import UNMAPPED, Analysis, analyse
from reports.stalled import StalledItem, stalled_items
from reports.state import TICK, ItemState, Node, ReportContext, StateReader, runs
from reports.views import Finding, Header, ItemView, Ref, days

UNPLANNED = "(unplanned)"
EPISODE_WINDOWS = (timedelta(days=14), timedelta(days=90))


@dataclass(frozen=True, slots=True)
class BlockedItem:
    item: ItemView
    reasons: tuple[str, ...]
    flag_reason: str | None
    blocked_since: datetime
    blocked_days: float
    blocked_by: tuple[Ref, ...]
    root_blockers: tuple[Ref, ...]


@dataclass(frozen=True, slots=True)
class RootBlocker:
    item: ItemView
    impact: int


@dataclass(frozen=True, slots=True)
class BlockedSummary:
    blocked: int
    by_team: tuple[tuple[str, int], ...]
    by_iteration: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class BlockedReport:
    header: Header
    summary: BlockedSummary
    blocked: tuple[BlockedItem, ...]
    root_blockers: tuple[RootBlocker, ...]
    cycles: tuple[tuple[Ref, ...], ...]
    hygiene: tuple[Finding, ...]
    stalled: tuple[StalledItem, ...] = ()
    stalled_days: float = 5.0


@gc_paused  # a million short-lived objects, no cycles: see reports.gcpause
def blocked_report(session: Session, ctx: ReportContext) -> BlockedReport:
    # episodes replay the last two weeks first: read the links for that window once
    reader = StateReader(session, ctx, horizon=ctx.as_of - EPISODE_WINDOWS[0])
    analysis = analyse(reader)
    graph, reasons = blocked_at(reader, analysis)
    present = [lk for lk in reader.links() if lk.present_at(reader.t)]
    urls = {lk.blocker: lk.blocker_url for lk in present}
    urls |= {lk.blocked: lk.blocked_url for lk in present}
    view = _Viewer(reader, analysis.states, urls)
    roots, cycles = root_blockers(graph, key=lambda n: _ref_key(view(n).ref))
    rows = reader.rows([n for n in graph if isinstance(n, int)])
    listed = sorted(n for n in rows if reader.is_train_item(rows[n]))
    since = episode_starts(reader, listed)
    shown = set(listed) | {m for n in listed for m in (*graph[n], *roots.get(n, ()))}
    states = {**reader.states([n for n in shown if isinstance(n, int)]), **analysis.states}
    view.states = states
    items = [
        _blocked_item(view, states[n], reasons[n], graph[n], roots.get(n, ()), since[n], reader)
        for n in listed
        if n in states
    ]
    items.sort(key=lambda b: (b.blocked_since, b.item.source, b.item.key))
    impact = Counter(r for n in graph for r in roots.get(n, ()))
    tops = sorted(
        (RootBlocker(view(r), count) for r, count in impact.items()),
        key=lambda rb: (-rb.impact, rb.item.source, rb.item.key),
    )
    return BlockedReport(
        header=build_header(session, ctx, reader),
        summary=_summary(items),
        blocked=tuple(items),
        root_blockers=tuple(tops),
        cycles=tuple(sorted(tuple(view(n).ref for n in cycle) for cycle in cycles)),
        hygiene=findings(analysis),
        stalled=stalled_items(session, ctx, reader),
        stalled_days=ctx.stalled_days,
    )


class _Viewer:
    def __init__(
        self, reader: StateReader, states: Mapping[int, ItemState], urls: Mapping[Node, str]
    ) -> None:
        self.reader, self.urls = reader, urls
        self.states: Mapping[int, ItemState] = states

    def __call__(self, node: Node) -> ItemView:
        if isinstance(node, int) and node in self.states:
            return self.reader.view(self.states[node])
        if isinstance(node, int):
            row = self.reader.rows([node])[node]
            kind = self.reader.source_kinds.get(row.source_id, "")
            return StateReader.unstored_view(kind, row.key, row.url)
        return StateReader.unstored_view(node[0], node[1], self.urls.get(node, ""))


def _blocked_item(
    view: _Viewer,
    state: ItemState,
    reasons: tuple[str, ...],
    blocked_by: Sequence[Node],
    roots: Iterable[Node],
    since: datetime,
    reader: StateReader,
) -> BlockedItem:
    return BlockedItem(
        item=view(state.row.id),
        reasons=reasons,
        flag_reason=state.flag_reason if "flagged" in reasons else None,
        blocked_since=since,
        blocked_days=days(reader.t - since),
        blocked_by=tuple(sorted((view(n).ref for n in blocked_by), key=_ref_key)),
        root_blockers=tuple(sorted((view(n).ref for n in roots), key=_ref_key)),
    )


def _ref_key(ref: Ref) -> tuple[str, str]:
    return ref.source, ref.key


def _summary(items: Sequence[BlockedItem]) -> BlockedSummary:
    teams = Counter(b.item.team or UNMAPPED for b in items)
    iterations = Counter(b.item.iteration or UNPLANNED for b in items)
    return BlockedSummary(
        len(items), tuple(sorted(teams.items())), tuple(sorted(iterations.items()))
    )


def blocked_at(
    reader: StateReader, analysis: Analysis
) -> tuple[dict[Node, Sequence[Node]], dict[int, tuple[str, ...]]]:
    """Who is blocked at T: blocked-by edges per blocked item, and each one's reasons.

    Candidates are the train items SQL finds possibly flagged, in a blocked status or carrying
    a blocked label, plus every stored blocked end of an open dependency (inside the train or
    not: chains may pass through items outside it).
    """
    ctx = reader.ctx
    waits: dict[Node, list[Node]] = {}
    for pair in analysis.pairs:
        if pair.open:
            waits.setdefault(pair.blocked, []).append(pair.blocker)
    nodes = reader.blocked_candidates(reader.t + TICK)
    nodes |= {n for n in waits if isinstance(n, int)}
    snaps = reader.snapshot(nodes)
    rows = reader.rows(list(snaps))
    statuses = ctx.status_set
    graph: dict[Node, Sequence[Node]] = {}
    reasons: dict[int, tuple[str, ...]] = {}
    for n, snap in snaps.items():
        gone = rows[n].missing_since
        if snap.done or (gone is not None and gone <= reader.t):
            continue
        why = (
            ctx.blocked_flagged and snap.flagged,
            snap.status.casefold() in statuses,
            bool(snap.labels),
            n in waits,
        )
        if any(why):
            reasons[n] = tuple(r for r, on in zip(StateReader.REASONS, why, strict=True) if on)
            graph[n] = tuple(sorted(set(waits.get(n, ())), key=_node_key))
    return graph, reasons


# -- episodes ----------------------------------------------------------------------------------


def episode_starts(reader: StateReader, ids: Sequence[int]) -> dict[int, datetime]:
    """When each blocked item's current blocked episode began.

    Replays a short window first and widens it only for items blocked throughout, so a report
    reads the history of long-blocked items only.
    """
    found: dict[int, datetime] = {}
    pending = list(ids)
    rows = reader.rows(ids)
    windows: list[datetime | None] = [reader.t - span for span in EPISODE_WINDOWS]
    windows.append(None)
    for window in windows:
        if not pending:
            break
        w0 = window if window is not None else min(rows[n].created_at for n in pending)
        timelines = reader.blocked_timelines(pending, w0)
        still: list[int] = []
        for n in pending:
            created = rows[n].created_at
            episodes = runs(timelines[n].blocked)
            start = episodes[-1][0] if episodes and episodes[-1][1] is None else reader.t
            if (start is None or start <= w0) and w0 > created and window is not None:
                still.append(n)
                continue
            found[n] = max(start if start is not None else w0, created)
        pending = still
    return found


# -- the graph ---------------------------------------------------------------------------------


def root_blockers(
    graph: Mapping[Node, Sequence[Node]], key: Callable[[Node], tuple[str, str]]
) -> tuple[dict[Node, frozenset[Node]], list[list[Node]]]:
    """Roots per blocked node, and the cycles, over blocked-by edges (``graph[n]`` = blockers).

    A successor that is not a key of ``graph`` (not blocked) or has no blockers of its own ends
    the chain: it is a root. Strongly connected groups (Tarjan, iterative) are handled as one
    node, so cycles are found once and never walked around.
    """
    components = _components(graph)
    member_of = {n: i for i, comp in enumerate(components) for n in comp}
    roots_of: list[frozenset[Node]] = []
    for index, comp in enumerate(components):  # successors' components come first
        found: set[Node] = set()
        for n in comp:
            for s in graph.get(n, ()):
                if member_of.get(s) == index:
                    continue
                if not graph.get(s):
                    found.add(s)
                else:
                    found |= roots_of[member_of[s]]
        roots_of.append(frozenset(found))
    roots = {n: roots_of[member_of[n]] for n in graph if roots_of[member_of[n]]}
    cycles = [
        _walk(comp, graph, key)
        for comp in components
        if len(comp) > 1 or comp[0] in graph.get(comp[0], ())
    ]
    return roots, cycles


def _components(graph: Mapping[Node, Sequence[Node]]) -> list[list[Node]]:
    """Tarjan's strongly connected components, without recursion, successors first."""
    index: dict[Node, int] = {}
    low: dict[Node, int] = {}
    stack: list[Node] = []
    on_stack: set[Node] = set()
    out: list[list[Node]] = []
    counter = 0
    for start in sorted(graph, key=_node_key):
        if start in index:
            continue
        work: list[tuple[Node, int]] = [(start, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = [s for s in graph.get(node, ()) if s in graph]
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp: list[Node] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    comp.append(member)
                    if member == node:
                        break
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def _walk(
    comp: Sequence[Node], graph: Mapping[Node, Sequence[Node]], key: Callable[[Node], Any]
) -> list[Node]:
    """The members of a cycle from its smallest key, following edges where it can."""
    members = set(comp)
    node = min(comp, key=key)
    order = [node]
    while len(order) < len(members):
        nxt = sorted((s for s in graph.get(node, ()) if s in members and s not in order), key=key)
        if not nxt:
            order.extend(sorted(members - set(order), key=key))
            break
        node = nxt[0]
        order.append(node)
    return order


def _node_key(node: Node) -> tuple[int, int, str, str]:
    return (0, node, "", "") if isinstance(node, int) else (1, 0, node[0], node[1])
