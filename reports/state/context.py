"""The as-of context and the train's calendar: what a report describes, and when.

``ReportContext`` is built by the CLI from the config; ``load_train`` reads the train, its
teams and its PIs and iterations as UTC instants (local midnights in the train's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.tables import PI, Iteration, Team, Train

TICK = timedelta(microseconds=1)  # the smallest step between two instants: "just after"


class ReportError(ValueError):
    """The report cannot be computed from what is stored (e.g. the train is unknown)."""


@dataclass(frozen=True, slots=True)
class ReportContext:
    """Everything a report needs besides the database, built by the CLI from the config.

    ``sources``: names of the train's sources (None: every stored source). ``now`` is when the
    report is generated; ``as_of`` the instant it describes (``as_of <= now``).
    ``same_iteration``: the health of a dependency whose ends share an iteration
    (``[dependencies]``); ``stalled_days`` and ``bots``: the stalled rule (``[flow]``).
    """

    train: str
    as_of: datetime
    now: datetime
    blocked_flagged: bool = True
    blocked_statuses: tuple[str, ...] = ("Blocked",)
    blocked_labels: tuple[str, ...] = ("blocked",)
    sync_interval_minutes: int = 15
    sources: tuple[str, ...] | None = None
    same_iteration: str = "amber"
    stalled_days: float = 5
    bots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.same_iteration not in ("red", "amber", "green"):
            raise ValueError(f"same_iteration must be red, amber or green: {self.same_iteration!r}")
        for name in ("as_of", "now"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise ValueError(f"ReportContext.{name} must be an aware datetime")
            object.__setattr__(self, name, value.astimezone(UTC))

    @property
    def status_set(self) -> frozenset[str]:
        return frozenset(s.casefold() for s in self.blocked_statuses)

    @property
    def label_set(self) -> frozenset[str]:
        return frozenset(label.casefold() for label in self.blocked_labels)

    @property
    def bot_set(self) -> frozenset[str]:
        return frozenset(bot.casefold() for bot in self.bots)


# -- the calendar ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IterationInfo:
    """A train iteration as UTC instants ``[start, end)`` (local days in the train's zone)."""

    id: int
    name: str
    pi: str
    seq: int
    is_ip: bool
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PIInfo:
    name: str
    start: datetime
    end: datetime
    iterations: tuple[IterationInfo, ...]


@dataclass(frozen=True, slots=True)
class TrainInfo:
    id: int
    name: str
    tz: ZoneInfo
    teams: dict[int, str]
    pis: tuple[PIInfo, ...]

    @property
    def iterations(self) -> tuple[IterationInfo, ...]:
        return tuple(it for pi in self.pis for it in pi.iterations)

    def pi_at(self, at: datetime) -> PIInfo | None:
        return next((pi for pi in self.pis if pi.start <= at < pi.end), None)


def _local_midnight(day: Any, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def load_train(session: Session, name: str) -> TrainInfo:
    train = session.scalar(select(Train).where(Train.name == name))
    if train is None:
        raise ReportError(f"train {name!r} is not in the database; run a sync or check the config")
    tz = ZoneInfo(train.timezone)
    teams = dict(session.execute(select(Team.id, Team.name).where(Team.train_id == train.id)).all())
    pis: list[PIInfo] = []
    for pi in session.scalars(select(PI).where(PI.train_id == train.id).order_by(PI.start)):
        its = tuple(
            IterationInfo(
                id=it.id,
                name=it.name,
                pi=pi.name,
                seq=it.seq,
                is_ip=it.is_ip,
                start=_local_midnight(it.start, tz),
                end=_local_midnight(it.end, tz),
            )
            for it in session.scalars(
                select(Iteration).where(Iteration.pi_id == pi.id).order_by(Iteration.seq)
            )
        )
        pis.append(PIInfo(pi.name, _local_midnight(pi.start, tz), _local_midnight(pi.end, tz), its))
    return TrainInfo(train.id, train.name, tz, teams, tuple(pis))
