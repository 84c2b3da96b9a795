"""The schedule ``serve`` builds from the config, on a controlled clock (``time-machine``).

Jobs and their triggers come from the config; the first sync runs at start and the next ones
every interval, each up to ``jitter_seconds`` late; runs missed while the process was away are
coalesced into one; a run later than the misfire grace is skipped; a run still going makes the
next start skip (``max_instances=1``); the digest follows its cron in the train's time zone.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.executors.pool import ThreadPoolExecutor

from sync.errors import ConfigError
from sync.service.scheduler import schedule
from tests.service.world import T0, ManualScheduler, Recorder, scripted_config


def start(tmp_path: Path, sqlite_url: str, executor: object = None, **cfg: object):  # type: ignore[no-untyped-def]
    config = scripted_config(tmp_path, sqlite_url, **cfg)  # type: ignore[arg-type]
    scheduler = ManualScheduler(config, executor)
    jobs = Recorder(block=getattr(executor, "block", None))
    schedule(scheduler, config, jobs, datetime.now(UTC))  # type: ignore[arg-type]
    scheduler.start(paused=False)
    return config, scheduler, jobs


def test_jobs_come_from_the_config(tmp_path: Path, sqlite_url: str) -> None:
    with time_machine.travel(T0, tick=False):
        _, scheduler, _ = start(tmp_path, sqlite_url)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {
            "sync:jira",
            "census:jira",
            "sweep:jira",
            "sync:github",
            "census:github",
            "sweep:github",
            "digest",
        }
        for job in jobs.values():
            assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 300)
        assert jobs["sync:jira"].next_run_time == T0  # the first sync at start
        assert jobs["sync:jira"].trigger.interval == timedelta(minutes=15)
        assert jobs["census:jira"].trigger.interval == timedelta(hours=6)
        assert jobs["sweep:github"].trigger.interval == timedelta(hours=24)
        census_first = jobs["census:jira"].next_run_time
        assert T0 + timedelta(hours=6) <= census_first <= T0 + timedelta(hours=6, seconds=30)
        # Monday 07:00 in Europe/Berlin (CEST in October): 05:00 UTC
        berlin = datetime(2026, 10, 12, 7, 0, tzinfo=ZoneInfo("Europe/Berlin"))
        assert jobs["digest"].next_run_time == berlin
        assert jobs["digest"].next_run_time.astimezone(UTC).hour == 5
        scheduler.shutdown()


@pytest.mark.parametrize(
    "cfg", [{"cron": ""}, {"sender": None}], ids=["cron empty", "no recipients"]
)
def test_no_digest_job_without_a_cron_or_recipients(
    tmp_path: Path, sqlite_url: str, cfg: dict[str, object]
) -> None:
    _, scheduler, _ = start(tmp_path, sqlite_url, **cfg)
    assert "digest" not in {job.id for job in scheduler.get_jobs()}
    assert "sync:jira" in {job.id for job in scheduler.get_jobs()}
    scheduler.shutdown()


def test_recipients_without_a_sender_stop_serve_at_start(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match=r"no sender: set \[smtp\] from"):
        start(tmp_path, sqlite_url, sender="")


def test_the_jitter_is_capped_at_half_the_interval(tmp_path: Path, sqlite_url: str) -> None:
    with time_machine.travel(T0, tick=False):
        _, scheduler, _ = start(tmp_path, sqlite_url, jitter=3600)
        assert scheduler.get_job("sync:jira").trigger.jitter == 450
        assert scheduler.get_job("census:jira").trigger.jitter == 3600
        scheduler.shutdown()


def test_first_sync_at_start_then_every_interval_within_the_jitter(
    tmp_path: Path, sqlite_url: str
) -> None:
    random.seed(11)
    with time_machine.travel(T0, tick=False) as clock:
        _, scheduler, jobs = start(tmp_path, sqlite_url, jitter=30)
        scheduler.tick()
        assert jobs.ran("sync:jira") == [T0]
        assert jobs.ran("sync:github") == [T0]
        delays = []
        for n in range(1, 41):
            job = scheduler.get_job("sync:jira")
            due = T0 + n * timedelta(minutes=15)
            delay = (job.next_run_time - due).total_seconds()
            assert 0 <= delay <= 30, f"run {n} is {delay:.1f} s after its interval"
            delays.append(delay)
            clock.move_to(job.next_run_time)
            scheduler.tick()
            assert len(jobs.ran("sync:jira")) == n + 1
        assert len({round(d, 3) for d in delays}) > 30  # random, not one fixed offset
        assert max(delays) - min(delays) > 15  # spread over the window
        scheduler.shutdown()


def test_missed_runs_are_coalesced_into_one(tmp_path: Path, sqlite_url: str) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        _, scheduler, jobs = start(tmp_path, sqlite_url, jitter=0)
        scheduler.tick()
        clock.move_to(T0 + timedelta(hours=1))  # asleep: four runs due, the last one now
        scheduler.tick()
        assert jobs.ran("sync:jira") == [T0, T0 + timedelta(hours=1)]
        assert scheduler.get_job("sync:jira").next_run_time == T0 + timedelta(minutes=75)
        scheduler.shutdown()


def test_a_run_later_than_the_misfire_grace_is_skipped(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "trainyard.service")
    with time_machine.travel(T0, tick=False) as clock:
        _, scheduler, jobs = start(tmp_path, sqlite_url, jitter=0, grace=60)
        scheduler.tick()
        clock.move_to(T0 + timedelta(minutes=20))  # the 09:15 run is 5 min late; grace is 1 min
        scheduler.tick()
        assert jobs.ran("sync:jira") == [T0]
        assert "sync:jira: run skipped, missed its start by more than the misfire grace" in (
            caplog.text
        )
        clock.move_to(T0 + timedelta(minutes=30, seconds=20))  # 20 s late: within the grace
        scheduler.tick()
        assert jobs.ran("sync:jira") == [T0, T0 + timedelta(minutes=30, seconds=20)]
        scheduler.shutdown()


def test_a_run_still_going_makes_the_next_start_skip(
    tmp_path: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "trainyard.service")
    release = threading.Event()
    executor = ThreadPoolExecutor(max_workers=4)
    executor.block = release  # type: ignore[attr-defined]
    with time_machine.travel(T0, tick=False) as clock:
        _, scheduler, jobs = start(tmp_path, sqlite_url, executor, jitter=0)
        scheduler.tick()  # both syncs start and hang
        clock.move_to(T0 + timedelta(minutes=15))
        scheduler.tick()  # still running: skipped, not queued
        release.set()
        scheduler.shutdown(wait=True)
    assert jobs.ran("sync:jira") == [T0]
    assert "sync:jira: run skipped, still running from its previous start" in caplog.text
