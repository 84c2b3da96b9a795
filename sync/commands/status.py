"""``trainyard status``: per configured source, how fresh its data is and how its last run went.

Reads ``sync_state`` (the incremental cursor and last success) and ``sync_runs`` (the last run)
and never needs the trackers' secrets. Exit code: 1 when any source is **stale** (its last
successful incremental sync is older than 3 x ``sync.interval_minutes``) or **failing** (its
last run ended in failure), or when the latest digest to a recipient failed to send (digest
deliveries that failed or lost their sender are listed after the sources); else 0. A source
that never synced is neither: a fresh install or the first-run demo has nothing wrong with it
yet, so it prints "never synced" and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from model.db import redact
from model.tables import Source, SyncRun, SyncState
from sync.commands.common import add_config_option, catalog_session, load_config
from sync.config import Config
from sync.errors import RunError

STALE_INTERVALS = 3
INCREMENTAL = "incremental"
HEALTHY_OUTCOMES = frozenset({"running", "success"})
EXIT_RULE = (
    "Exit code 1 when any source is stale (last successful incremental sync older than "
    f"{STALE_INTERVALS} x [sync] interval_minutes) or its last run failed; 0 otherwise, "
    "also when sources have never synced (a fresh database)."
)


@dataclass(frozen=True, slots=True)
class RunSummary:
    mode: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    items_written: int
    links_written: int
    api_requests: int
    quarantined: int
    error: str | None


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    kind: str
    last_success: datetime | None
    cursor: datetime | None
    last_run: RunSummary | None
    last_error: str | None
    last_error_at: datetime | None
    lag: timedelta | None
    stale: bool
    failing: bool
    # the last successful load of any mode (a backfill loads as much as a sync): a newcomer who
    # backfilled is told so; staleness and lag stay about the incremental sync
    last_load: datetime | None = None
    last_load_mode: str | None = None

    @property
    def verdict(self) -> str:
        if self.failing:
            return "FAILING"
        if self.stale:
            return "STALE"
        if self.last_success is None:
            return "never synced" if self.last_load is None else f"loaded by {self.last_load_mode}"
        return "ok"

    @property
    def success_text(self) -> str:
        """The "last success" cell: the incremental sync, else the last load and its mode."""
        if self.last_success is None and self.last_load is not None:
            return f"{_when(self.last_load, '?')} ({self.last_load_mode}; no incremental sync yet)"
        return _when(self.last_success, "never synced")


def add(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "status",
        help="per source: last successful sync, cursor, last run, lag, last error",
        description="Show, per configured source, the last successful sync, the incremental "
        "cursor, the last run (mode, outcome, counts), the lag and the last error. " + EXIT_RULE,
    )
    add_config_option(parser)
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    config = load_config(args)  # no secrets: status reads only the database
    from sync.mail.outbox import problems  # digest deliveries that failed or lost their sender

    with catalog_session(config, "sync status") as session:
        statuses = collect(session, config, datetime.now(UTC))
        mail = problems(session, config.train.name)
    if sys.stdout.isatty():
        render_table(statuses, config, Console())
        for p in mail:
            Console().print(p.line, markup=False, highlight=False, style="bold red")
    else:
        print("\n".join([*render_lines(statuses, config), *(p.line for p in mail)]))
    failed_mail = any(p.status == "failed" for p in mail)
    return 1 if failed_mail or any(s.stale or s.failing for s in statuses) else 0


def collect(session: Session, config: Config, now: datetime) -> list[SourceStatus]:
    """One status per configured source, in config order."""
    threshold = timedelta(minutes=STALE_INTERVALS * config.sync.interval_minutes)
    found: list[SourceStatus] = []
    for src in config.sources:
        row = session.scalar(select(Source).where(Source.name == src.name))
        if row is None:  # ensure_catalog just created it; only a concurrent delete gets here
            raise RunError(f"source {src.name!r} vanished from the database; rerun status")
        found.append(_source_status(session, row, now, threshold))
    return found


def _source_status(
    session: Session, src: Source, now: datetime, threshold: timedelta
) -> SourceStatus:
    state = session.get(SyncState, (src.id, INCREMENTAL))
    last_ok_run = session.scalar(
        select(func.max(SyncRun.finished_at)).where(
            SyncRun.source_id == src.id,
            SyncRun.mode == INCREMENTAL,
            SyncRun.outcome == "success",
        )
    )
    state_ok = state.last_success_at if state else None
    candidates = [t for t in (state_ok, last_ok_run) if t is not None]
    last_success = max(candidates) if candidates else None
    run = session.scalars(
        select(SyncRun)
        .where(SyncRun.source_id == src.id)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    ).first()
    error_state = session.scalars(
        select(SyncState)
        .where(SyncState.source_id == src.id, SyncState.last_error.is_not(None))
        .order_by(SyncState.last_error_at.desc().nulls_last())
    ).first()
    last_error = error_state.last_error if error_state else None
    last_error_at = error_state.last_error_at if error_state else None
    error_run = session.scalars(
        select(SyncRun)
        .where(SyncRun.source_id == src.id, SyncRun.error.is_not(None))
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    ).first()
    if error_run is not None:
        at = error_run.finished_at or error_run.started_at
        if last_error_at is None or at > last_error_at:
            last_error, last_error_at = error_run.error, at
    if run is not None:
        failing = run.outcome not in HEALTHY_OUTCOMES
    else:  # no run rows (e.g. pruned): trust the state's error against its success
        failing = last_error_at is not None and (
            last_success is None or last_error_at > last_success
        )
    lag = now - last_success if last_success else None
    load = _last_load(session, src)
    return SourceStatus(
        last_load=load[0] if load else None,
        last_load_mode=load[1] if load else None,
        name=src.name,
        kind=src.kind,
        last_success=last_success,
        cursor=state.cursor if state else None,
        last_run=_summary(run) if run else None,
        last_error=_one_line(last_error) if last_error else None,
        last_error_at=last_error_at,
        lag=lag,
        stale=lag is not None and lag > threshold,
        failing=failing,
    )


def _last_load(session: Session, src: Source) -> tuple[datetime, str] | None:
    """When and by which mode this source last loaded successfully (runs, else states)."""
    run = session.execute(
        select(SyncRun.finished_at, SyncRun.mode)
        .where(
            SyncRun.source_id == src.id,
            SyncRun.outcome == "success",
            SyncRun.finished_at.is_not(None),
        )
        .order_by(SyncRun.finished_at.desc())
        .limit(1)
    ).first()
    if run is not None and run[0] is not None:
        return run[0], run[1]
    state = session.execute(
        select(SyncState.last_success_at, SyncState.mode)
        .where(SyncState.source_id == src.id, SyncState.last_success_at.is_not(None))
        .order_by(SyncState.last_success_at.desc())
        .limit(1)
    ).first()
    return (state[0], state[1]) if state is not None and state[0] is not None else None


def _summary(run: SyncRun) -> RunSummary:
    return RunSummary(
        mode=run.mode,
        outcome=run.outcome,
        started_at=run.started_at,
        finished_at=run.finished_at,
        items_written=run.items_written or 0,
        links_written=run.links_written or 0,
        api_requests=run.api_requests or 0,
        quarantined=run.quarantined or 0,
        error=_one_line(run.error) if run.error else None,
    )


# -- rendering ------------------------------------------------------------------------------


def render_lines(statuses: Sequence[SourceStatus], config: Config) -> list[str]:
    """Plain text for pipes, logs and cron mail: one block per source, ``key: value`` lines."""
    lines = [_header(config)]
    if not statuses:
        lines.append("no sources configured; add [[sources]] tables to the config")
    for s in statuses:
        lines.append(f"source {s.name} ({s.kind}): {s.verdict}")
        lines.append(f"  last success: {s.success_text}")
        lines.append(f"  lag: {_lag(s)}")
        lines.append(f"  cursor: {_when(s.cursor, 'none')}")
        lines.append(f"  last run: {_run(s.last_run)}")
        error = f"{s.last_error} (at {_when(s.last_error_at, '?')})" if s.last_error else "none"
        lines.append(f"  last error: {error}")
    lines.append(_footer(statuses))
    return lines


def render_table(statuses: Sequence[SourceStatus], config: Config, console: Console) -> None:
    """A rich table for a terminal."""
    table = Table(title=_header(config), title_justify="left")
    for column in ("source", "kind", "status", "last success", "lag", "cursor", "last run"):
        table.add_column(column)
    table.add_column("last error", overflow="fold")
    for s in statuses:
        style = {"FAILING": "bold red", "STALE": "yellow", "ok": "green"}.get(s.verdict, "dim")
        table.add_row(
            s.name,
            s.kind,
            f"[{style}]{s.verdict}[/]",
            s.success_text,
            _lag(s),
            _when(s.cursor, "none"),
            _run(s.last_run),
            s.last_error or "",
        )
    console.print(table)
    console.print(_footer(statuses), markup=False, highlight=False)


def _header(config: Config) -> str:
    stale_after = STALE_INTERVALS * config.sync.interval_minutes
    return (
        f"train {config.train.name!r}, database {redact(config.database.url)} "
        f"(a source is stale after {stale_after} min without a successful sync)"
    )


def _footer(statuses: Sequence[SourceStatus]) -> str:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.verdict] = counts.get(s.verdict, 0) + 1
    parts = ", ".join(f"{n} {verdict}" for verdict, n in counts.items())
    return f"{len(statuses)} source(s)" + (f": {parts}" if parts else "")


def _when(at: datetime | None, missing: str) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else missing


def _lag(s: SourceStatus) -> str:
    if s.lag is None:
        return "-"
    minutes = int(s.lag.total_seconds() // 60)
    text = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
    return text + (" (stale)" if s.stale else "")


def _run(run: RunSummary | None) -> str:
    if run is None:
        return "none"
    finished = _when(run.finished_at, "not finished")
    return (
        f"{run.mode} {run.outcome}, started {_when(run.started_at, '?')}, finished {finished}; "
        f"{run.items_written} items, {run.links_written} links written; "
        f"{run.api_requests} API requests; {run.quarantined} quarantined"
    )


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 300 else flat[:297] + "..."
