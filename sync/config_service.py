"""The ``[service]`` and ``[schedule]`` config sections of ``trainyard serve``, and their checks.

``[service]``: where the HTTP endpoint listens, how much random delay spreads the syncs of
several sources (and several installs) apart, how late a missed run may still start, and how
long a reports/digest lease lives without being renewed (a killed holder's lease expires after
it). ``[schedule]``: the digest's cron expression, read in the train's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn
from zoneinfo import ZoneInfo

Fail = Callable[[str, str, str], NoReturn]


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    http_port: int = 8080  # 0: any free port (the log line "http listening" names it)
    bind: str = "127.0.0.1"
    jitter_seconds: float = 30.0  # each sync starts up to this much after its interval
    misfire_grace_seconds: float = 300.0  # a run late by more is skipped, not run late
    lease_seconds: float = 120.0  # reports/digest lease lifetime; renewed while the job runs
    stop_timeout_seconds: float = 10.0  # SIGTERM: the longest wait for running jobs


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    digest_cron: str = "0 7 * * mon"  # crontab fields, train time zone; "" = no digest job


def check(service: ServiceConfig, schedule: ScheduleConfig, timezone: str, fail: Fail) -> None:
    """Fail with the key and the fix for a value the scheduler or the HTTP server cannot use."""
    if service.http_port > 65535:
        fail("service.http_port", f"{service.http_port} is not a TCP port", "use 1-65535, or 0")
    if not service.bind.strip():
        fail("service.bind", "must not be empty", 'use "127.0.0.1" or "0.0.0.0"')
    if service.lease_seconds < 5:
        fail("service.lease_seconds", "must be at least 5", "use e.g. 120")
    if not 1 <= service.stop_timeout_seconds <= 60:
        fail("service.stop_timeout_seconds", "must be from 1 to 60", "use e.g. 10")
    if schedule.digest_cron.strip():
        problem = cron_problem(schedule.digest_cron, timezone)
        if problem:
            fail(
                "schedule.digest_cron",
                f"{schedule.digest_cron!r} is not a cron expression ({problem})",
                'write five fields: minute hour day month weekday, e.g. "0 7 * * mon"',
            )


def cron_problem(expression: str, timezone: str) -> str | None:
    """Why APScheduler cannot read ``expression`` (None: it can)."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression, timezone=ZoneInfo(timezone))
    except ValueError as exc:
        return str(exc)
    return None
