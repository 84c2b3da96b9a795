"""The program board of one PI as plain values: cards in team rows and iteration columns,
the dependency strings between them, and the stubs where a string leaves the board.

Rules (``docs/design.md``, issue 11 §1), all as of ``ctx.as_of``:

* **Cards** are the train's items of the board's level (``feature``: epics and features;
  ``story``: stories, tasks and bugs) planned in one of the PI's iterations, plus the level's
  unfinished train items planned in no iteration that are an end of an open dependency with a
  planned card (the "unplanned" column). A card sits in its planned iteration (a carried-over
  item in its latest sprint); ``carried_from`` names the earlier iterations it was planned in.
* **Rows**: the train's teams in their order, then "(unmapped)" when it holds cards, then
  "(outside the train)" when it holds stubs.
* **Strings**: the open dependencies with at least one end a planned card, exactly as
  ``report dependencies`` builds them (one health rule, ``reports.health``, with
  ``[dependencies] same_iteration``), each with ``slack_iterations`` = blocked item's iteration
  index - blocker's over the train's calendar (negative = conflict; None when either end is
  unplanned). A done blocker ends the dependency: it is not one of the strings; such links
  that still stand (a present link to a done blocker, the blocked item not done) are kept apart
  as ``done_dependencies`` (state ``blocker_done``, green), drawn only when asked for.
* **Stubs**: a string's end that is not a card (outside the train, planned in another PI, or of
  another level) is a stub with its key, tracker and iteration. It sits in its own row and, when
  its iteration is on the board, in that column; otherwise beside the card it connects to.
* **Marks** on cards (blocked with reasons, stalled, should be unblocked, carried over):
  ``reports.board.cards``.
* **Layers**: the drift layer (``reports.drift``) against the PI's baseline, sharing this
  board's analysis for the current side; each team's objectives (``reports.objectives``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from reports.baseline import BaselineChoiceError
from reports.board.cards import LEVELS, Card, Marks, level_items, level_types, make_cards
from reports.dependencies import Dependency
from reports.drift import DriftLayer, drift_with_analysis
from reports.header import build_header
from reports.hygiene import findings
from reports.objectives import ObjectivesLayer, objectives_layer
from reports.pairs import OUTSIDE, UNMAPPED, Analysis, Pair, analyse, cross_team, health, slack
from reports.plan import find_pi
from reports.stalled import stalled_since
from reports.state import (
    ItemState,
    Node,
    PIInfo,
    ReportContext,
    ReportError,
    StateReader,
)
from reports.views import Finding, Header, ItemView, days


@dataclass(frozen=True, slots=True)
class Stub:
    """A string's end that is not a card; ``column`` None is the "unplanned" column."""

    item: ItemView
    row: str
    column: str | None
    why: str  # "outside_train" | "other_pi" | "unplanned" | "other_level"


@dataclass(frozen=True, slots=True)
class BoardDependency:
    dependency: Dependency
    slack_iterations: int | None


@dataclass(frozen=True, slots=True)
class BoardReport:
    header: Header
    timezone: str
    pi: PIInfo
    level: str
    rows: tuple[str, ...]
    cards: tuple[Card, ...]
    dependencies: tuple[BoardDependency, ...]
    done_dependencies: tuple[BoardDependency, ...]  # a done blocker: drawn only on request
    stubs: tuple[Stub, ...]
    drift: DriftLayer | None
    drift_note: str | None  # why there is no drift layer
    objectives: ObjectivesLayer
    hygiene: tuple[Finding, ...]


def board_report(
    session: Session,
    ctx: ReportContext,
    pi_name: str | None = None,
    *,
    level: str = "feature",
    baseline: str | None = None,
    parse_time: Callable[[str], datetime | None] | None = None,
) -> BoardReport:
    """The board of PI ``pi_name`` at ``ctx.as_of``, cards of ``level`` (see ``LEVELS``).

    Without ``pi_name``: the PI containing ``as_of``, else the latest one started by then.

    The drift layer compares with ``baseline`` (a stored baseline's name, or a time that
    ``parse_time`` reads; a bad one raises ``BaselineChoiceError``), by default the PI's own
    baseline; when that has not come yet at ``as_of`` the board has no drift layer and says why.
    """
    if level not in LEVELS:
        raise ReportError(f"unknown board level {level!r}; use one of: {', '.join(LEVELS)}")
    reader = StateReader(session, ctx)
    pi = find_pi(reader.train, pi_name) if pi_name is not None else _current_pi(reader)
    analysis = analyse(reader)
    types = level_items(reader, pi, LEVELS[level])
    states = reader.states(list(types))
    planned = {
        n: s
        for n, s in states.items()
        if not s.outside and s.iteration is not None and s.iteration.pi == pi.name
    }
    touching = [p for p in analysis.pairs if p.blocker in planned or p.blocked in planned]
    pairs = [p for p in touching if p.open]
    done_pairs = [p for p in touching if p.present and not p.open and analysis.done(p.blocker)]
    ends = {n for p in pairs for n in (p.blocker, p.blocked) if isinstance(n, int)}
    others = ends - set(planned)
    unplanned = {
        n: s
        for n, s in analysis.states.items()
        if n in others and not s.outside and not s.done and s.iteration is None
    }
    end_types = level_types(reader, unplanned)
    unplanned = {n: s for n, s in unplanned.items() if end_types.get(n) in LEVELS[level]}
    types |= end_types
    on_board = planned | unplanned
    hygiene = findings(analysis)
    marks = Marks(
        waits=frozenset(p.blocked for p in analysis.pairs if p.open),
        stalled=frozenset(stalled_since(reader)),
        unblock=frozenset(f.refs[0] for f in hygiene if f.kind == "should_be_unblocked"),
    )
    cards = make_cards(reader, on_board, types, marks)
    deps = [_dependency(reader, analysis, p) for p in pairs]
    done = [_dependency(reader, analysis, p, "blocker_done") for p in done_pairs]
    stubs = _stubs(analysis, [*pairs, *done_pairs], on_board, pi)
    drift, note = _drift(session, ctx, pi.name, baseline, parse_time, analysis)
    rows = _rows(reader, cards, stubs)
    return BoardReport(
        header=build_header(session, ctx, reader),
        timezone=reader.train.tz.key,
        pi=pi,
        level=level,
        rows=rows,
        cards=tuple(sorted(cards, key=lambda c: _card_order(c, pi, rows))),
        dependencies=tuple(sorted(deps, key=_dependency_order)),
        done_dependencies=tuple(sorted(done, key=_dependency_order)),
        stubs=tuple(stubs),
        drift=drift,
        drift_note=note,
        objectives=objectives_layer(session, ctx, pi.name),
        hygiene=hygiene,
    )


def _current_pi(reader: StateReader) -> PIInfo:
    started = [pi for pi in reader.train.pis if pi.start <= reader.t]
    if not started:
        name, day = reader.train.name, f"{reader.t:%Y-%m-%d}"
        raise ReportError(f"no PI of train {name!r} has started by {day}")
    return reader.train.pi_at(reader.t) or max(started, key=lambda pi: pi.start)


def _dependency(
    reader: StateReader, analysis: Analysis, pair: Pair, state: str = "open"
) -> BoardDependency:
    dep = Dependency(
        state=state,
        origin=pair.link.origin,
        created_at=pair.created_at,
        resolved_at=None,
        age_days=days(reader.t - pair.created_at),
        cross_team=cross_team(analysis, pair),
        health=health(analysis, pair),
        blocker=analysis.view(pair.blocker, pair.link),
        blocked=analysis.view(pair.blocked, pair.link),
    )
    return BoardDependency(dep, slack(analysis, pair))


def _stubs(
    analysis: Analysis, pairs: Sequence[Pair], cards: Mapping[int, ItemState], pi: PIInfo
) -> list[Stub]:
    found: dict[tuple[str, str], Stub] = {}
    for pair in pairs:
        for node, other in ((pair.blocker, pair.blocked), (pair.blocked, pair.blocker)):
            if node in cards or not isinstance(other, int):
                continue  # one end of each drawn pair is a (stored) card
            item = analysis.view(node, pair.link)
            if (item.source, item.key) in found:
                continue
            found[(item.source, item.key)] = _stub(analysis, node, item, cards[other], pi)
    return sorted(found.values(), key=lambda s: (s.item.source, s.item.key))


def _stub(analysis: Analysis, node: Node, item: ItemView, card: ItemState, pi: PIInfo) -> Stub:
    iteration = analysis.iteration(node)
    beside = card.iteration.name if card.iteration else None
    if item.outside_train:
        in_pi = iteration is not None and iteration.pi == pi.name
        return Stub(item, OUTSIDE, iteration.name if in_pi and iteration else beside,
                    "outside_train")  # fmt: skip
    row = item.team or UNMAPPED
    if iteration is None:
        return Stub(item, row, beside, "unplanned")
    if iteration.pi != pi.name:
        return Stub(item, row, beside, "other_pi")
    return Stub(item, row, iteration.name, "other_level")


def _drift(
    session: Session,
    ctx: ReportContext,
    pi: str,
    baseline: str | None,
    parse_time: Callable[[str], datetime | None] | None,
    analysis: Analysis,
) -> tuple[DriftLayer | None, str | None]:
    try:
        layer, _ = drift_with_analysis(session, ctx, pi, baseline, parse_time, analysis)
    except BaselineChoiceError as exc:
        if baseline is not None:
            raise  # the caller asked for that baseline: a usage error
        return None, str(exc)  # e.g. as of before the PI's baseline
    return layer, None


def _rows(reader: StateReader, cards: Sequence[Card], stubs: Sequence[Stub]) -> tuple[str, ...]:
    teams = [name for _, name in sorted(reader.train.teams.items())]
    used = {c.row for c in cards} | {s.row for s in stubs}
    extra = [label for label in (UNMAPPED, OUTSIDE) if label in used]
    return (*teams, *extra)


def _dependency_order(d: BoardDependency) -> tuple[datetime, str, str, str]:
    dep = d.dependency
    return (dep.created_at, dep.blocked.source, dep.blocked.key, dep.blocker.key)


def _card_order(card: Card, pi: PIInfo, rows: Sequence[str]) -> tuple[int, int, str, str]:
    columns = {it.name: n for n, it in enumerate(pi.iterations)}
    column = columns.get(card.planned_iteration or "", len(columns))
    return (rows.index(card.row), column, card.item.source, card.item.key)
