"""The schedule of ``trainyard serve``, rebuilt from the config at every start (APScheduler 3.x).

No job store is kept: the jobs are what the config says, in memory.

- ``sync:NAME``: at start, then every ``[sync] interval_minutes``: an incremental sync;
- ``census:NAME`` / ``sweep:NAME``: every ``[sync] census_hours`` / ``full_sweep_hours``
  (first after one period): a sync that does its census / full sweep now;
- ``digest``: on ``[schedule] digest_cron`` in the train's time zone, when ``[digest]`` has
  recipients;
- ``reports``: one-off, submitted after each successful sync.

Each interval run starts up to ``[service] jitter_seconds`` (at most half the interval) after
its point on the interval's grid, at random, so sources and several processes spread out; the
jitter never accumulates (APScheduler's own adds each run's delay to the next).
Every job has ``max_instances=1`` (a run still going when the
next is due makes the next one skip), ``coalesce`` (runs missed while the process was busy or
asleep become one) and ``misfire_grace_time`` (a run later than that is skipped, not started
late). The census and sweep of a source wait for its regular sync (they share its lock).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from sync.config import Config
from sync.service import digest
from sync.service.jobs import Jobs, fields

log = logging.getLogger("trainyard.service")


class GridInterval(IntervalTrigger):  # type: ignore[misc]
    """An interval trigger whose runs stay on the grid ``start + n x interval`` (+ jitter)."""

    def get_next_fire_time(self, previous: datetime | None, now: datetime) -> datetime | None:
        if previous is not None and previous >= self.start_date:
            steps = (previous - self.start_date) // self.interval
            previous = self.start_date + steps * self.interval
        return super().get_next_fire_time(previous, now)  # type: ignore[no-any-return]


def interval(every: timedelta, start: datetime, jitter: float) -> GridInterval:
    capped = min(jitter, every.total_seconds() / 2)
    return GridInterval(seconds=every.total_seconds(), start_date=start, jitter=capped or None)


def job_defaults(config: Config) -> dict[str, Any]:
    return {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": max(1, round(config.service.misfire_grace_seconds)),
    }


def new_scheduler(config: Config) -> BackgroundScheduler:
    workers = max(4, 2 * len(config.sources) + 2)  # syncs and census/sweep waits, reports, digest
    return BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=workers)},
        job_defaults=job_defaults(config),
    )


def schedule(scheduler: BaseScheduler, config: Config, jobs: Jobs, now: datetime) -> None:
    """Add every job the config asks for; reports are submitted on demand by ``jobs``."""
    sync = config.sync
    jitter = config.service.jitter_seconds
    for src in config.sources:
        name = src.name
        scheduler.add_job(
            jobs.sync,
            interval(timedelta(minutes=sync.interval_minutes), now, jitter),
            args=(name, "sync"),
            next_run_time=now,  # the first sync at start (the trigger alone waits one interval)
            id=f"sync:{name}",
            name=f"sync:{name}",
        )
        for kind, hours in (("census", sync.census_hours), ("sweep", sync.full_sweep_hours)):
            if hours <= 0:
                continue  # 0: only the sync's own age check triggers it
            every = timedelta(hours=hours)
            scheduler.add_job(
                jobs.sync,
                interval(every, now + every, jitter),
                args=(name, kind),
                id=f"{kind}:{name}",
                name=f"{kind}:{name}",
            )
    if digest.scheduled(config):
        cron = config.schedule.digest_cron.strip()
        scheduler.add_job(
            jobs.digest,
            CronTrigger.from_crontab(cron, timezone=ZoneInfo(config.train.timezone)),
            id="digest",
            name="digest",
        )
    jobs.submit = _submitter(scheduler)
    scheduler.add_listener(_skipped, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)


def _submitter(scheduler: BaseScheduler) -> Callable[[Callable[[], None], float], None]:
    """Run a one-off job (the reports) on the scheduler's pool after ``delay`` seconds."""

    def submit(fn: Callable[[], None], delay: float) -> None:
        at = datetime.now(UTC) + timedelta(seconds=delay)
        scheduler.add_job(
            fn,
            DateTrigger(run_date=at),
            id=f"reports@{at.timestamp():.6f}",
            name="reports",
            misfire_grace_time=None,  # on demand: late is better than never
        )

    return submit


def _skipped(event: JobEvent) -> None:
    why = (
        "missed its start by more than the misfire grace"
        if event.code == EVENT_JOB_MISSED
        else ("still running from its previous start")
    )
    log.warning(
        "%s: run skipped, %s", event.job_id, why, extra=fields(job=event.job_id, outcome="skipped")
    )
