"""Drive the demo: the world as of a week ago → backfill → reports and the first digest → the
simulated week → incremental sync → reports and the second digest → (``--serve``) the service.

Everything goes through the product's own parts: the real connectors over real HTTP to the
sandbox, the sync engine into SQLite, ``sync.service.outputs.regenerate`` for the reports and
``sync.mail.deliver_digests`` for the digests. Only the clock is the demo's: the first sync runs
"a week ago" so the second one, now, has a week of changes to report.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from model.db import open_engine
from sync.commands.run import SyncDisplay
from sync.config import Config, load
from sync.demo.config import ENV, RTE, Endpoints, write_config
from sync.demo.train import bundled
from sync.demo.world import World
from sync.engine import SyncEngine
from sync.errors import UsageError
from sync.mail import deliver_digests
from sync.service.outputs import regenerate

OWNED = ("trainyard.db", "trainyard.db-wal", "trainyard.db-shm", "trainyard.toml")
OWNED_DIRS = ("reports", "first-sync")


@dataclass
class DemoResult:
    directory: Path
    config: Path
    world: World
    reports: list[Path] = field(default_factory=list)
    first_reports: list[Path] = field(default_factory=list)
    digests: list[Path] = field(default_factory=list)
    sent: int = 0
    failed: tuple[str, ...] = ()
    story: list[str] = field(default_factory=list)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_demo(
    directory: Path,
    *,
    smtp: tuple[str, int] | None = None,
    now: datetime | None = None,
    keep_running: bool = False,
) -> DemoResult:
    """Build the sandbox, run both phases; with ``keep_running`` the sandbox stays up (the
    caller stops ``result.world``)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    _prepare(directory)
    world = World(bundled(), now).build()
    jira_url, github_url = world.start_servers()
    try:
        result = _phases(directory, world, jira_url, github_url, smtp)
    except BaseException:
        world.stop()
        raise
    if not keep_running:
        world.stop()
    return result


def _phases(
    directory: Path, world: World, jira: str, github: str, smtp: tuple[str, int] | None
) -> DemoResult:
    host, port = smtp or ("localhost", 25)
    endpoints = Endpoints(jira, github, host, port, _free_port())
    path = write_config(directory, world.spec, world.start.date(), endpoints)
    os.environ.update(ENV)
    config = load(path, require_secrets=True)
    result = DemoResult(directory, path, world)
    send = smtp is not None
    db = open_engine(config.database.url)
    try:
        engine = SyncEngine(config, db, clock=lambda: world.clock)
        say(f"sandbox: Jira at {jira}, GitHub at {github} ({len(world.spec.items)} items)")
        say(f"a week ago ({_local(world, world.first_sync)}): backfill of both trackers")
        _sync(engine, backfill=True)
        first = directory / "first-sync"
        result.first_reports = _reports(config, db, world.first_sync, first)
        result.digests.append(_digest(config, world, world.first_sync, None, result, send, 1))
        result.story = [c.story for c in world.advance()]
        for line in result.story:
            say(f"  the week: {line}")
        say(f"now ({_local(world, world.now)}): incremental sync of both trackers")
        _sync(engine, backfill=False)
        result.reports = _reports(config, db, world.now, Path(config.reports.out_dir))
        result.digests.append(_digest(config, world, world.now, world.first_sync, result, send, 2))
    finally:
        db.dispose()
    return result


def _sync(engine: SyncEngine, *, backfill: bool) -> None:
    with SyncDisplay() as display:
        engine.progress = display.update
        if backfill:
            for source in engine.config.sources:
                engine.backfill(source.name)
        else:
            engine.sync()


def _reports(config: Config, db: Engine, at: datetime, folder: Path) -> list[Path]:
    """Every report as of ``at`` into ``folder`` (the service's own regeneration)."""
    target = replace(config, reports=replace(config.reports, out_dir=str(folder)))
    return regenerate(target, db, at)


def _digest(
    config: Config,
    world: World,
    at: datetime,
    since: datetime | None,
    result: DemoResult,
    send: bool,
    n: int,
) -> Path:
    out = result.directory / f"digest-{n}-{at.astimezone(world.tz):%Y-%m-%d}.eml"
    report = deliver_digests(config, now=at, send=send, since=since, out=out)
    result.sent += report.sent
    result.failed += report.errors
    if send:
        say(f"digest {n}: sent to {RTE} ({report.sent} sent, {report.failed} failed)")
    return out


def _local(world: World, at: datetime) -> str:
    return at.astimezone(world.tz).strftime("%a %d %b %H:%M %Z")


def _prepare(directory: Path) -> None:
    """Make ``directory`` ready; a rerun replaces what an earlier demo wrote there, nothing else."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"demo: --out {directory} is a file; name a directory")
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "trainyard.toml"
    if config.exists() and "trainyard demo" not in config.read_text(encoding="utf-8")[:200]:
        raise UsageError(
            f"demo: {directory} holds a trainyard.toml the demo did not write; "
            "pick another --out directory"
        )
    for name in OWNED:
        (directory / name).unlink(missing_ok=True)
    for name in OWNED_DIRS:
        shutil.rmtree(directory / name, ignore_errors=True)
    for old in directory.glob("digest-*.eml"):
        old.unlink()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
