"""The sync engine: runs one source in incremental or backfill mode.

For each run: mirror the config into the model, take the source's lock, open a ``sync_runs``
row, ask the connector for pages and store each page together with the cursor it reaches in one
transaction, then close the run. A crash (even ``kill -9``) at any moment leaves only whole
pages behind, and the cursor never passes what was stored, so a rerun ends in exactly the state
of an uninterrupted run. Connector failures end the run with one clear line (``RunError``),
never with a secret in it. A set ``stop`` event (the service's SIGTERM) ends a run as
``interrupted``: a page being stored is finished; a page still being fetched is abandoned at
its next HTTP response (a page may take minutes of requests), so the cursor stays at the last
stored page and the next run fetches the rest again.
"""

from __future__ import annotations

import base64
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from connectors import base as rec
from connectors.errors import ConnectorError
from connectors.http import BudgetRetry
from model import tables as t
from model.db import refresh_statistics
from model.rules import IterationSpan
from sync import cursor as cur
from sync.catalog import ensure_catalog
from sync.config import Config, SourceConfig
from sync.errors import RunError
from sync.history import history_pending
from sync.lock import source_lock
from sync.registry import connector_class
from sync.store import PageStore
from sync.store_context import PageCounts, StoreContext
from sync.stored import count_items, memo_view, stored_updated, unresolved_keys

log = logging.getLogger(__name__)

BULK_ITEMS = 1000  # a run writing this many items refreshes the planner's statistics
STOPPED = "stopped on request; the next run resumes from the stored cursor"


class StopRequested(BaseException):
    """Raised from the response hook when a stop was requested mid-page: a BaseException, so
    no connector or client library mistakes it for a request failure to retry or wrap."""


Clock = Callable[[], datetime]
ProgressFn = Callable[["RunProgress"], None]


@dataclass(slots=True)
class RunProgress:
    """What a progress display shows after each stored page."""

    source: str
    mode: str
    pages: int = 0
    items: int = 0
    links: int = 0
    events: int = 0
    quarantined: int = 0
    done: int | None = None
    total: int | None = None
    requests: int = 0


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: int
    source: str
    mode: str
    outcome: str
    pages: int
    items: int
    links: int
    events: int
    quarantined: int
    api_requests: int
    cursor: datetime | None
    error: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SyncEngine:
    """Runs syncs for one config against one database."""

    config: Config
    db: Engine
    clock: Clock = utcnow
    sleeper: Callable[[float], None] = time.sleep
    progress: ProgressFn | None = None
    connector_classes: Mapping[str, type[rec.Connector]] | None = None  # tests; default: installed
    stop: threading.Event | None = None  # set: finish the page being stored, then end the run

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def sync(
        self,
        source: str | None = None,
        *,
        wait: float = 0.0,
        full_sweep: bool = False,
        census: bool = False,
    ) -> list[RunResult]:
        """Incremental sync of one source, or of all; a failing source does not stop the others
        (their errors are raised together, after every source had its turn)."""
        names = [source] if source else [s.name for s in self.config.sources]
        if not names:
            raise RunError(f"{self.config.path}: no [[sources]] configured; add one to sync")
        results: list[RunResult] = []
        errors: list[str] = []
        for name in names:
            if self.stopping():
                break
            try:
                results.append(
                    self.run(name, "incremental", wait=wait, full_sweep=full_sweep, census=census)
                )
            except RunError as exc:
                if source:
                    raise
                errors.append(str(exc))
        if errors:
            raise RunError("; ".join(errors))
        return results

    def backfill(
        self,
        source: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        wait: float = 0.0,
    ) -> RunResult:
        return self.run(source, "backfill", since=since, until=until, wait=wait)

    # -- one run --------------------------------------------------------------------------------

    def run(
        self,
        name: str,
        mode: rec.SyncMode,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        wait: float = 0.0,
        full_sweep: bool = False,
        census: bool = False,
    ) -> RunResult:
        """``full_sweep``/``census``: do them now, not only when their interval has passed."""
        src_cfg = self.config.source(name)
        source_id = self._prepare()[name]
        with source_lock(self.db, source_id, name, wait=wait):
            started = self.clock()
            run_id = self._open_run(source_id, mode, started)
            runner = _Run(self, src_cfg, source_id, run_id, mode, started, since, until)
            return runner.execute(full_sweep, census)

    def _prepare(self) -> dict[str, int]:
        with Session(self.db) as session, session.begin():
            ensure_catalog(session, self.config)
            return dict(session.execute(select(t.Source.name, t.Source.id)).all())

    def _open_run(self, source_id: int, mode: str, started: datetime) -> int:
        with Session(self.db) as session, session.begin():
            # we hold the lock: any run still "running" died without closing
            for stale in session.scalars(
                select(t.SyncRun).where(
                    t.SyncRun.source_id == source_id, t.SyncRun.outcome == "running"
                )
            ):
                stale.outcome, stale.error = "interrupted", "the process ended mid-run"
                stale.finished_at = stale.finished_at or started
            run = t.SyncRun(
                source_id=source_id,
                mode=mode,
                started_at=started,
                pid=os.getpid(),
                host=socket.gethostname(),
            )
            session.add(run)
            session.flush()
            return run.id


class _Run:
    """One source, one mode, one run: owns the connector, the cursor and the run row."""

    def __init__(
        self,
        engine: SyncEngine,
        src: SourceConfig,
        source_id: int,
        run_id: int,
        mode: rec.SyncMode,
        started: datetime,
        since: datetime | None,
        until: datetime | None,
    ) -> None:
        self.e, self.src, self.source_id, self.run_id = engine, src, source_id, run_id
        self.mode, self.started = mode, started
        self.window = (since, until)
        self.state_mode = "incremental" if mode == "incremental" else "backfill"
        self.progress = RunProgress(source=src.name, mode=mode)
        self.totals = PageCounts()
        self.connector: rec.Connector | None = None
        self.secrets = _secret_values(src)
        self._census = self._sweep = False  # decided in _request, recorded in _close
        self._train: tuple[dict[str, int], list[IterationSpan]] | None = None

    def execute(self, full_sweep: bool, census: bool = False) -> RunResult:
        cfg = self.e.config.sync
        retry = BudgetRetry.for_run(
            max_retries=cfg.max_retries, max_wait=cfg.max_wait_seconds, sleeper=self.e.sleeper
        )
        transport = rec.Transport(
            retry=retry,
            timeout=cfg.request_timeout_seconds,
            max_wait=cfg.max_wait_seconds,
            on_response=self._stop_point,
        )
        cursor_now: datetime | None = None
        try:
            classes = self.e.connector_classes
            cls = classes[self.src.kind] if classes else connector_class(self.src.kind)
            self.connector = cls(self.src.name, self.src.settings, transport)
            request, cursor_now = self._request(full_sweep, census)
            for page in self.connector.pages(request):
                cursor_now = self._store(page, cursor_now)
                if self.e.stopping():
                    return self._close("interrupted", STOPPED, cursor_now)
        except StopRequested:
            return self._close("interrupted", STOPPED, cursor_now)
        except Exception as exc:  # any failure ends the run cleanly and is recorded
            log.debug("sync of %s failed", self.src.name, exc_info=True)
            message = self._describe(exc)
            self._close_quietly(message, cursor_now)
            raise RunError(f"sync of source {self.src.name} failed: {message}") from None
        except BaseException:
            self._close_quietly("interrupted", cursor_now)
            raise
        return self._close("success", None, cursor_now)

    def _stop_point(self, response: object) -> None:
        if self.e.stopping():
            raise StopRequested

    def _request(
        self, full_sweep: bool, force_census: bool = False
    ) -> tuple[rec.SyncRequest, datetime | None]:
        cfg = self.e.config.sync
        lookback = timedelta(minutes=cfg.lookback_minutes)
        with Session(self.e.db) as session:
            state = session.get(t.SyncState, (self.source_id, self.state_mode))
            loaded = session.get(t.SyncState, (self.source_id, "backfill"))
            memo = memo_view(session, self.source_id)
            census_due = self._due(session, "census", timedelta(hours=cfg.census_hours))
            sweep_due = self._due(session, "full_sweep", timedelta(hours=cfg.full_sweep_hours))
        since, until = self.window
        if self.mode == "incremental":
            stored = state.cursor if state else None
            if stored is None and loaded is not None:
                stored = cur.first_incremental(loaded.cursor, loaded.window)
            fetch_since = cur.fetch_since(stored, lookback)
            census = census_due or stored is None or force_census
        else:
            label = cur.window_label(since, until)
            stored = state.cursor if state and state.window == label else None
            fetch_since = cur.backfill_since(since, stored, lookback)
            census = since is None and until is None
        self._census = census
        # a bounded backfill window reloads a slice; sweeping the whole scope is not its job
        self._sweep = full_sweep or (sweep_due and (self.mode == "incremental" or census))
        request = rec.SyncRequest(
            mode=self.mode,
            started_at=self.started,
            since=fetch_since,
            until=until if self.mode == "backfill" else None,
            memo=memo,
            stored_updated=self._stored_updated,
            census=census,
            full_sweep=self._sweep,
            history_pending=self._history_pending,
            unresolved=self._unresolved,
        )
        return request, stored

    def _due(self, session: Session, mode: str, every: timedelta) -> bool:
        state = session.get(t.SyncState, (self.source_id, mode))
        return (
            state is None
            or state.last_success_at is None
            or (self.started - state.last_success_at >= every)
        )

    def _history_pending(self, limit: int) -> list[tuple[str, str]]:
        with Session(self.e.db) as session:
            return history_pending(session, self.source_id, limit)

    def _stored_updated(self, tracker_ids: Sequence[str]) -> Mapping[str, datetime]:
        with Session(self.e.db) as session:
            return stored_updated(session, self.source_id, tracker_ids)

    def _unresolved(self) -> Sequence[str]:
        with Session(self.e.db) as session:
            return unresolved_keys(session, self.src.kind)

    def _store(self, page: rec.Page, cursor_now: datetime | None) -> datetime | None:
        with Session(self.e.db) as session, session.begin():
            ctx = self._context(session)
            counts = PageStore(session, ctx).store(page)
            new_cursor = cur.advance(cursor_now, page.cursor, self.started)
            if new_cursor != cursor_now:
                self._save_cursor(session, new_cursor)
            self._account(session, counts, page)
        self._report(page)
        return new_cursor

    def _context(self, session: Session) -> StoreContext:
        team_ids, spans = self._train_rows(session)
        source = session.get(t.Source, self.source_id)
        assert source is not None
        return StoreContext(
            source=source,
            run_id=self.run_id,
            now=self.e.clock(),
            teams=self.e.config.train.teams,
            team_ids=team_ids,
            iterations=spans,
            tz=ZoneInfo(self.e.config.train.timezone),
        )

    def _train_rows(self, session: Session) -> tuple[dict[str, int], list[IterationSpan]]:
        """Team ids and iteration spans, read once per run (the catalog does not change in it)."""
        if self._train is None:
            name = self.e.config.train.name
            train = session.scalar(select(t.Train).where(t.Train.name == name))
            assert train is not None  # ensure_catalog made it
            spans = [
                IterationSpan(it.id, it.name, it.start, it.end)
                for pi in train.pis
                for it in pi.iterations
            ]
            self._train = ({team.name: team.id for team in train.teams}, spans)
        return self._train

    def _save_cursor(self, session: Session, value: datetime | None) -> None:
        state = session.get(t.SyncState, (self.source_id, self.state_mode))
        if state is None:
            state = t.SyncState(source_id=self.source_id, mode=self.state_mode)
            session.add(state)
        state.cursor = value
        state.updated_at = self.e.clock()
        if self.mode == "backfill":
            state.window = cur.window_label(*self.window)

    def _account(self, session: Session, counts: PageCounts, page: rec.Page) -> None:
        run = session.get(t.SyncRun, self.run_id)
        assert run is not None
        self.totals.items += counts.items
        self.totals.links += counts.links
        self.totals.events += counts.events
        self.totals.quarantined += counts.quarantined
        self.totals.census += counts.census
        run.pages += 1
        run.items_written, run.links_written = self.totals.items, self.totals.links
        run.events_written, run.quarantined = self.totals.events, self.totals.quarantined
        if page.census is not None:
            run.census_items = self.totals.census
        self._stats_into(run)

    def _stats_into(self, run: t.SyncRun) -> None:
        if self.connector is None:
            return
        stats = self.connector.stats()
        run.api_requests = int(stats.get("requests", 0))
        remaining = stats.get("rate_limit_remaining")
        run.rate_limit_remaining = int(remaining) if remaining is not None else None

    def _report(self, page: rec.Page) -> None:
        p = self.progress
        p.pages += 1
        p.items, p.links, p.events = self.totals.items, self.totals.links, self.totals.events
        p.quarantined = self.totals.quarantined
        if page.progress is not None:
            p.done, p.total = page.progress
        if self.connector is not None:
            p.requests = int(self.connector.stats().get("requests", 0))
        if self.e.progress is not None:
            self.e.progress(p)

    def _close_quietly(self, error: str, cursor_now: datetime | None) -> None:
        """Record a failure; if the database itself is gone, the original error matters more."""
        try:
            self._close("failed", error, cursor_now)
        except SQLAlchemyError:
            log.debug("could not record the failed run", exc_info=True)

    def _close(self, outcome: str, error: str | None, cursor_now: datetime | None) -> RunResult:
        now = self.e.clock()
        final = cursor_now
        with Session(self.e.db) as session, session.begin():
            run = session.get(t.SyncRun, self.run_id)
            assert run is not None
            run.outcome, run.error, run.finished_at = outcome, error, now
            self._stats_into(run)
            state = session.get(t.SyncState, (self.source_id, self.state_mode))
            if state is None:
                state = t.SyncState(source_id=self.source_id, mode=self.state_mode)
                session.add(state)
            if outcome == "success":
                if self.mode == "incremental":
                    final = cur.completed(cursor_now, self.started)
                    state.cursor = final
                else:
                    state.window = cur.window_label(*self.window)
                    state.cursor = cursor_now
                state.last_success_at, state.last_error, state.last_error_at = now, None, None
                self._mark_done(session, now, run)
            elif outcome != "interrupted":  # a requested stop is no error of the source
                state.last_error, state.last_error_at = error, now
            state.updated_at = now
            requests = run.api_requests
        if outcome == "success" and self.totals.items >= BULK_ITEMS:
            refresh_statistics(self.e.db)
        return RunResult(
            run_id=self.run_id,
            source=self.src.name,
            mode=self.mode,
            outcome=outcome,
            pages=self.progress.pages,
            items=self.totals.items,
            links=self.totals.links,
            events=self.totals.events,
            quarantined=self.totals.quarantined,
            api_requests=requests,
            cursor=final,
            error=error,
        )

    def _mark_done(self, session: Session, now: datetime, run: t.SyncRun) -> None:
        """Record that this run's census and full sweep happened (they are scheduled by age)."""
        for mode, happened in (("census", self._census), ("full_sweep", self._sweep)):
            if not happened:
                continue
            state = session.get(t.SyncState, (self.source_id, mode))
            if state is None:
                state = t.SyncState(source_id=self.source_id, mode=mode)
                session.add(state)
            state.last_success_at = state.updated_at = now
        if self._census and run.census_items is None:
            run.census_items = count_items(session, self.source_id)

    def _describe(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, SQLAlchemyError):
            text = f"database error: {text.split(' [SQL:')[0]}"
        elif not isinstance(exc, ConnectorError):
            text = f"{type(exc).__name__}: {text}"
        return redact(text[:500], self.secrets)


def _secret_values(src: SourceConfig) -> list[str]:
    """The source's secret values, and the basic-auth header they make, for redaction."""
    fields = getattr(src.settings, "__dataclass_fields__", {})
    names = [getattr(src.settings, f) for f in fields if f.endswith("_env")]
    values = [os.environ[n] for n in names if n and os.environ.get(n)]
    if len(values) == 2:
        for user, token in (values, values[::-1]):
            values.append(base64.b64encode(f"{user}:{token}".encode()).decode())
    return values


def redact(text: str, secrets: Sequence[str]) -> str:
    """Replace every secret value with ``***`` (messages may quote URLs, headers, bodies)."""
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


@contextmanager
def engine_for_config(config: Config) -> Iterator[Engine]:
    from model.db import open_engine

    db = open_engine(config.database.url)
    try:
        yield db
    finally:
        db.dispose()


def describe_result(result: RunResult) -> str:
    cursor = result.cursor.strftime("%Y-%m-%dT%H:%M:%SZ") if result.cursor else "none"
    return (
        f"{result.source}: {result.mode} {result.outcome}: {result.pages} pages, "
        f"{result.items} items, {result.links} links, {result.events} events written, "
        f"{result.quarantined} quarantined, {result.api_requests} API requests; cursor {cursor}"
    )
