"""The header every report carries: train, times, and each source's sync health as of then.

Per source (the train's sources, in name order):

* ``last_success_at``: the latest successful incremental sync finished at or before ``as_of``
  (from ``sync_runs``, or ``sync_state`` when runs were pruned);
* ``stale``: that success is older than 3 sync intervals at ``as_of``. A source that never
  synced is not stale (as in ``trainyard status``): ``last_success_at`` null says it;
* ``items``: stored in-scope items existing at ``as_of`` and not missing;
* ``census_items``: the count of the latest successful run that took a census (null: none);
* ``quarantined``: distinct records (tracker keys) quarantined at or before ``as_of``; the
  engine stores one row per run that meets a bad record, and a record rejected by ten runs is
  one record to fix, not ten.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from model.tables import QuarantinedRecord, Source, SyncRun, SyncState, WorkItem
from reports.state import ReportContext, StateReader
from reports.views import Header, SourceHealth

STALE_INTERVALS = 3
INCREMENTAL = "incremental"


def build_header(session: Session, ctx: ReportContext, reader: StateReader) -> Header:
    t = ctx.as_of
    threshold = timedelta(minutes=STALE_INTERVALS * ctx.sync_interval_minutes)
    sources = session.execute(
        select(Source.id, Source.name, Source.kind)
        .where(Source.id.in_(sorted(reader.train_sources)))
        .order_by(Source.name)
    )
    counts = _item_counts(session, t)
    quarantined = dict(
        session.execute(
            select(
                QuarantinedRecord.source_id, func.count(QuarantinedRecord.tracker_key.distinct())
            )
            .where(QuarantinedRecord.at <= t)
            .group_by(QuarantinedRecord.source_id)
        ).all()
    )
    found: list[SourceHealth] = []
    for source_id, name, kind in sources:
        last = _last_success(session, source_id, t)
        found.append(
            SourceHealth(
                name=name,
                kind=kind,
                last_success_at=last,
                stale=last is not None and t - last > threshold,
                items=counts.get(source_id, 0),
                census_items=_census(session, source_id, t),
                quarantined=quarantined.get(source_id, 0),
            )
        )
    return Header(ctx.train, ctx.now, t, tuple(found), reader.train.tz.key)


def _item_counts(session: Session, t: datetime) -> dict[int, int]:
    query = (
        select(WorkItem.source_id, func.count())
        .where(
            WorkItem.in_scope.is_(True),
            WorkItem.created_at <= t,
            or_(
                WorkItem.missing.is_(False),
                WorkItem.missing_since > t,
            ),
        )
        .group_by(WorkItem.source_id)
    )
    return dict(session.execute(query).all())


def _last_success(session: Session, source_id: int, t: datetime) -> datetime | None:
    run = session.scalar(
        select(func.max(SyncRun.finished_at)).where(
            SyncRun.source_id == source_id,
            SyncRun.mode == INCREMENTAL,
            SyncRun.outcome == "success",
            SyncRun.finished_at <= t,
        )
    )
    state = session.scalar(
        select(SyncState.last_success_at).where(
            SyncState.source_id == source_id,
            SyncState.mode == INCREMENTAL,
            SyncState.last_success_at <= t,
        )
    )
    candidates = [at for at in (run, state) if at is not None]
    return max(candidates) if candidates else None


def _census(session: Session, source_id: int, t: datetime) -> int | None:
    return session.scalar(
        select(SyncRun.census_items)
        .where(
            SyncRun.source_id == source_id,
            SyncRun.outcome == "success",
            SyncRun.census_items.is_not(None),
            SyncRun.finished_at <= t,
        )
        .order_by(SyncRun.finished_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
