"""The ART model as typed SQLAlchemy 2.0 tables.

One train per config (several per install), its teams and calendar (PIs → iterations), the
sources it syncs and their sync state, and what the trackers told us: work items keyed by
(source, tracker id), directed links, tracker sprints and the event history that makes every
report reproducible as of any past instant.

Schema changes go through ``model/migrations`` (Alembic); ``tests/test_migrations.py`` fails
when these classes and the migrations disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from model.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Train(Base):
    __tablename__ = "trains"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    teams: Mapped[list[Team]] = relationship(back_populates="train", cascade="all, delete-orphan")
    pis: Mapped[list[PI]] = relationship(back_populates="train", cascade="all, delete-orphan")


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("train_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    train: Mapped[Train] = relationship(back_populates="teams")


class PI(Base):
    __tablename__ = "pis"
    __table_args__ = (UniqueConstraint("train_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    train_id: Mapped[int] = mapped_column(ForeignKey("trains.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # exclusive
    baseline_at: Mapped[datetime | None]  # config's baseline_at (None: end of the first day)

    train: Mapped[Train] = relationship(back_populates="pis")
    iterations: Mapped[list[Iteration]] = relationship(
        back_populates="pi", cascade="all, delete-orphan", order_by="Iteration.seq"
    )


class Iteration(Base):
    __tablename__ = "iterations"
    __table_args__ = (UniqueConstraint("pi_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1-based within the PI
    name: Mapped[str] = mapped_column(String(200))  # "PI 26.4 · I1", "PI 26.4 · IP"
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # exclusive
    is_ip: Mapped[bool] = mapped_column(Boolean, default=False)

    pi: Mapped[PI] = relationship(back_populates="iterations")


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    url: Mapped[str] = mapped_column(String(500), default="")


class SyncState(Base):
    """Per source and mode ("incremental", "backfill", "census", "dependency_sweep", ...)."""

    __tablename__ = "sync_state"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[datetime | None]
    window: Mapped[str | None] = mapped_column(String(100))  # backfill "since..until" it belongs to
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index(None, "source_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="running")  # running/success/failed
    error: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items_written: Mapped[int] = mapped_column(Integer, default=0)
    links_written: Mapped[int] = mapped_column(Integer, default=0)
    events_written: Mapped[int] = mapped_column(Integer, default=0)
    api_requests: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    census_items: Mapped[int | None] = mapped_column(Integer)
    rate_limit_remaining: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))


class SyncLock(Base):
    """One writer per source: the row names who holds it (PostgreSQL adds an advisory lock)."""

    __tablename__ = "sync_locks"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    since: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(Integer)


class ConnectorMemo(Base):
    """Connector memo entries (ETags, discovered field ids), stored with the page they describe."""

    __tablename__ = "connector_memo"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TrackerSprint(Base):
    __tablename__ = "tracker_sprints"
    __table_args__ = (UniqueConstraint("source_id", "tracker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    tracker_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    state: Mapped[str | None] = mapped_column(String(40))
    start: Mapped[datetime | None]
    end: Mapped[datetime | None]
    completed: Mapped[datetime | None]
    board_id: Mapped[str | None] = mapped_column(String(100))
    iteration_id: Mapped[int | None] = mapped_column(
        ForeignKey("iterations.id", ondelete="SET NULL")
    )


class WorkItem(Base):
    __tablename__ = "work_items"
    __table_args__ = (
        UniqueConstraint("source_id", "tracker_id"),
        Index(None, "source_id", "key"),
        Index(None, "team_id"),
        Index(None, "parent_key"),  # children waiting for a parent that arrives later
        Index(None, "resolved_at"),  # flow: items resolved in a window without status history
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    tracker_id: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(1000), default="")
    type: Mapped[str] = mapped_column(String(20), default="other")
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(200), default="")
    status_category: Mapped[str] = mapped_column(String(20), default="todo")
    container: Mapped[str] = mapped_column(String(300), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    team_field: Mapped[str | None] = mapped_column(String(200))
    sprint_id: Mapped[int | None] = mapped_column(
        ForeignKey("tracker_sprints.id", ondelete="SET NULL")
    )
    parent_key: Mapped[str | None] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id", ondelete="SET NULL"))
    assignee: Mapped[str | None] = mapped_column(String(300))
    labels: Mapped[list[str]] = mapped_column(default=list)
    components: Mapped[list[str]] = mapped_column(default=list)
    story_points: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    in_scope: Mapped[bool] = mapped_column(Boolean, default=True)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_since: Mapped[datetime | None]
    missing_reason: Mapped[str | None] = mapped_column(String(200))
    moved_to: Mapped[str | None] = mapped_column(String(1000))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    census_run_id: Mapped[int | None] = mapped_column(Integer)  # last census that listed it
    # PI objectives (issue 11 §3): business value 1-10 as the tracker states it now
    objective: Mapped[bool] = mapped_column(Boolean, default=False)
    business_value: Mapped[float | None] = mapped_column(Float)  # planned
    actual_business_value: Mapped[float | None] = mapped_column(Float)
    committed: Mapped[bool] = mapped_column(Boolean, default=True)


class Link(Base):
    """A directed link, blocker → blocked (kind "blocks") or parent → child (kind "parent").

    An end that is not (yet) a stored item keeps its tracker, key and url and is resolved when
    the item arrives. History of adds and removals is in ``events`` (field "link").
    """

    __tablename__ = "links"
    __table_args__ = (
        UniqueConstraint("source_id", "origin", "link_key"),
        Index(None, "blocker_item_id"),
        Index(None, "blocked_item_id"),
        # link ends waiting for an item that arrives later are found by key on every page
        Index(None, "blocker_key"),
        Index(None, "blocked_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(40))
    link_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="blocks")
    blocker_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_items.id", ondelete="SET NULL")
    )
    blocker_tracker: Mapped[str] = mapped_column(String(50))
    blocker_key: Mapped[str] = mapped_column(String(300))
    blocker_url: Mapped[str | None] = mapped_column(String(1000))
    blocked_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_items.id", ondelete="SET NULL")
    )
    blocked_tracker: Mapped[str] = mapped_column(String(50))
    blocked_key: Mapped[str] = mapped_column(String(300))
    blocked_url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]
    created_from_history: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Event(Base):
    """One change in an item's (or link's) history, with the tracker's timestamp."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source_id", "event_key"),
        Index(None, "item_id", "at"),
        Index(None, "link_id", "at"),
        Index(None, "field", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    event_key: Mapped[str] = mapped_column(String(300))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("links.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    field: Mapped[str] = mapped_column(String(40))
    from_value: Mapped[str | None] = mapped_column(Text)
    to_value: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    # who made the change (stalled work ignores bot accounts): stable id and display name
    author: Mapped[str | None] = mapped_column(String(300))
    author_name: Mapped[str | None] = mapped_column(String(300))


class QuarantinedRecord(Base):
    __tablename__ = "quarantine"
    __table_args__ = (Index(None, "source_id", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("sync_runs.id", ondelete="SET NULL"))
    tracker_key: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class StatusCategoryRow(Base):
    """Raw status name → category, learned per source (history carries names only)."""

    __tablename__ = "status_categories"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(20))


class PIBaseline(Base):
    """An explicitly frozen PI plan (``trainyard baseline create``): survives later history
    loss, such as deleted issues, because it copies what it shows instead of pointing at it."""

    __tablename__ = "pi_baselines"
    __table_args__ = (UniqueConstraint("pi_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pi_id: Mapped[int] = mapped_column(ForeignKey("pis.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]  # the instant the plan describes
    created_at: Mapped[datetime]  # when it was frozen

    items: Mapped[list[BaselineItem]] = relationship(
        back_populates="baseline", cascade="all, delete-orphan"
    )
    dependencies: Mapped[list[BaselineDependency]] = relationship(
        back_populates="baseline", cascade="all, delete-orphan"
    )


class BaselineItem(Base):
    """A feature planned in the PI at the baseline, copied (the item may be deleted later)."""

    __tablename__ = "pi_baseline_items"
    __table_args__ = (UniqueConstraint("baseline_id", "source", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("pi_baselines.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(300))
    tracker_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    type: Mapped[str] = mapped_column(String(20))
    team: Mapped[str | None] = mapped_column(String(200))  # None: unmapped
    iteration: Mapped[str] = mapped_column(String(200))
    iteration_seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(200), default="")
    status_category: Mapped[str] = mapped_column(String(20), default="todo")

    baseline: Mapped[PIBaseline] = relationship(back_populates="items")


class BaselineDependency(Base):
    """An open dependency touching a planned feature at the baseline, with its health then."""

    __tablename__ = "pi_baseline_dependencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    baseline_id: Mapped[int] = mapped_column(ForeignKey("pi_baselines.id", ondelete="CASCADE"))
    blocker_source: Mapped[str] = mapped_column(String(100))
    blocker_key: Mapped[str] = mapped_column(String(300))
    blocked_source: Mapped[str] = mapped_column(String(100))
    blocked_key: Mapped[str] = mapped_column(String(300))
    health: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]

    baseline: Mapped[PIBaseline] = relationship(back_populates="dependencies")
