"""The board's cards: which items of a level a PI's board shows, and what marks each one.

* The **level**'s types (``LEVELS``): ``feature`` = epics and features; ``story`` = stories,
  tasks and bugs. ``level_items`` finds, in SQL, the level's items of the train's sources that
  may be planned in the PI at T (a superset: the reader says exactly where each stood).
* **Blocked** (``reports.blocked``'s rule, for the cards only): not done and flagged (when
  configured), in a blocked status, carrying a blocked label, or the blocked end of an open
  dependency; the reasons in ``StateReader.REASONS`` order, the flag's reason when flagged.
* **Stalled** (``reports.stalled``) and **should be unblocked** (the hygiene finding) come in
  as ``Marks``.
* **Carried from**: the iterations before a card's planned one that a sprint value of its
  history up to T mapped to (Jira's Sprint field keeps the sprints an item was carried over
  from; a GitHub milestone move names the one it left), oldest first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import exists, or_, select

from model.tables import Event, WorkItem
from reports.pairs import UNMAPPED
from reports.state import ItemState, IterationInfo, Node, PIInfo, StateReader, chunks
from reports.views import ItemView, Ref

LEVELS: dict[str, tuple[str, ...]] = {
    "feature": ("epic", "feature"),
    "story": ("story", "task", "bug"),
}


@dataclass(frozen=True, slots=True)
class Card:
    item: ItemView
    type: str
    row: str  # the team, UNMAPPED or OUTSIDE
    planned_iteration: str | None  # None: the "unplanned" column
    carried_from: tuple[str, ...]  # earlier iterations it was planned in, oldest first
    blocked: bool
    reasons: tuple[str, ...]
    flag_reason: str | None
    stalled: bool
    should_be_unblocked: bool


def level_items(reader: StateReader, pi: PIInfo, types: Sequence[str]) -> dict[int, str]:
    """Ids (and types) of the level's items of the train's sources that may be planned in the
    PI at T, a superset in SQL: the stored sprint maps into the PI, or it changed after T."""
    sprints = [sid for sid, it in reader.sprint_iteration.items() if it.pi == pi.name]
    moved = exists(
        select(Event.id).where(
            Event.item_id == WorkItem.id, Event.field == "sprint", Event.at > reader.t
        )
    )
    query = select(WorkItem.id, WorkItem.type).where(
        WorkItem.type.in_(types),
        WorkItem.source_id.in_(sorted(reader.train_sources)),
        WorkItem.created_at <= reader.t,
        or_(WorkItem.sprint_id.in_(sprints), moved),
    )
    return {n: kind for n, kind in reader.session.execute(query)}


def level_types(reader: StateReader, ids: Collection[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for batch in chunks(sorted(ids)):
        query = select(WorkItem.id, WorkItem.type).where(WorkItem.id.in_(batch))
        found.update((n, kind) for n, kind in reader.session.execute(query))
    return found


@dataclass(frozen=True, slots=True)
class Marks:
    """What marks a card: open dependencies it waits on, stalled items, should-be-unblocked."""

    waits: frozenset[Node]
    stalled: frozenset[int]
    unblock: frozenset[Ref]


def make_cards(
    reader: StateReader,
    states: Mapping[int, ItemState],
    types: Mapping[int, str],
    marks: Marks,
) -> list[Card]:
    carried = _carried_from(reader, states)
    found: list[Card] = []
    for n, state in states.items():
        reasons = _blocked_reasons(reader, state, n in marks.waits)
        view = reader.view(state)
        found.append(
            Card(
                item=view,
                type=types.get(n, ""),
                row=state.team or UNMAPPED,
                planned_iteration=state.iteration.name if state.iteration else None,
                carried_from=carried.get(n, ()),
                blocked=bool(reasons),
                reasons=reasons,
                flag_reason=state.flag_reason if "flagged" in reasons else None,
                stalled=n in marks.stalled,
                should_be_unblocked=view.ref in marks.unblock,
            )
        )
    return found


def _blocked_reasons(reader: StateReader, state: ItemState, waits: bool) -> tuple[str, ...]:
    """Why the item is blocked at T (``StateReader.REASONS`` order); empty: not blocked."""
    if state.done:
        return ()
    ctx = reader.ctx
    why = (
        ctx.blocked_flagged and state.flagged,
        state.status.casefold() in ctx.status_set,
        bool(state.labels),
        waits,
    )
    return tuple(r for r, on in zip(StateReader.REASONS, why, strict=True) if on)


def _carried_from(
    reader: StateReader, states: Mapping[int, ItemState]
) -> dict[int, tuple[str, ...]]:
    """Per item, the iterations before its planned one that a sprint value of its history up
    to T mapped to (a Jira Sprint field keeps the sprints an item was carried over from)."""
    earlier: dict[int, set[IterationInfo]] = defaultdict(set)
    planned = {n: s for n, s in states.items() if s.iteration is not None}
    for batch in chunks(sorted(planned)):
        query = select(Event.item_id, Event.from_value, Event.to_value).where(
            Event.field == "sprint", Event.at <= reader.t, Event.item_id.in_(batch)
        )
        for item_id, from_v, to_v in reader.session.execute(query):
            assert item_id is not None
            state = planned[item_id]
            current = state.iteration
            assert current is not None
            for value in (from_v, to_v):
                for name in (value or "").split(","):
                    it = reader.tracker_sprint_iteration.get((state.row.source_id, name.strip()))
                    if it is not None and it.start < current.start:
                        earlier[item_id].add(it)
    return {
        n: tuple(it.name for it in sorted(its, key=lambda it: it.start))
        for n, its in earlier.items()
    }
