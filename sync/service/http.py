"""The service's HTTP endpoint: ``/healthz``, ``/metrics`` and out_dir's reports as static files.

A ``ThreadingHTTPServer`` on ``[service] bind``:``http_port`` (loopback by default). Static
files come from ``SimpleHTTPRequestHandler``, which keeps requests inside the directory; the
reports are replaced atomically, so a download is always one whole version. Only GET and HEAD
are served. Request lines go to the log at debug level.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from sync.service.health import Health

log = logging.getLogger("trainyard.service.http")

HealthFn = Callable[[], Health]
MetricsFn = Callable[[], bytes]


class _Handler(SimpleHTTPRequestHandler):
    health: HealthFn
    metrics: MetricsFn
    server_version = "trainyard"
    sys_version = ""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            verdict = self.health()
            self._answer(200 if verdict.ok else 503, verdict.text.encode(), "text/plain")
        elif path == "/metrics":
            self._answer(200, self.metrics(), CONTENT_TYPE_LATEST)
        else:
            super().do_GET()

    def do_HEAD(self) -> None:
        if self.path.split("?", 1)[0] in ("/healthz", "/metrics"):
            self.do_GET()
            return
        super().do_HEAD()

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class Endpoint:
    """The running HTTP server (``port`` is the real one when 0 was asked for)."""

    def __init__(self, bind: str, port: int, root: Path, health: HealthFn, metrics: MetricsFn):
        handler = type(
            "Handler",
            (_Handler,),
            {"health": staticmethod(health), "metrics": staticmethod(metrics)},
        )
        factory = functools.partial(handler, directory=str(root))
        self.server = ThreadingHTTPServer((bind, port), factory)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.bind = bind
        self.thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
