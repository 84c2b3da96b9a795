"""An item's planned iteration at T: where the board places it.

The rule (``docs/design.md``; Jira's Sprint field keeps every sprint an item has been in,
closed ones included):

* an **unfinished** item is planned in its open sprint at T (active or future: not closed by
  T), the latest one mapped to a train iteration when there are several; an unfinished item
  whose sprints are all closed by T went back to the backlog and is **unplanned**;
* a **done** item is planned in the sprint it was done in: of its sprints, the latest mapped one
  still open at its done moment, the start of its final stretch in a done category (the
  tracker's resolution date when the status has not changed since T, else replayed from the
  status history). A done item whose sprints had all closed before it was done was done from
  the backlog: unplanned. With no done moment known, its latest mapped sprint counts.

A sprint is closed from its completion date (else its end date) when the tracker says it is
closed; sprints without a state or not closed are open. Only the sprint ids of the item at T
matter (the stored one, or the ``from_value`` of its first sprint event after T).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from reports.state.context import IterationInfo
from reports.state.events import EventReader

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SprintAt:
    """One of an item's sprints: the train iteration it maps to, and when it closed."""

    iteration: IterationInfo | None
    closed_at: datetime | None  # None: not closed (now)

    def open_at(self, when: datetime) -> bool:
        return self.closed_at is None or self.closed_at > when


def planned_iteration(
    sprints: Sequence[SprintAt], *, done: bool, done_at: datetime | None, t: datetime
) -> IterationInfo | None:
    """The planned iteration at ``t`` of an item in ``sprints`` (the module's rule)."""
    if not done:
        return _latest(s for s in sprints if s.open_at(t))
    if done_at is None:
        return _latest(sprints)
    return _latest(s for s in sprints if s.closed_at is None or s.closed_at >= done_at)


def _latest(sprints: Iterable[SprintAt]) -> IterationInfo | None:
    mapped = [s.iteration for s in sprints if s.iteration is not None]
    return max(mapped, key=lambda it: it.start) if mapped else None


class PlannedIterations(EventReader):
    """``iteration_at``: the planned iteration of stored items at T."""

    def iteration_at(self, ids: Collection[int]) -> dict[int, IterationInfo | None]:
        rows = self.rows(ids)
        later = self._first_after("sprint", ids, self.t)
        snaps = self.snapshot(ids)
        sprints: dict[int, list[SprintAt]] = {}
        for item_id, row in rows.items():
            if item_id in later:
                sprints[item_id] = self._tracker_sprints(row.source_id, later[item_id][0])
            elif row.sprint_id is not None:
                sprints[item_id] = [
                    SprintAt(
                        self.sprint_iteration.get(row.sprint_id),
                        self.sprint_closed.get(row.sprint_id),
                    )
                ]
            else:
                sprints[item_id] = []
        done = {i: snaps[i].done if i in snaps else rows[i].category == "done" for i in rows}
        needs_moment = [
            i for i in rows if done[i] and any(not s.open_at(self.t) for s in sprints[i])
        ]
        moments = self.done_moments(needs_moment)
        return {
            i: planned_iteration(sprints[i], done=done[i], done_at=moments.get(i), t=self.t)
            for i in rows
        }

    def _tracker_sprints(self, source_id: int, value: str | None) -> list[SprintAt]:
        found: list[SprintAt] = []
        for raw in (value or "").split(","):
            key = (source_id, raw.strip())
            if key[1]:
                found.append(
                    SprintAt(
                        self.tracker_sprint_iteration.get(key), self.tracker_sprint_closed.get(key)
                    )
                )
        return found

    def done_moments(self, ids: Collection[int]) -> dict[int, datetime]:
        """When each item (done at T) last became done: its ``resolved_at`` (the tracker's
        resolution date) when its status did not change after T; else the start of its final
        done stretch up to T, replayed from its status events."""
        rows = self.rows(ids)
        changed_later = self._first_after("status", list(rows), self.t)
        found: dict[int, datetime] = {}
        replay: list[int] = []
        for item_id, row in rows.items():
            if item_id in changed_later or row.resolved_at is None or row.resolved_at > self.t:
                replay.append(item_id)
            else:
                found[item_id] = row.resolved_at
        events = self._between("status", replay, EPOCH)
        for item_id in replay:
            row = rows[item_id]
            since: datetime | None = None
            for at, _, to_v, _ in events.get(item_id, ()):
                if self.category(row, to_v or "") != "done":
                    since = None
                elif since is None:
                    since = at
            if since is not None:
                found[item_id] = since
        return found
