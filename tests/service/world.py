"""Shared builders of the service tests: configs, a hand-driven scheduler, a recording job set.

``ManualScheduler`` is APScheduler's own ``BaseScheduler`` with no thread of its own: a test
moves the clock (``time-machine``) and calls ``tick()``, which is exactly one pass of the
scheduler's loop (due jobs, coalescing, misfires, max instances), run synchronously by the
``DebugExecutor`` unless the test passes another executor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

from sync.config import Config, load
from sync.service.scheduler import job_defaults
from tests.engine.scripted import CONFIG as ENGINE_CONFIG
from tests.engine.scripted import ScriptedSettings

T0 = datetime(2026, 10, 7, 9, 0, tzinfo=UTC)  # a Wednesday

SERVICE = """
[reports]
out_dir = "{out}"
[service]
http_port = 0
jitter_seconds = {jitter}
misfire_grace_seconds = {grace}
lease_seconds = 5
[schedule]
digest_cron = "{cron}"
"""
DIGEST = """
[digest]
to = ["rte@acme.example"]
[smtp]
host = "127.0.0.1"
security = "none"
from = "{sender}"
"""


def scripted_config(
    tmp_path: Path,
    url: str,
    *,
    jitter: float = 30,
    grace: float = 300,
    cron: str = "0 7 * * mon",
    sender: str | None = "trainyard@acme.example",  # None: no [digest] or [smtp] at all
) -> Config:
    """The engine tests' train (sources jira and github, scripted connectors) plus [service]."""
    path = tmp_path / "trainyard.toml"
    service = SERVICE.format(out=tmp_path / "out", jitter=jitter, grace=grace, cron=cron)
    mail = DIGEST.format(sender=sender) if sender is not None else ""
    path.write_text(ENGINE_CONFIG.format(url=url) + service + mail)
    return load(path, connector_settings={"jira": ScriptedSettings, "github": ScriptedSettings})


class ManualScheduler(BaseScheduler):  # type: ignore[misc]
    def __init__(self, config: Config, executor: Any = None) -> None:
        super().__init__(
            timezone=UTC,
            executors={"default": executor or DebugExecutor()},
            job_defaults=job_defaults(config),
        )

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:  # the test drives the loop
        return

    def tick(self) -> float | None:
        return self._process_jobs()  # type: ignore[no-any-return]


class Recorder:
    """Stands in for ``Jobs`` where only the schedule is under test: records what ran when."""

    def __init__(self, block: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, datetime]] = []
        self.block = block
        self.submit: Callable[[Callable[[], None], float], None] | None = None

    def sync(self, source: str, kind: str = "sync") -> None:
        self.calls.append((f"{kind}:{source}", datetime.now(UTC)))
        if self.block is not None:
            self.block.wait(10)

    def digest(self) -> bool:
        self.calls.append(("digest", datetime.now(UTC)))
        return True

    def ran(self, job: str) -> list[datetime]:
        return [at for name, at in self.calls if name == job]
