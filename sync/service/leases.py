"""Database leases: one ``serve`` process at a time runs the reports or the digest job.

A lease is a ``service_leases`` row naming its holder (``host:pid:token``) and when it expires.
Taking it is one conditional ``UPDATE`` (free, expired, or already ours), atomic on SQLite and
PostgreSQL alike; the holder renews it every third of its lifetime while the job runs, and
frees it at the end together with the job's outcome. A holder killed with ``-9`` renews no more:
its lease expires and the next process's run takes over. Expiry compares wall clocks of the
hosts involved, so their clocks must agree to well within ``[service] lease_seconds``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from model.tables import ServiceLease

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def holder_name() -> str:
    """This process, unique even across restarts that reuse a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    """A held lease; ``lost`` turns true when a renewal found it taken (we ran too long)."""

    engine: Engine
    name: str
    holder: str
    seconds: float
    clock: Clock = utcnow
    lost: bool = False
    _stop: threading.Event = field(default_factory=threading.Event)

    def renew(self) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(ServiceLease)
                .where(ServiceLease.name == self.name, ServiceLease.holder == self.holder)
                .values(expires_at=self.clock() + timedelta(seconds=self.seconds))
            )
        if done.rowcount != 1:
            self.lost = True
            log.warning("lease %s was taken over while its job ran", self.name)
        return not self.lost

    def keep_alive(self) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(self.seconds / 3) and not self.lost:
                try:
                    self.renew()
                except Exception as exc:  # a database hiccup: the next renewal may succeed
                    log.warning("cannot renew lease %s: %s", self.name, _one_line(exc))

        thread = threading.Thread(target=loop, name=f"lease-{self.name}", daemon=True)
        thread.start()
        return thread

    def release(self, outcome: str, error: str | None) -> None:
        self._stop.set()
        now = self.clock()
        values: dict[str, object] = {
            "holder": None,
            "expires_at": None,
            "last_finished_at": now,
            "last_outcome": outcome,
            "last_error": error,
        }
        if outcome == "success":
            values["last_success_at"] = now
        with self.engine.begin() as conn:
            conn.execute(
                update(ServiceLease)
                .where(ServiceLease.name == self.name, ServiceLease.holder == self.holder)
                .values(**values)
            )


def try_acquire(
    engine: Engine, name: str, holder: str, seconds: float, clock: Clock = utcnow
) -> Lease | None:
    """The lease, or None while another holder's lease is still valid."""
    _ensure_row(engine, name)
    now = clock()
    with engine.begin() as conn:
        taken = conn.execute(
            update(ServiceLease)
            .where(
                ServiceLease.name == name,
                or_(
                    ServiceLease.holder.is_(None),
                    ServiceLease.holder == holder,
                    ServiceLease.expires_at.is_(None),
                    ServiceLease.expires_at < now,
                ),
            )
            .values(
                holder=holder,
                last_holder=holder,
                acquired_at=now,
                last_started_at=now,
                expires_at=now + timedelta(seconds=seconds),
            )
        )
    if taken.rowcount != 1:
        return None
    return Lease(engine, name, holder, seconds, clock)


@contextmanager
def leased(
    engine: Engine,
    name: str,
    holder: str,
    seconds: float,
    clock: Clock = utcnow,
    describe: Callable[[BaseException], str] | None = None,
) -> Iterator[Lease | None]:
    """Hold ``name`` for the block (renewed in the background), recording the block's outcome;
    yields None (and runs nothing of ours) when another process holds it."""
    lease = try_acquire(engine, name, holder, seconds, clock)
    if lease is None:
        yield None
        return
    lease.keep_alive()
    try:
        yield lease
    except BaseException as exc:
        lease.release("failed", (describe or _one_line)(exc) or type(exc).__name__)
        raise
    lease.release("success", None)


def holder_of(engine: Engine, name: str) -> tuple[str | None, datetime | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(ServiceLease.holder, ServiceLease.expires_at).where(ServiceLease.name == name)
        ).one_or_none()
    return (row[0], row[1]) if row else (None, None)


def _ensure_row(engine: Engine, name: str) -> None:
    with engine.connect() as conn:
        exists = conn.scalar(select(ServiceLease.name).where(ServiceLease.name == name))
    if exists is not None:
        return
    try:
        with engine.begin() as conn:
            conn.execute(insert(ServiceLease).values(name=name))
    except IntegrityError:
        pass  # another process inserted it first: the row is what we wanted


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500]
