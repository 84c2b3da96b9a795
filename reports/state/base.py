"""The reader's foundation: context, calendar, sources, status categories, sprints, rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from model.tables import Event, Source, StatusCategoryRow, TrackerSprint, WorkItem
from reports.state.context import IterationInfo, ReportContext, load_train
from reports.state.rows import (
    IDS,
    ITEM_COLUMNS,
    ItemRow,
    ItemState,
    LinkRow,
    Snap,
    category_of,
    chunks,
    item_row,
)
from reports.state.stamps import converters
from reports.views import ItemView

ALWAYS = datetime.min.replace(tzinfo=UTC)  # closed, but the tracker gave no date


def sprint_closed_at(
    state: str | None, end: datetime | None, completed: datetime | None
) -> datetime | None:
    """When a tracker sprint closed (None: open now). A closed sprint's completion date, else
    its end date; a closed one with neither counts as closed at every instant."""
    if (state or "").casefold() != "closed":
        return None
    return completed or end or ALWAYS


class ReaderBase:
    """What every part of the reader shares: the context, the calendar, the sources, the
    status categories, the sprint map, and the cached stored rows."""

    def __init__(
        self, session: Session, ctx: ReportContext, horizon: datetime | None = None
    ) -> None:
        """``horizon``: the earliest instant any caller asks link presence for (default T)."""
        self.session = session
        self.ctx = ctx
        self.stamp, self.instant = converters(session.get_bind().dialect)
        self.t = ctx.as_of
        self.horizon = min(horizon, self.t) if horizon is not None else self.t
        self.train = load_train(session, ctx.train)
        rows = session.execute(select(Source.id, Source.name, Source.kind)).all()
        self.source_names = {sid: name for sid, name, _ in rows}
        self.source_kinds = {sid: kind for sid, _, kind in rows}
        wanted = set(ctx.sources) if ctx.sources is not None else None
        self.train_sources = frozenset(
            sid for sid, name, _ in rows if wanted is None or name in wanted
        )
        self.categories = {
            (sid, status): category
            for sid, status, category in session.execute(
                select(
                    StatusCategoryRow.source_id,
                    StatusCategoryRow.status,
                    StatusCategoryRow.category,
                )
            )
        }
        iterations = {it.id: it for it in self.train.iterations}
        self.sprint_iteration: dict[int, IterationInfo] = {}
        self.tracker_sprint_iteration: dict[tuple[int, str], IterationInfo] = {}
        self.sprint_closed: dict[int, datetime] = {}  # sprint id -> when it closed
        self.tracker_sprint_closed: dict[tuple[int, str], datetime] = {}
        query = select(
            TrackerSprint.id,
            TrackerSprint.source_id,
            TrackerSprint.tracker_id,
            TrackerSprint.iteration_id,
            TrackerSprint.state,
            TrackerSprint.end,
            TrackerSprint.completed,
        )
        for (
            sprint_id,
            source_id,
            tracker_id,
            iteration_id,
            state,
            end,
            completed,
        ) in session.execute(query):
            closed = sprint_closed_at(state, end, completed)
            if closed is not None:
                self.sprint_closed[sprint_id] = closed
                self.tracker_sprint_closed[(source_id, tracker_id)] = closed
            if iteration_id in iterations:
                self.sprint_iteration[sprint_id] = iterations[iteration_id]
                self.tracker_sprint_iteration[(source_id, tracker_id)] = iterations[iteration_id]
        self._rows: dict[int, ItemRow] = {}
        self._snaps: dict[int, Snap] = {}
        self._states: dict[int, ItemState] = {}
        self._links: list[LinkRow] | None = None
        self._latest: dict[str, datetime | None] = {}
        self._category_memo: dict[tuple[int, str, str, str], str] = {}

    def _exec(self, query: Any) -> Any:
        """Execute on the session's connection: plain rows, no ORM loading on the way."""
        return self.session.connection().execute(query)

    def _run(self, query: Any, batch: list[int]) -> Any:
        """Execute a query over one chunk of ids (``IDS``: an expanding, cached IN list); the
        rows are fetched at once (row by row costs a driver call each)."""
        return self.session.connection().execute(query, {"ids": batch}).all()

    def latest_event(self, field_name: str) -> datetime | None:
        """When the last stored event of ``field_name`` happened (cached; one index probe).
        Lookups of events after it find nothing: a report as of now skips them."""
        if field_name not in self._latest:
            self._latest[field_name] = self.session.scalar(
                select(func.max(Event.at)).where(Event.field == field_name)
            )
        return self._latest[field_name]

    def none_after(self, field_name: str, when: datetime) -> bool:
        """No event of ``field_name`` lies strictly after ``when``."""
        latest = self.latest_event(field_name)
        return latest is None or latest <= when

    # -- basic predicates --------------------------------------------------------------------

    def category(self, row: ItemRow, status: str) -> str:
        """``category_of`` for one item's status name, remembered: a report asks it for every
        status step of thousands of items, over a handful of distinct names."""
        key = (row.source_id, status, row.status, row.category)
        found = self._category_memo.get(key)
        if found is None:
            found = category_of(self.categories, row.source_id, status, row.status, row.category)
            self._category_memo[key] = found
        return found

    def is_train_item(self, row: ItemRow) -> bool:
        """In the train's scope at T: a train source's in-scope item that exists and is not gone."""
        return (
            row.in_scope
            and row.source_id in self.train_sources
            and row.created_at <= self.t
            and (row.missing_since is None or row.missing_since > self.t)
        )

    def in_train_filter(self, row: ItemRow) -> bool:
        """Whether ``train_filter()`` selects the item (missing items included)."""
        return row.in_scope and row.source_id in self.train_sources and row.created_at <= self.t

    def train_filter(self) -> ColumnElement[bool]:
        """SQL for "a train item that exists at T" (missing items are dropped in Python)."""
        return and_(
            WorkItem.in_scope.is_(True),
            WorkItem.source_id.in_(sorted(self.train_sources)),
            WorkItem.created_at <= self.t,
        )

    # -- rows and events -----------------------------------------------------------------------

    def rows(self, ids: Collection[int]) -> dict[int, ItemRow]:
        """Stored rows for ``ids`` (cached across calls)."""
        todo = [i for i in ids if i not in self._rows]
        for batch in chunks(todo):
            query = select(*ITEM_COLUMNS).where(WorkItem.id.in_(IDS))
            for values in self._run(query, batch):
                row = item_row(values, self.stamp, self.instant)
                self._rows[row.id] = row
        return {i: self._rows[i] for i in ids if i in self._rows}

    def view(self, state: ItemState) -> ItemView:
        row = state.row
        return ItemView(
            source=self.source_names.get(row.source_id, ""),
            key=row.key,
            id=row.tracker_id,
            title=row.title,
            url=row.url,
            team=state.team,
            status=state.status,
            status_category=state.category,
            iteration=state.iteration.name if state.iteration else None,
            outside_train=state.outside,
            provisional=row.provisional,
        )

    @staticmethod
    def unstored_view(tracker: str, key: str, url: str) -> ItemView:
        return ItemView(tracker, key, "", "", url, None, "", "todo", None, True)
