"""The train as it stood at any instant, rebuilt from stored rows and their event history.

Most SQL in ``reports`` is here: every report reads the tracker history (items, events, links)
through :class:`StateReader`. The other modules that query the database read what is not
history or is their own aggregate: sync health (``header``), stored baselines and the PI's
configured ``baseline_at`` (``baseline``, ``plan``), feature and objective candidates
(``plan``, ``objectives``), and ``flow``'s streamed status events. Datetime columns are
read raw and converted by ``reports.state.stamps`` (the column type's own conversion costs
several times more, on every event a report reads).

How a value is known at instant T (the event semantics the sync engine guarantees):

* A work item exists at T iff ``created_at <= T``; it is missing from ``missing_since`` on.
* An item field (status, flag, sprint) at T is the ``from_value`` of the field's first event
  after T; with no later event it is the stored (current) value. On a consistent history this is
  the ``to_value`` of the last event at or before T, and before the first event that event's
  ``from_value``, as the engine documents; reading backwards from the stored row means a report
  as of now needs no history at all, and one as of T reads only the events after T.
* Labels at T: the stored labels with every later label event undone (only the configured
  blocked labels are tracked).
* A link is present at T iff its last link event at or before T is "added" (links without any
  event fall back to ``created_at``/``removed_at``). A dependency's ``created_at`` is the start
  of the link's current presence: a link removed and re-added ages from its re-adding.
* Status categories come from ``status_categories`` (per source), else ``model.rules``; the
  stored status keeps its stored category.
* Team: the stored ``team_id`` (teams have no history).
* Iteration: the item's planned iteration at T (``reports.state.planned``): an unfinished item's
  open sprint at T mapped to a train iteration (``tracker_sprints``), unplanned when all its
  sprints are closed; a done item's sprint it was done in.

Time windows ``[w0, T]`` carry a value "as it stood just before w0" plus every change in the
window, so blocked episodes and flow figures replay exactly what happened in between. Queries
are pushed into SQL and restricted to the items a report needs, in chunks; no report loads the
whole history.
"""

from reports.state.base import sprint_closed_at
from reports.state.context import (
    TICK,
    IterationInfo,
    PIInfo,
    ReportContext,
    ReportError,
    TrainInfo,
    load_train,
)
from reports.state.planned import SprintAt, planned_iteration
from reports.state.reader import StateReader
from reports.state.rows import (
    CHUNK,
    BlockedTimeline,
    ItemRow,
    ItemState,
    LinkRow,
    Node,
    Snap,
    category_of,
    chunks,
)
from reports.state.steps import Steps, combine, runs, steps_from_intervals

__all__ = [
    "CHUNK",
    "TICK",
    "BlockedTimeline",
    "ItemRow",
    "ItemState",
    "IterationInfo",
    "LinkRow",
    "Node",
    "PIInfo",
    "ReportContext",
    "ReportError",
    "Snap",
    "SprintAt",
    "StateReader",
    "Steps",
    "TrainInfo",
    "category_of",
    "chunks",
    "combine",
    "load_train",
    "planned_iteration",
    "runs",
    "sprint_closed_at",
    "steps_from_intervals",
]
