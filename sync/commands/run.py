"""``trainyard sync`` and ``trainyard backfill``: run the engine with a progress display.

On a terminal a ``rich`` progress bar shows items, pages, rate and (when the connector knows
the total) ETA; otherwise one plain log line per page, for cron and CI logs.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sync.commands.common import add_config_option, engine_for, load_config
from sync.engine import RunProgress, SyncEngine, describe_result
from sync.errors import UsageError


def add(sub: argparse._SubParsersAction[Any]) -> None:
    sync = sub.add_parser("sync", help="incremental sync of all (or one) sources")
    add_config_option(sync)
    sync.add_argument("--source", metavar="NAME", help="only this source")
    sync.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another sync of the source to finish (default: 0)",
    )
    sync.add_argument(
        "--full-sweep",
        action="store_true",
        help="also re-read what trackers do not announce (remote links, GitHub "
        "dependencies) now instead of on its schedule",
    )
    sync.set_defaults(handler=run_sync)

    back = sub.add_parser(
        "backfill",
        help="bounded or full load of one source; resumable; never moves the incremental cursor",
    )
    add_config_option(back)
    back.add_argument("--source", metavar="NAME", required=True, help="the source to load")
    back.add_argument(
        "--since",
        type=parse_time,
        metavar="TIME",
        help="items updated at or after (YYYY-MM-DD or ISO-8601, UTC if no zone)",
    )
    back.add_argument(
        "--until",
        type=parse_time,
        metavar="TIME",
        help="items updated before (YYYY-MM-DD or ISO-8601, UTC if no zone)",
    )
    back.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another sync of the source to finish (default: 0)",
    )
    back.set_defaults(handler=run_backfill)


def parse_time(text: str) -> datetime:
    """A CLI time: a date (midnight UTC) or ISO-8601 (naive means UTC)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time; use YYYY-MM-DD or ISO-8601 like 2026-10-05T08:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def run_sync(args: argparse.Namespace) -> int:
    config = load_config(args, require_secrets=True)
    if args.source:
        config.source(args.source)  # unknown name → config error, exit 2
    with SyncDisplay() as display:
        engine = SyncEngine(config, engine_for(config), progress=display.update)
        results = engine.sync(args.source, wait=args.wait, full_sweep=args.full_sweep)
    for result in results:
        print(describe_result(result))
    return 0


def run_backfill(args: argparse.Namespace) -> int:
    config = load_config(args, require_secrets=True)
    config.source(args.source)
    if args.since and args.until and args.since >= args.until:
        raise UsageError("backfill: --since must be before --until")
    with SyncDisplay() as display:
        engine = SyncEngine(config, engine_for(config), progress=display.update)
        result = engine.backfill(args.source, args.since, args.until, wait=args.wait)
    print(describe_result(result))
    return 0


class SyncDisplay:
    """Rich progress on a TTY, plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.started = time.monotonic()
        self.last_line = 0.0

    def __enter__(self) -> SyncDisplay:
        if self.tty:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[pages]} pages · {task.fields[rate]:.0f} items/s"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, p: RunProgress) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        done = p.done if p.done is not None else p.items
        rate = done / elapsed
        if self.progress is not None:
            label = f"{p.source} {p.mode}"
            if label not in self.tasks:
                self.tasks[label] = self.progress.add_task(label, total=None, pages=0, rate=0.0)
            self.progress.update(
                self.tasks[label], completed=done, total=p.total, pages=p.pages, rate=rate
            )
            return
        now = time.monotonic()
        if now - self.last_line >= 2.0 or p.pages == 1:
            self.last_line = now
            total = f"/{p.total}" if p.total else ""
            print(
                f"{p.source} {p.mode}: page {p.pages}, {done}{total} items, {p.links} links, "
                f"{p.quarantined} quarantined, {p.requests} requests, {rate:.0f} items/s",
                file=sys.stderr,
                flush=True,
            )
