"""``serve``: open the database, schedule the jobs, listen, and stop cleanly on SIGTERM/SIGINT.

Stopping: the first SIGTERM or SIGINT sets the stop flag. No job starts any more; a running
sync stores the page it is on and ends as ``interrupted`` (the next run resumes from that
page's cursor); retry waits end at once. The process waits up to ``[service]
stop_timeout_seconds`` for running jobs, then exits 0 — or, when a job is still stuck in a
tracker request, logs which and exits 1 without waiting (its run row stays ``running`` until
the next run of that source marks it interrupted; nothing stored is lost).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sync.catalog import ensure_catalog
from sync.commands.common import engine_for
from sync.config import Config
from sync.errors import RunError
from sync.service import digest, outputs
from sync.service.digest import Deliver
from sync.service.health import judge, read_sources
from sync.service.http import Endpoint, HealthFn
from sync.service.jobs import Jobs, fields
from sync.service.leases import holder_name
from sync.service.logs import secret_values
from sync.service.metrics import Metrics
from sync.service.scheduler import new_scheduler, schedule

log = logging.getLogger("trainyard.service")


def serve(config: Config, *, deliver: Deliver | None = digest.deliver) -> int:
    db = engine_for(config)
    with Session(db) as session:
        ensure_catalog(session, config)
        session.commit()
    stop = threading.Event()
    metrics = Metrics()
    jobs = Jobs(
        config, db, metrics, holder_name(), deliver, stop=stop, secrets=secret_values(config)
    )
    scheduler = new_scheduler(config)
    metrics.watch_sources(lambda: read_sources(config, db))
    endpoint = _endpoint(config, lambda: judge(_running(scheduler, stop), config, db), metrics)
    _on_signals(stop)
    schedule(scheduler, config, jobs, datetime.now(UTC))
    scheduler.start()
    metrics.scheduler_up.set(1)
    endpoint.start()
    log.info(
        "serve started: %d jobs; http://%s:%d/healthz",
        len(scheduler.get_jobs()),
        endpoint.bind,
        endpoint.port,
        extra=fields(
            pid=os.getpid(),
            port=endpoint.port,
            jobs=",".join(job.id for job in scheduler.get_jobs()),
            holder=jobs.holder,
        ),
    )
    while not stop.wait(1.0):
        pass
    return _shut_down(config, scheduler, jobs, endpoint, metrics, db)


def _running(scheduler: BaseScheduler, stop: threading.Event) -> bool:
    return bool(scheduler.running) and not stop.is_set()


def _endpoint(config: Config, health: HealthFn, metrics: Metrics) -> Endpoint:
    svc = config.service
    root = outputs.out_dir(config)
    try:
        root.mkdir(parents=True, exist_ok=True)
        return Endpoint(svc.bind, svc.http_port, root, health, metrics.exposition)
    except OSError as exc:
        raise RunError(
            f"cannot serve http on {svc.bind}:{svc.http_port} from {root}: "
            f"{exc.strerror or exc}; set [service] http_port to a free port (0: any) or fix "
            "[reports] out_dir"
        ) from None


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        log.info(
            "%s received: finishing the current page, then stopping",
            signal.Signals(signum).name,
            extra=fields(signal=signal.Signals(signum).name),
        )
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _shut_down(
    config: Config,
    scheduler: BaseScheduler,
    jobs: Jobs,
    endpoint: Endpoint,
    metrics: Metrics,
    db: Engine,
) -> int:
    scheduler.shutdown(wait=False)
    metrics.scheduler_up.set(0)
    left = jobs.wait_idle(max(0.5, config.service.stop_timeout_seconds - 1.0))
    endpoint.stop()
    if left:
        log.warning(
            "stopping with jobs still running: %s; their stored pages are kept, the next run "
            "resumes",
            ", ".join(left),
            extra=fields(outcome="forced", jobs=",".join(left)),
        )
        _flush()
        os._exit(1)  # a thread stuck in a request must not hold the process past the timeout
    db.dispose()
    log.info("serve stopped", extra=fields(outcome="stopped"))
    _flush()
    return 0


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stderr.flush()
