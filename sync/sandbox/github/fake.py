"""A loopback fake of the GitHub REST API slice trainyard reads (deterministic, seeded).

``FakeGitHub(...).start()`` serves it on 127.0.0.1 and returns the base URL (routes in ``routes``).
Every issue carries ``issue_dependencies_summary`` (``blocked_by``/``blocking`` count open ends,
``total_*`` all) and ``sub_issues_summary``, kept current by every mutation (``mutate``); fault
injection (secondary-limit 403s with or without ``Retry-After``, 429s, 5xx, primary
exhaustion), a request log, and ``after_request`` hooks (``hook(method, path, query)`` after
each answer is decided) let a test change the data between two calls of one run.

Seeded data by default (``generate``); ``repo_names=`` names the repositories and
``issues_per_repo=0`` generates nothing, for a hand-written train built with
``add_milestone``, ``create_issue`` and the mutations, at times the sandbox gives (``at=``,
``set_clock``). Without them, timestamps of mutations follow the wall clock (strictly
increasing), so a real sync's ``since`` sees them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sync.sandbox.github.data import TOKEN
from sync.sandbox.github.generate import generate
from sync.sandbox.github.routes import Routes


class FakeGitHub(Routes):
    """The data set plus the loopback server. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        seed: int = 7,
        repos: int = 3,
        issues_per_repo: int = 40,
        owner: str = "acme",
        token: str = TOKEN,
        prefix: str = "",  # "/api/v3" to look like Enterprise Server
        rate_limit: int = 5000,
        reset_in: int = 3600,
        pr_ratio: float = 0.15,
        repo_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(
            seed=seed,
            repos=repos,
            owner=owner,
            token=token,
            prefix=prefix,
            rate_limit=rate_limit,
            reset_in=reset_in,
            repo_names=repo_names,
        )
        generate(self, issues_per_repo, pr_ratio)
        self._clock = max(self._clock, datetime.now(UTC).replace(microsecond=0))

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle plus the
                # client's delayed ACK add 40 ms to every response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}{self.prefix}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
