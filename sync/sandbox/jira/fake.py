"""A loopback fake of Jira Cloud and Data Center: deterministic data, real HTTP, injectable faults.

``FakeJira`` is a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) serving the endpoints the
connector uses, shaped like the real APIs (``api-facts.md`` §1-8; the routes in ``api``, the JQL
subset in ``jql``).

Data: by default five in-scope teams' projects (CHK, PAY, PLAT, MOB, SRCH) and one outside
project (SEC), issues generated lazily from the seed (only a compact spine of ids and times is
held, so 100,000 issues are cheap), epics with children, sprints, Blocks links (some removed
again, some to SEC), a "Relates" type that is no dependency, a custom reversed "Dependency" type,
remote links to GitHub issues, flags with "(flag) Flag added" comments, and full changelogs.
``projects=`` replaces the projects and ``issues=0`` generates none: a hand-written train is
then built with ``add_sprint`` and ``create_issue`` (``explicit``).

Tests mutate through ``update``, ``flag``, ``add_link``, ``remove_link``, ``move``, ``delete``,
``restore``, ``add_remote_link``, ``malform``; inject faults with ``fault(...)``; and read the
request log in ``requests``. ``/__fake/*`` control endpoints let a benchmark drive a server that
runs in another process (``python -m sync.sandbox.jira``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from sync.sandbox.jira.api import Api
from sync.sandbox.jira.data import Fault
from sync.sandbox.jira.server import Handler


class FakeJira(Api):
    """Deterministic Jira data behind a loopback HTTP server (see the module docstring)."""

    def start(self) -> FakeJira:
        handler = type("Handler", (Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fault(self, kind: str = "status", **kwargs: Any) -> Fault:
        with self.lock:
            f = Fault(kind, **kwargs)
            self.faults.append(f)
            return f

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def count(self, path_part: str = "", method: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if path_part in r.path and (method is None or r.method == method)
        )


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[FakeJira]:
    """``with running(issues=50) as fake: ...`` — a started fake, stopped afterwards."""
    fake = FakeJira(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


def at_local(fake: FakeJira, text: str) -> int:
    """Epoch ms of a wall-clock time (``"2026-04-10 12:00:30"``) in the fake user's timezone."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(fake.time_zone))
    return int(local.timestamp() * 1000)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def main() -> None:  # pragma: no cover - the benchmark runs the server in its own process
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Serve a fake Jira on 127.0.0.1")
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dc", action="store_true", help="Data Center instead of Cloud")
    parser.add_argument("--time-zone", default="UTC")
    parser.add_argument("--max-result-window", type=int, default=10_000)
    args = parser.parse_args()
    fake = FakeJira(
        issues=args.issues,
        seed=args.seed,
        cloud=not args.dc,
        time_zone=args.time_zone,
        max_result_window=args.max_result_window,
    )
    fake.start()
    sys.stdout.write(fake.url + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
