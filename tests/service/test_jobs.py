"""The service's jobs on SQLite and PostgreSQL, with scripted connectors (real engine, real
database, real report rendering): failures are recorded and survived, a successful sync
rewrites every report, requests fold together, leases are respected, the digest is counted, and
a stop ends a sync after the page being stored."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from sync.commands.report import REPORTS
from sync.config import Config
from sync.mail import DeliveryReport
from sync.service.jobs import RETRY_SECONDS, Jobs
from sync.service.leases import try_acquire
from sync.service.metrics import Metrics
from sync.service.outputs import formats_of
from tests.engine.scripted import T0, Script, item, scripted_class
from tests.service.world import scripted_config


def pages() -> list[rec.Page]:
    return [
        rec.Page(items=[item("1", "CHK-1")], cursor=T0 - timedelta(hours=2)),
        rec.Page(items=[item("2", "PAY-2")], cursor=T0 - timedelta(hours=1)),
    ]


def make_jobs(
    config: Config,
    db: Engine,
    scripts: dict[str, Script],
    deliver: Callable[[Config, datetime], DeliveryReport] | None = None,
) -> Jobs:
    classes = {kind: scripted_class(script, kind) for kind, script in scripts.items()}
    return Jobs(
        config, db, Metrics(), "test:1:abc", deliver, connector_classes=classes, secrets=["S3cr3t!"]
    )


def metric(jobs: Jobs, name: str, **labels: str) -> float | None:
    return jobs.metrics.registry.get_sample_value(name, labels)


def lease_row(db: Engine, name: str) -> t.ServiceLease:
    with Session(db) as s:
        row = s.get(t.ServiceLease, name)
        assert row is not None
        return row


def test_a_failing_sync_is_recorded_logged_and_survived(
    tmp_path: Path, db_url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    config = scripted_config(tmp_path, db_url)
    jobs = make_jobs(config, engine, {"jira": Script(pages=pages(), fail_after=1)})
    assert jobs.sync("jira") is None
    with Session(engine) as s:
        run = s.scalars(select(t.SyncRun)).one()
        assert (run.outcome, run.pages) == ("failed", 1)
        assert "connection reset" in (run.error or "")
    assert metric(jobs, "trainyard_job_errors_total", job="sync:jira") == 1
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert line.getMessage().startswith("sync:jira failed: sync of source jira failed")
    assert not (tmp_path / "out").exists()  # no successful sync, no reports


def test_a_successful_sync_rewrites_every_report(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = scripted_config(tmp_path, db_url)
    jobs = make_jobs(config, engine, {"jira": Script(pages=pages())})
    result = jobs.sync("jira")
    assert result is not None
    assert result.outcome == "success"
    out = tmp_path / "out"
    expected = {f"{name}.{fmt}" for name in REPORTS for fmt in formats_of(name, "PI 26.4")}
    assert {p.name for p in out.iterdir()} == expected
    assert {f"{name}.{fmt}" for name in REPORTS for fmt in ("html", "json")} <= expected
    blocked = json.loads((out / "blocked.json").read_text())
    assert blocked["train"] == "Payments ART"
    html = (out / "dependencies.html").read_text()
    assert "<html" in html.lower()
    assert not list(out.glob(".*"))  # no temporary file left behind
    assert metric(jobs, "trainyard_report_files_written_total") == len(expected)
    assert metric(jobs, "trainyard_sync_items_total", source="jira") == 2
    assert metric(jobs, "trainyard_api_requests_total", source="jira") == 2
    assert lease_row(engine, "reports").last_outcome == "success"


def test_report_requests_during_a_regeneration_fold_into_one_more(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = scripted_config(tmp_path, db_url)
    jobs = make_jobs(config, engine, {})
    submitted: list[tuple[Callable[[], None], float]] = []
    jobs.submit = lambda fn, delay: submitted.append((fn, delay))
    jobs.request_reports()
    jobs.request_reports()  # already pending: no second submission
    assert len(submitted) == 1
    regenerations = []
    real = jobs.reports

    def reports() -> bool:
        regenerations.append(1)
        if len(regenerations) == 1:  # two syncs finish while the first regeneration runs
            jobs.request_reports()
            jobs.request_reports()
        return real()

    jobs.reports = reports  # type: ignore[method-assign]
    submitted[0][0]()
    assert len(regenerations) == 2  # the two requests made meanwhile: one more, not two
    assert len(submitted) == 1
    jobs.request_reports()  # idle again: a new request is submitted
    assert len(submitted) == 2


def test_reports_wait_while_another_process_holds_their_lease(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = scripted_config(tmp_path, db_url)
    jobs = make_jobs(config, engine, {})
    submitted: list[tuple[Callable[[], None], float]] = []
    jobs.submit = lambda fn, delay: submitted.append((fn, delay))
    other = try_acquire(engine, "reports", "other:2:def", 60)
    assert other is not None
    jobs.request_reports()
    submitted.pop(0)[0]()
    assert not (tmp_path / "out").exists()
    [(retry, delay)] = submitted
    assert delay == RETRY_SECONDS
    other.release("success", None)
    retry()
    assert (tmp_path / "out" / "flow.json").exists()
    assert lease_row(engine, "reports").last_holder == "test:1:abc"


def test_the_digest_is_counted_and_its_failure_recorded_without_secrets(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = scripted_config(tmp_path, db_url)
    outcome = DeliveryReport(
        sent=2, failed=1, skipped_quiet=False, errors=("auth S3cr3t! refused",)
    )
    jobs = make_jobs(config, engine, {}, deliver=lambda cfg, now: outcome)
    assert jobs.digest()
    assert metric(jobs, "trainyard_digest_sent_total") == 2
    assert metric(jobs, "trainyard_digest_failed_total") == 1
    assert metric(jobs, "trainyard_job_errors_total", job="digest") == 1
    row = lease_row(engine, "digest")
    assert (row.holder, row.last_outcome, row.last_error) == (None, "failed", "auth *** refused")
    jobs.deliver = lambda cfg, now: DeliveryReport(0, 0, True, ())
    assert jobs.digest()
    assert lease_row(engine, "digest").last_outcome == "success"


def test_a_crashing_digest_never_escapes_the_job(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    def boom(cfg: Config, now: datetime) -> DeliveryReport:
        raise ZeroDivisionError("a bug")

    jobs = make_jobs(scripted_config(tmp_path, db_url), engine, {}, deliver=boom)
    assert jobs.digest()
    assert lease_row(engine, "digest").last_error == "a bug"
    assert metric(jobs, "trainyard_job_errors_total", job="digest") == 1


def test_a_stop_ends_the_sync_after_the_page_being_stored(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = scripted_config(tmp_path, db_url)
    stop = threading.Event()

    def stop_during_page_one(request: rec.SyncRequest, page: rec.Page) -> bool:
        stop.set()  # SIGTERM arrives while the first page is being fetched
        return True

    script = Script(pages=pages(), page_filter=stop_during_page_one)
    jobs = make_jobs(config, engine, {"jira": script})
    jobs.stop = stop
    result = jobs.sync("jira")
    assert result is not None
    assert (result.outcome, result.pages, result.items) == ("interrupted", 1, 1)
    with Session(engine) as s:
        state = s.scalars(select(t.SyncState).where(t.SyncState.mode == "incremental")).one()
        assert state.cursor == T0 - timedelta(hours=2)  # page one's, kept for the next run
        assert state.last_error is None  # a requested stop is no failure of the source
    assert not (tmp_path / "out").exists()
    assert jobs.sync("jira") is None  # stopped: no new job starts
