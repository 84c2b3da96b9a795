"""Hygiene findings: tracker data that makes the board lie, as of the report's ``as_of``.

Kinds (``docs/design.md``), each listing the items involved:

* ``blocked_by_done``: a train item not done is still linked as blocked by an item that is done
  (the link should go, or the blocker reopen);
* ``should_be_unblocked``: a train item not done, still flagged (when flags mean blocked) or
  carrying a blocked label, whose dependencies (present blocks-links to it) are all done: the
  mark outlived its blockers. Refs: the item, then its blockers;
* ``blocker_outside_train``: an open dependency whose blocker is outside the train (not synced,
  or fetched one hop outside the configured scope);
* ``unmapped_team``: an open dependency with an end in the train that no team rule maps;
* ``flag_without_reason``: a train item flagged, not done, with no reason given;
* ``same_team_dependency``: an open dependency between two items of one team; counted apart
  from cross-team dependencies (it is the team's own sequencing, not a train string).
"""

from __future__ import annotations

from collections import defaultdict

from reports.pairs import Analysis, Pair
from reports.state import Node
from reports.views import Finding, Ref

KINDS = (
    "blocked_by_done",
    "should_be_unblocked",
    "blocker_outside_train",
    "unmapped_team",
    "flag_without_reason",
    "same_team_dependency",
)


def findings(analysis: Analysis) -> tuple[Finding, ...]:
    """Every finding, grouped by kind in the order of ``KINDS``, then by item key."""
    found: list[Finding] = []
    for pair in analysis.pairs:
        found.extend(_pair_findings(analysis, pair))
    found.extend(should_be_unblocked(analysis))
    found.extend(_flags_without_reason(analysis))
    order = {kind: n for n, kind in enumerate(KINDS)}
    return tuple(sorted(found, key=lambda f: (order[f.kind], [(r.source, r.key) for r in f.refs])))


def _ref(analysis: Analysis, pair: Pair, blocker: bool) -> Ref:
    return analysis.ref(pair.blocker if blocker else pair.blocked)


def _pair_findings(analysis: Analysis, pair: Pair) -> list[Finding]:
    blocker, blocked = _ref(analysis, pair, True), _ref(analysis, pair, False)
    refs = (blocked, blocker)
    found: list[Finding] = []
    done_blocker = pair.present and analysis.done(pair.blocker)
    if done_blocker and not analysis.done(pair.blocked) and not analysis.outside(pair.blocked):
        found.append(
            Finding(
                "blocked_by_done",
                f"{blocked.key} is still linked as blocked by {blocker.key}, which is done",
                refs,
            )
        )
    if not pair.open:
        return found
    if analysis.outside(pair.blocker):
        found.append(
            Finding(
                "blocker_outside_train",
                f"{blocked.key} is blocked by {blocker.key}, which is outside the train",
                refs,
            )
        )
    unmapped = [
        ref
        for node, ref in ((pair.blocked, blocked), (pair.blocker, blocker))
        if not analysis.outside(node) and analysis.team_id(node) is None
    ]
    if unmapped:
        names = " and ".join(r.key for r in unmapped)
        found.append(
            Finding(
                "unmapped_team",
                f"{blocker.key} → {blocked.key} involves {names}, which no team owns",
                refs,
            )
        )
    mine, theirs = analysis.team_id(pair.blocked), analysis.team_id(pair.blocker)
    if mine is not None and mine == theirs:
        team = analysis.reader.train.teams.get(mine, "?")
        found.append(
            Finding(
                "same_team_dependency",
                f"{blocker.key} → {blocked.key} is within team {team} (not counted as cross-team)",
                refs,
            )
        )
    return found


def should_be_unblocked(analysis: Analysis) -> list[Finding]:
    """Items still marked blocked (flag or blocked label) whose dependencies are all done."""
    incoming: dict[Node, list[Pair]] = defaultdict(list)
    for pair in analysis.pairs:
        if pair.present:
            incoming[pair.blocked].append(pair)
    flags_count = analysis.reader.ctx.blocked_flagged
    found: list[Finding] = []
    for node, pairs in incoming.items():
        snap = analysis.snaps.get(node) if isinstance(node, int) else None
        if snap is None or snap.done or analysis.outside(node):
            continue
        marks = [m for m, on in (("flagged", flags_count and snap.flagged),
                                 ("labelled blocked", bool(snap.labels))) if on]  # fmt: skip
        if not marks or not all(analysis.done(p.blocker) for p in pairs):
            continue
        me = analysis.ref(node)
        blockers = sorted({analysis.ref(p.blocker) for p in pairs})
        names = ", ".join(r.key for r in blockers)
        found.append(
            Finding(
                "should_be_unblocked",
                f"{me.key} is still {' and '.join(marks)} but its dependencies are all done "
                f"({names})",
                (me, *blockers),
            )
        )
    return found


def _flags_without_reason(analysis: Analysis) -> list[Finding]:
    reader = analysis.reader
    states = reader.states(reader.flagged_candidates())
    found: list[Finding] = []
    for state in states.values():
        if state.flagged and not state.done and not state.outside and not state.flag_reason:
            ref = reader.view(state).ref
            found.append(
                Finding("flag_without_reason", f"{ref.key} is flagged without a reason", (ref,))
            )
    return found
