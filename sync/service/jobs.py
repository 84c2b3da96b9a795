"""What the scheduler runs: syncs, census and sweep runs, reports, the digest.

Every job catches its own failure: it is logged (one line), counted in ``/metrics`` and recorded
in the database — a sync in its ``sync_runs`` row (the engine writes it), reports and digest on
their ``service_leases`` row — and the service goes on. Syncs take the source's lock, so of
several ``serve`` processes on one database only one syncs a source at a time; reports and the
digest take a database lease. A successful sync asks for the reports; requests that arrive
while they are being written are folded into one more regeneration afterwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from connectors import base as rec
from model import tables as t
from sync.config import Config
from sync.engine import RunResult, SyncEngine, describe_result
from sync.errors import SourceLocked, TrainyardError
from sync.service import outputs
from sync.service.digest import Deliver
from sync.service.leases import leased
from sync.service.logs import mask
from sync.service.metrics import Metrics

log = logging.getLogger("trainyard.service")

SYNC_KINDS = ("sync", "census", "sweep")
LOCK_WAIT_SECONDS = 30.0  # a census/sweep waits this long for a regular sync of its source
RETRY_SECONDS = 15.0  # the reports lease is busy: try again this much later

Submit = Callable[[Callable[[], None], float], None]  # run fn after a delay, on the scheduler


def fields(**kv: Any) -> dict[str, Any]:
    """``extra=`` for structured log fields (see ``sync.service.logs``)."""
    return {"kv": kv}


@dataclass
class Jobs:
    config: Config
    db: Engine
    metrics: Metrics
    holder: str
    deliver: Deliver | None
    stop: threading.Event = field(default_factory=threading.Event)
    submit: Submit | None = None  # set by the scheduler; None: reports run in the caller
    connector_classes: Mapping[str, type[rec.Connector]] | None = None  # tests
    secrets: Sequence[str] = ()  # masked in what the lease rows record
    _running: dict[str, int] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _reports_dirty: bool = False
    _reports_busy: bool = False

    # -- bookkeeping ----------------------------------------------------------------------------

    @contextmanager
    def track(self, name: str) -> Iterator[None]:
        with self._cond:
            self._running[name] = self._running.get(name, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._running[name] -= 1
                if not self._running[name]:
                    del self._running[name]
                self._cond.notify_all()

    def running(self) -> list[str]:
        with self._cond:
            return sorted(self._running)

    def wait_idle(self, timeout: float) -> list[str]:
        """Wait until no job runs (at most ``timeout`` s); the names of those still running."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._running and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            return sorted(self._running)

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)  # a retry wait ends early when the service stops

    # -- syncs ----------------------------------------------------------------------------------

    def sync(self, source: str, kind: str = "sync") -> RunResult | None:
        """One incremental run of ``source``; ``census``/``sweep`` force that part of it now."""
        name = f"{kind}:{source}"
        if self.stop.is_set():
            return None
        with self.track(name):
            engine = SyncEngine(
                self.config,
                self.db,
                sleeper=self._sleep,
                stop=self.stop,
                connector_classes=self.connector_classes,
            )
            started = time.monotonic()
            try:
                [result] = engine.sync(
                    source,
                    wait=0.0 if kind == "sync" else LOCK_WAIT_SECONDS,
                    full_sweep=kind == "sweep",
                    census=kind == "census",
                )
            except SourceLocked as exc:
                log.info("%s skipped: %s", name, exc, extra=fields(job=name, outcome="skipped"))
                return None
            except TrainyardError as exc:
                self._failed(name, str(exc))
                return None
            except Exception:  # our bug or the database: logged, never fatal
                log.exception("%s crashed", name, extra=fields(job=name, outcome="failed"))
                self.metrics.errors.labels(name).inc()
                return None
            self._synced(result, kind, time.monotonic() - started)
        return result

    def _synced(self, result: RunResult, kind: str, seconds: float) -> None:
        job = f"{kind}:{result.source}"
        self.metrics.observe_sync(result, kind, seconds)
        remaining = self._rate_limit_left(result.run_id)
        if remaining is not None:
            self.metrics.rate_left.labels(result.source).set(remaining)
        log.info(
            describe_result(result),
            extra=fields(
                job=job,
                outcome=result.outcome,
                seconds=round(seconds, 3),
                items=result.items,
                requests=result.api_requests,
            ),
        )
        if result.outcome == "success":
            self.metrics.job_success.labels(job).set(time.time())
            self.request_reports()

    def _rate_limit_left(self, run_id: int) -> int | None:
        with Session(self.db) as session:
            return session.scalar(
                select(t.SyncRun.rate_limit_remaining).where(t.SyncRun.id == run_id)
            )

    def _failed(self, job: str, message: str) -> None:
        self.metrics.errors.labels(job).inc()
        log.error("%s failed: %s", job, message, extra=fields(job=job, outcome="failed"))

    def _describe(self, exc: BaseException) -> str:
        """A failure as recorded on the lease row: one line, secrets masked."""
        text = " ".join(str(exc).split())[:500] or type(exc).__name__
        return mask(text, self.secrets)

    # -- reports --------------------------------------------------------------------------------

    def request_reports(self) -> None:
        """Regenerate the reports soon; one run covers every request made before it starts."""
        with self._cond:
            self._reports_dirty = True
            if self._reports_busy:
                return
            self._reports_busy = True
        self._later(self._reports_loop, 0.0)

    def _later(self, fn: Callable[[], None], delay: float) -> None:
        if self.submit is None:
            fn()
        else:
            self.submit(fn, delay)

    def _reports_loop(self) -> None:
        while not self.stop.is_set():
            with self._cond:
                if not self._reports_dirty:
                    self._reports_busy = False
                    return
                self._reports_dirty = False
            if not self.reports():  # another process holds the lease: come back later
                with self._cond:
                    self._reports_dirty = True
                self._later(self._reports_loop, RETRY_SECONDS)
                return
        with self._cond:
            self._reports_busy = False

    def reports(self) -> bool:
        """Write every report under the ``reports`` lease; False when another process holds it."""
        return self._leased("reports", self._write_reports)

    def _write_reports(self) -> str | None:
        written = outputs.regenerate(self.config, self.db, datetime.now(UTC))
        self.metrics.reports.inc(len(written))
        log.info(
            "reports written to %s: %d files",
            outputs.out_dir(self.config),
            len(written),
            extra=fields(job="reports", outcome="success", files=len(written)),
        )
        return None

    # -- digest ---------------------------------------------------------------------------------

    def digest(self) -> bool:
        """Send the digest under the ``digest`` lease; False when another process holds it."""
        return self._leased("digest", self._send_digest)

    def _send_digest(self) -> str | None:
        if self.deliver is None:
            return "no digest delivery configured in this process"
        outcome = self.deliver(self.config, datetime.now(UTC))
        self.metrics.digest_sent.inc(outcome.sent)
        self.metrics.digest_failed.inc(outcome.failed)
        log.info(
            "digest: %d sent, %d failed%s",
            outcome.sent,
            outcome.failed,
            " (quiet period: nothing to send)" if outcome.skipped_quiet else "",
            extra=fields(job="digest", sent=outcome.sent, failed=outcome.failed),
        )
        if outcome.failed or outcome.errors:
            return "; ".join(outcome.errors) or f"{outcome.failed} digest messages not sent"
        return None

    # -- leased jobs ----------------------------------------------------------------------------

    def _leased(self, job: str, work: Callable[[], str | None]) -> bool:
        """Run ``work`` under the job's lease; its returned text (or exception) is a failure."""
        with self.track(job):
            seconds = self.config.service.lease_seconds
            try:
                with leased(self.db, job, self.holder, seconds, describe=self._describe) as lease:
                    if lease is None:
                        log.info(
                            "%s: another serve process holds the lease; not run here",
                            job,
                            extra=fields(job=job, outcome="skipped"),
                        )
                        return False
                    problem = work()
                    if problem:
                        raise _JobFailed(problem)
            except _JobFailed as exc:
                self._failed(job, str(exc))
            except TrainyardError as exc:
                self._failed(job, str(exc))
            except Exception:  # our bug or the database: logged, never fatal
                log.exception("%s crashed", job, extra=fields(job=job, outcome="failed"))
                self.metrics.errors.labels(job).inc()
            else:
                self.metrics.job_success.labels(job).set(time.time())
            return True


class _JobFailed(Exception):
    """A job's work reported a failure without raising (e.g. some digests not sent)."""
