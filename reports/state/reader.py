"""``StateReader``: the one reader every report goes through, assembled from its parts.

Context and calendar (``context``), stored rows (``base``), field histories (``events``), the
planned iteration (``planned``), link presence (``links``) and the blocking rules
(``blocking``), tracker activity (``activity``); this module adds the item states reports show.
"""

from __future__ import annotations

from collections.abc import Collection

from reports.state.activity import ActivityReader
from reports.state.blocking import BlockingRules
from reports.state.planned import PlannedIterations
from reports.state.rows import ItemState


class StateReader(BlockingRules, PlannedIterations, ActivityReader):
    """Reads the train as of ``ctx.as_of``; caches the link table and item rows it has read."""

    def states(self, ids: Collection[int]) -> dict[int, ItemState]:
        """Items at T, as shown in reports (items not yet created at T are left out; cached)."""
        todo = [i for i in ids if i not in self._states]
        snaps = self.snapshot(todo)
        rows = self.rows(list(snaps))
        reasons = self.flag_reasons([i for i, snap in snaps.items() if snap.flagged])
        iterations = self.iteration_at(list(snaps))
        for item_id, snap in snaps.items():
            row = rows[item_id]
            self._states[item_id] = ItemState(
                row=row,
                status=snap.status,
                category=snap.category,
                iteration=iterations.get(item_id),
                flagged=snap.flagged,
                flag_reason=reasons.get(item_id),
                labels=snap.labels,
                team=self.train.teams.get(row.team_id) if row.team_id is not None else None,
                outside=not self.is_train_item(row),
            )
        return {i: self._states[i] for i in ids if i in self._states}
