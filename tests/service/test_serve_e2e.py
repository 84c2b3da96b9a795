"""End to end: ``trainyard serve`` as a subprocess against the loopback fake Jira and GitHub and
a loopback SMTP server. It syncs both sources, rewrites every report, sends one digest on its
cron, answers ``/healthz`` and ``/metrics``, and stops cleanly on SIGTERM — even in the middle
of a slow sync, within 10 s, keeping the page it stored. No secret reaches its log, its files
or the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.orm import Session

from model import tables as t
from model.db import open_engine
from sync.commands.report import REPORTS
from sync.service.outputs import formats_of
from tests.service.serving import SECRETS, Serve, wait_for, world

pytestmark = pytest.mark.slow


def every_report(out: Path) -> bool:
    return all(
        (out / f"{name}.{fmt}").exists() for name in REPORTS for fmt in formats_of(name, "PI 26.4")
    )


def runs(db_url: str) -> list[tuple[str, str, str]]:
    db = open_engine(db_url)
    try:
        with Session(db) as s:
            rows = s.execute(
                select(t.Source.name, t.SyncRun.mode, t.SyncRun.outcome)
                .join(t.Source, t.Source.id == t.SyncRun.source_id)
                .order_by(t.SyncRun.id)
            ).all()
            return [(a, b, c) for a, b, c in rows]
    finally:
        db.dispose()


def database_text(url: str) -> str:
    db = create_engine(url)
    meta = MetaData()
    meta.reflect(db)
    with db.connect() as conn:
        dump = "\n".join(
            repr(row) for table in meta.sorted_tables for row in conn.execute(select(table))
        )
    db.dispose()
    return dump


def test_serve_syncs_regenerates_mails_and_stops_cleanly(tmp_path: Path, sqlite_url: str) -> None:
    with world(tmp_path, sqlite_url) as w:
        serve = w.serve(w.config())
        out = tmp_path / "out"
        wait_for("both sources synced", lambda: len(runs(sqlite_url)) >= 2, 60, serve)
        wait_for("every report written", lambda: every_report(out), 60, serve)
        status, body = serve.get("/healthz")
        assert (status, body.splitlines()[0]) == (200, "ok"), body
        assert "source jira: ok" in body
        assert "source github: ok" in body
        # the digest's cron is every minute: the first one sends, later ones find it sent
        wait_for("the digest", lambda: w.mailbox.messages, 75, serve)
        wait_for("the digest recorded", lambda: serve.logged('"job": "digest"'), 10, serve)
        status, metrics = serve.get("/metrics")
        assert status == 200
        for line in (
            'trainyard_sync_runs_total{job="sync",outcome="success",source="jira"}',
            'trainyard_sync_runs_total{job="sync",outcome="success",source="github"}',
            'trainyard_api_requests_total{source="github"}',
            'trainyard_rate_limit_remaining{source="github"}',
            'trainyard_source_last_success_timestamp_seconds{source="jira"}',
            'trainyard_source_failing{source="jira"} 0.0',
            "trainyard_digest_sent_total 1.0",
            "trainyard_digest_failed_total 0.0",
            "trainyard_scheduler_running 1.0",
            'trainyard_sync_duration_seconds_count{job="sync",source="jira"}',
        ):
            assert line in metrics, line
        status, page = serve.get("/dependencies.html")
        assert status == 200
        assert page == (out / "dependencies.html").read_text()

        code, seconds = serve.terminate()
        assert code == 0, "\n".join(serve.lines[-20:])
        assert seconds < 10

    [mail] = w.mailbox.messages
    assert mail["To"] == "rte@acme.example"
    assert "Payments ART" in mail["Subject"]
    assert {part.get_content_type() for part in mail.walk()} >= {"text/plain", "text/html"}
    assert set(runs(sqlite_url)) >= {
        ("jira", "incremental", "success"),
        ("github", "incremental", "success"),
    }
    db = open_engine(sqlite_url)
    with Session(db) as s:
        leases = {row.name: row for row in s.scalars(select(t.ServiceLease))}
        outbox = s.scalars(select(t.DigestOutbox)).all()
    db.dispose()
    assert leases["reports"].last_outcome == "success"
    assert leases["digest"].last_outcome == "success"
    assert all(row.holder is None for row in leases.values())  # released at the end
    assert [(row.recipient, row.status) for row in outbox] == [("rte@acme.example", "sent")]
    events = serve.events()  # every line is one JSON event
    assert events[0]["event"].startswith("serve started")
    assert events[-1]["event"] == "serve stopped"
    assert any(e["event"].startswith("reports written") for e in events)
    texts = [
        *serve.lines,
        database_text(sqlite_url),
        *(p.read_text() for p in out.iterdir()),
        *(raw.decode(errors="replace") for raw in w.mailbox.raw),
    ]
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_sigterm_mid_sync_keeps_the_stored_page_and_exits_within_10_s(
    tmp_path: Path, sqlite_url: str
) -> None:
    with world(tmp_path, sqlite_url, issues=250) as w:
        w.github.latency = 0.04  # every GitHub answer is slow: the sync takes a while
        w.jira.stop()  # only GitHub matters here; Jira fails fast and is recorded
        serve: Serve = w.serve(w.config(cron=""))
        wait_for(
            "the GitHub sync to store a page",
            lambda: serve.get("/metrics")[0] == 200 and _stored_a_page(sqlite_url),
            60,
            serve,
        )
        code, seconds = serve.terminate()
        assert code == 0, "\n".join(serve.lines[-20:])
        assert seconds < 10, f"took {seconds:.1f} s to stop"
    db = open_engine(sqlite_url)
    with Session(db) as s:
        run = s.scalars(select(t.SyncRun).where(t.SyncRun.outcome == "interrupted")).one()
        assert run.pages >= 1  # what was stored before the signal stays stored
        assert run.error == "stopped on request; the next run resumes from the stored cursor"
        assert run.finished_at is not None
    db.dispose()
    assert not any('"outcome": "forced"' in line for line in serve.lines)
    assert any("SIGTERM received" in line for line in serve.lines)


def _stored_a_page(db_url: str) -> bool:
    db = open_engine(db_url)
    try:
        with Session(db) as s:
            return bool(
                s.scalar(
                    select(t.SyncRun.pages)
                    .join(t.Source, t.Source.id == t.SyncRun.source_id)
                    .where(t.Source.name == "github", t.SyncRun.outcome == "running")
                )
            )
    finally:
        db.dispose()


def test_a_busy_port_is_one_clear_line_and_exit_1(tmp_path: Path, sqlite_url: str) -> None:
    import socket

    with world(tmp_path, sqlite_url, issues=5) as w, socket.socket() as busy:
        config = w.config(cron="")
        port = int(config.read_text().split("http_port = ", 1)[1].split()[0])
        busy.bind(("127.0.0.1", port))
        busy.listen()
        serve = w.serve(config)
        code = serve.proc.wait(30)
        serve.kill()
    assert code == 1
    [line] = serve.lines
    assert line.startswith(f"trainyard: error: cannot serve http on 127.0.0.1:{port}")
    assert "set [service] http_port to a free port" in line
