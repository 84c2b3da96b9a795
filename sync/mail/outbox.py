"""The digest outbox: one row per (train, period, recipient), the exactly-once record.

The protocol, per recipient and period:

1. **claim** before sending: insert the row as "sending" (or turn a "failed" row of the same
   period into "sending") and commit. The unique (train, period, recipient) key and the
   conditional update make the claim atomic: of two processes, one wins.
2. send; then record "sent" (or "failed" with the one-line reason) and commit.

A row found "sent" is never sent again. A row found "sending" means a sender stopped
between the SMTP server's answer and the record (killed, power loss) or is still sending: the
message may have arrived, so it is **not** sent again within the period (that is the exactly-
once promise: at most once, and the same Message-ID if a human resends it). ``trainyard
status`` shows such rows as "outcome unknown" and failed rows with their error. A "failed"
row is retried by the next run in the same period; the next period's digest covers everything
since the last digest that was sent, so nothing is lost when a period's send failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from model.tables import DigestOutbox

SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed delivery: the caller may now send it, then must record the outcome."""

    id: int
    message_id: str
    attempts: int


def last_sent_as_of(session: Session, train: str, recipient: str, before: str) -> datetime | None:
    """The instant the last digest sent to ``recipient`` described (periods before ``before``)."""
    return session.scalar(
        select(func.max(DigestOutbox.as_of)).where(
            DigestOutbox.train == train,
            DigestOutbox.recipient == recipient,
            DigestOutbox.status == SENT,
            DigestOutbox.period < before,
        )
    )


def state(session: Session, train: str, period: str, recipient: str) -> str | None:
    return session.scalar(
        select(DigestOutbox.status).where(
            DigestOutbox.train == train,
            DigestOutbox.period == period,
            DigestOutbox.recipient == recipient,
        )
    )


def claim(
    session: Session,
    *,
    train: str,
    period: str,
    recipient: str,
    team: str | None,
    message_id: str,
    since: datetime,
    as_of: datetime,
    now: datetime,
) -> Delivery | None:
    """Claim the delivery (committed), or None when it was sent or is being sent."""
    found = session.scalar(
        select(DigestOutbox).where(
            DigestOutbox.train == train,
            DigestOutbox.period == period,
            DigestOutbox.recipient == recipient,
        )
    )
    if found is None:
        row = DigestOutbox(
            train=train, period=period, recipient=recipient, team=team, message_id=message_id,
            status=SENDING, attempts=1, since=since, as_of=as_of, created_at=now,
            attempted_at=now, sent_at=None, error=None,
        )  # fmt: skip
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another process claimed it first
            session.rollback()
            return None
        return Delivery(row.id, message_id, 1)
    if found.status != FAILED:
        return None
    row_id, attempts = found.id, found.attempts + 1
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(DigestOutbox)
            .where(DigestOutbox.id == row_id, DigestOutbox.status == FAILED)
            .values(status=SENDING, attempts=attempts, since=since, as_of=as_of, attempted_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    session.commit()
    return Delivery(row_id, found.message_id, attempts) if claimed.rowcount == 1 else None


def record_sent(session: Session, delivery: Delivery, now: datetime) -> None:
    _finish(session, delivery, SENT, now=now, error=None)


def record_failed(session: Session, delivery: Delivery, error: str) -> None:
    _finish(session, delivery, FAILED, now=None, error=error)


def _finish(
    session: Session, delivery: Delivery, status: str, *, now: datetime | None, error: str | None
) -> None:
    session.execute(
        update(DigestOutbox)
        .where(DigestOutbox.id == delivery.id)
        .values(status=status, sent_at=now, error=error)
        .execution_options(synchronize_session=False)
    )
    session.commit()


@dataclass(frozen=True, slots=True)
class Problem:
    """The latest delivery to a recipient did not (knowingly) succeed."""

    recipient: str
    period: str
    status: str  # "failed" | "unknown"
    attempts: int
    at: datetime | None
    error: str | None

    @property
    def line(self) -> str:
        if self.status == FAILED:
            return (
                f"digest to {self.recipient} for {self.period}: FAILED after {self.attempts} "
                f"attempt(s): {self.error or 'no reason recorded'}; the next run retries"
            )
        return (
            f"digest to {self.recipient} for {self.period}: outcome unknown (being sent, or "
            "the sender stopped between sending and recording); not resent this period, so "
            "it cannot arrive twice"
        )


def problems(session: Session, train: str) -> list[Problem]:
    """Per recipient, its latest delivery when that failed or lost its sender."""
    latest = (
        select(DigestOutbox.recipient, func.max(DigestOutbox.period).label("period"))
        .where(DigestOutbox.train == train)
        .group_by(DigestOutbox.recipient)
        .subquery()
    )
    rows = session.scalars(
        select(DigestOutbox)
        .join(
            latest,
            (DigestOutbox.recipient == latest.c.recipient)
            & (DigestOutbox.period == latest.c.period),
        )
        .where(DigestOutbox.train == train)
        .order_by(DigestOutbox.recipient)
    )
    found: list[Problem] = []
    for row in rows:
        if row.status in (FAILED, SENDING):
            status = FAILED if row.status == FAILED else "unknown"
            found.append(
                Problem(
                    row.recipient, row.period, status, row.attempts, row.attempted_at, row.error
                )
            )
    return found
