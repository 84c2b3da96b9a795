"""Prometheus metrics of one ``serve`` process (``prometheus_client``, served at ``/metrics``).

What this process did is counted as it happens: sync durations, items and links written, API
requests, errors by job, digest sends and failures, the rate-limit budget a run ended with.
What is true of the whole install — each source's last successful sync, whether it is stale or
failing — is read from the database at scrape time, so every process of an HA pair tells the
same truth whichever of them ran the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from sync.engine import RunResult

log = logging.getLogger(__name__)

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, float("inf"))


class Metrics:
    """The process's metrics on their own registry (one per service; tests build several)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.sync_seconds = Histogram(
            "trainyard_sync_duration_seconds",
            "Wall time of one sync run",
            ["source", "job"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.sync_runs = Counter(
            "trainyard_sync_runs", "Sync runs by outcome", ["source", "job", "outcome"], registry=r
        )
        self.items = Counter("trainyard_sync_items", "Work items written", ["source"], registry=r)
        self.links = Counter("trainyard_sync_links", "Links written", ["source"], registry=r)
        self.requests = Counter(
            "trainyard_api_requests", "Tracker API requests made", ["source"], registry=r
        )
        self.rate_left = Gauge(
            "trainyard_rate_limit_remaining",
            "Rate-limit budget left at the end of the last run (where the API tells)",
            ["source"],
            registry=r,
        )
        self.errors = Counter("trainyard_job_errors", "Failed job runs", ["job"], registry=r)
        self.job_success = Gauge(
            "trainyard_job_last_success_timestamp_seconds",
            "When a job last succeeded in this process",
            ["job"],
            registry=r,
        )
        self.reports = Counter(
            "trainyard_report_files_written", "Report files written to out_dir", registry=r
        )
        self.digest_sent = Counter("trainyard_digest_sent", "Digest messages sent", registry=r)
        self.digest_failed = Counter(
            "trainyard_digest_failed", "Digest messages that failed to send", registry=r
        )
        self.scheduler_up = Gauge(
            "trainyard_scheduler_running", "1 while this process's scheduler runs", registry=r
        )

    def observe_sync(self, result: RunResult, job: str, seconds: float) -> None:
        self.sync_seconds.labels(result.source, job).observe(seconds)
        self.sync_runs.labels(result.source, job, result.outcome).inc()
        self.items.labels(result.source).inc(result.items)
        self.links.labels(result.source).inc(result.links)
        self.requests.labels(result.source).inc(result.api_requests)

    def watch_sources(self, read: Callable[[], Sequence[SourceHealth]]) -> None:
        """Per-source gauges read from the database at each scrape."""
        self.registry.register(_SourceCollector(read))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What ``/metrics`` and ``/healthz`` say of one source (as ``trainyard status`` does)."""

    name: str
    last_success: float | None  # epoch seconds
    stale: bool
    failing: bool
    verdict: str
    last_error: str | None


class _SourceCollector(Collector):
    def __init__(self, read: Callable[[], Sequence[SourceHealth]]) -> None:
        self.read = read

    def collect(self) -> Iterator[Any]:
        try:
            sources = list(self.read())
        except Exception as exc:  # the database is away: the rest of /metrics still answers
            log.warning("cannot read source health for /metrics: %s", " ".join(str(exc).split()))
            return
        last = GaugeMetricFamily(
            "trainyard_source_last_success_timestamp_seconds",
            "Last successful incremental sync of the source (any serve process)",
            labels=["source"],
        )
        stale = GaugeMetricFamily(
            "trainyard_source_stale", "1 when older than 3 sync intervals", labels=["source"]
        )
        failing = GaugeMetricFamily(
            "trainyard_source_failing", "1 when its last run failed", labels=["source"]
        )
        for src in sources:
            if src.last_success is not None:
                last.add_metric([src.name], src.last_success)
            stale.add_metric([src.name], 1.0 if src.stale else 0.0)
            failing.add_metric([src.name], 1.0 if src.failing else 0.0)
        yield from (last, stale, failing)
