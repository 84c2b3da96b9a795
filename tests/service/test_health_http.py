"""``/healthz`` (200 only while the scheduler runs and no source is stale or failing, the body
says why), ``/metrics`` and out_dir's files over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from model import tables as t
from sync.catalog import ensure_catalog
from sync.config import Config
from sync.service.health import judge, read_sources
from sync.service.http import Endpoint
from sync.service.metrics import Metrics
from tests.service.world import scripted_config


@pytest.fixture
def config(tmp_path: Path, db_url: str, engine: Engine) -> Config:
    cfg = scripted_config(tmp_path, db_url)
    with Session(engine) as s:
        ensure_catalog(s, cfg)
        s.commit()
    return cfg


def add_run(
    db: Engine, source: str, outcome: str, ago: timedelta, error: str | None = None
) -> None:
    at = datetime.now(UTC) - ago
    with Session(db) as s:
        src = s.query(t.Source).filter_by(name=source).one()
        s.add(
            t.SyncRun(
                source_id=src.id, mode="incremental", started_at=at, finished_at=at,
                outcome=outcome, error=error,
            )
        )  # fmt: skip
        s.commit()


def test_healthy_while_running_with_fresh_or_new_sources(config: Config, engine: Engine) -> None:
    add_run(engine, "jira", "success", timedelta(minutes=5))
    verdict = judge(True, config, engine)
    assert verdict.ok
    assert verdict.text.splitlines() == ["ok", "source jira: ok", "source github: never synced"]


def test_unhealthy_when_a_source_fails_or_is_stale(config: Config, engine: Engine) -> None:
    add_run(engine, "jira", "failed", timedelta(minutes=1), "sync of source jira failed: 401")
    add_run(engine, "github", "success", timedelta(minutes=46))  # 3 x 15 min ago and more
    verdict = judge(True, config, engine)
    assert not verdict.ok
    assert verdict.text.splitlines()[:3] == [
        "unhealthy",
        "- source jira is failing (sync of source jira failed: 401); its numbers in the reports "
        "are as of its last successful sync",
        "- source github is stale (no successful sync for over 3 x 15 min); its numbers in the "
        "reports are out of date",
    ]


def test_unhealthy_when_the_scheduler_is_not_running(config: Config, engine: Engine) -> None:
    verdict = judge(False, config, engine)
    assert not verdict.ok
    assert "- the scheduler is not running (starting or stopping)" in verdict.text


@pytest.fixture
def endpoint(config: Config, engine: Engine, tmp_path: Path) -> Iterator[tuple[str, Metrics]]:
    root = tmp_path / "out"
    root.mkdir()
    (root / "board.html").write_text("<h1>board</h1>")
    (tmp_path / "secret.txt").write_text("outside out_dir")
    metrics = Metrics()
    metrics.watch_sources(lambda: read_sources(config, engine))
    running = [True]
    server = Endpoint(
        "127.0.0.1", 0, root, lambda: judge(running[0], config, engine), metrics.exposition
    )
    server.start()
    yield f"http://127.0.0.1:{server.port}", metrics
    server.stop()


def get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_http_serves_health_metrics_and_reports_only(
    endpoint: tuple[str, Metrics], engine: Engine
) -> None:
    base, metrics = endpoint
    assert get(f"{base}/healthz")[0] == 200
    add_run(engine, "jira", "failed", timedelta(minutes=1), "boom")
    status, kind, body = get(f"{base}/healthz")
    assert (status, kind) == (503, "text/plain; charset=utf-8")
    assert "source jira is failing (boom)" in body
    metrics.digest_sent.inc(3)
    status, kind, body = get(f"{base}/metrics")
    assert status == 200
    assert kind.startswith("text/plain; version=")
    assert "trainyard_digest_sent_total 3.0" in body
    assert 'trainyard_source_failing{source="jira"} 1.0' in body
    assert 'trainyard_source_failing{source="github"} 0.0' in body
    assert get(f"{base}/board.html")[:3:2] == (200, "<h1>board</h1>")
    assert get(f"{base}/../secret.txt")[0] == 404
    assert get(f"{base}/%2e%2e/secret.txt")[0] == 404
