"""``/healthz``: healthy only while the scheduler runs and no source is stale or failing.

Source health is ``trainyard status``'s verdict (``sync.commands.status.collect``), read from the
database, so every ``serve`` process of an HA pair answers alike. The body names each problem
and what it means; a source that has never synced is not unhealthy (a fresh install).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync.commands.status import collect
from sync.config import Config
from sync.service.metrics import SourceHealth


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    text: str


def read_sources(config: Config, db: Engine) -> list[SourceHealth]:
    now = datetime.now(UTC)
    with Session(db) as session:
        statuses = collect(session, config, now)
    return [
        SourceHealth(
            name=s.name,
            last_success=s.last_success.timestamp() if s.last_success else None,
            stale=s.stale,
            failing=s.failing,
            verdict=s.verdict,
            last_error=s.last_error,
        )
        for s in statuses
    ]


def judge(scheduler_running: bool, config: Config, db: Engine) -> Health:
    problems: list[str] = []
    lines: list[str] = []
    if not scheduler_running:
        problems.append("the scheduler is not running (starting or stopping)")
    try:
        sources = read_sources(config, db)
    except Exception as exc:  # the database is the service's memory: unhealthy without it
        problems.append(f"cannot read sync status from the database: {' '.join(str(exc).split())}")
        sources = []
    for src in sources:
        lines.append(f"source {src.name}: {src.verdict}")
        if src.failing:
            problems.append(
                f"source {src.name} is failing ({src.last_error or 'last run did not succeed'}); "
                "its numbers in the reports are as of its last successful sync"
            )
        elif src.stale:
            interval = config.sync.interval_minutes
            problems.append(
                f"source {src.name} is stale (no successful sync for over 3 x {interval} min); "
                "its numbers in the reports are out of date"
            )
    head = "ok" if not problems else "unhealthy"
    body = [head, *(f"- {p}" for p in problems), *lines]
    return Health(ok=not problems, text="\n".join(body) + "\n")
