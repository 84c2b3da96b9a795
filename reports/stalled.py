"""Stalled work: items in progress with no meaningful tracker activity for a while.

Definition (``docs/design.md``, issue 11 §4):

* **In progress**: a train item (in scope, existing and not missing at ``as_of``) whose status
  category at ``as_of`` is ``in_progress``.
* **Last activity**: its latest meaningful change at or before ``as_of`` (``reports.state.
  activity``: any status, flag, label, sprint, parent change, edit or comment; not link-only or
  remote-link-only changes, not changes by the ``[flow] bots`` accounts); its ``created_at``
  when it has none.
* **Stalled** when ``as_of`` - last activity >= ``[flow] stalled_days`` (default 5) days.
  ``idle_days`` is that span in days (one decimal).

Listed longest idle first, then by source and key. ``report blocked`` lists them in their own
section; the board marks them; the digest can call :func:`stalled_items` with the same reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reports.state import ReportContext, StateReader
from reports.views import ItemView, Ref, days


@dataclass(frozen=True, slots=True)
class StalledItem:
    item: ItemView
    last_activity_at: datetime
    idle_days: float

    @property
    def ref(self) -> Ref:
        return self.item.ref


def stalled_since(reader: StateReader) -> dict[int, datetime]:
    """Stalled train items at T by stored id, each with its last meaningful activity."""
    limit = timedelta(days=reader.ctx.stalled_days)
    snaps = reader.snapshot(reader.in_progress_candidates())
    rows = reader.rows(list(snaps))
    ids = [
        i
        for i, snap in snaps.items()
        if snap.category == "in_progress" and reader.is_train_item(rows[i])
    ]
    last = reader.last_activity(ids)
    found: dict[int, datetime] = {}
    for item_id in ids:
        at = max(last.get(item_id, rows[item_id].created_at), rows[item_id].created_at)
        if reader.t - at >= limit:
            found[item_id] = at
    return found


def stalled_items(
    session: Session, ctx: ReportContext, reader: StateReader | None = None
) -> tuple[StalledItem, ...]:
    """The stalled items as of ``ctx.as_of`` (pass ``reader`` to share its caches)."""
    reader = reader if reader is not None else StateReader(session, ctx)
    since = stalled_since(reader)
    states = reader.states(list(since))
    found = [
        StalledItem(reader.view(states[i]), at, days(reader.t - at))
        for i, at in since.items()
        if i in states
    ]
    found.sort(key=lambda s: (s.last_activity_at, s.item.source, s.item.key))
    return tuple(found)


def stalled_refs(
    session: Session, ctx: ReportContext, reader: StateReader | None = None
) -> frozenset[Ref]:
    """The REFs of the stalled items (the board's and the digest's mark)."""
    return frozenset(s.ref for s in stalled_items(session, ctx, reader))
