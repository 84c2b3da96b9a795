"""The fake Jira's HTTP side: a loopback handler that logs, injects faults and checks auth.

Every request is logged (``fake.requests``), counted in flight by route (a test can see how many
calls a client makes at once), matched against injected faults (a status, a connection reset,
a slow answer) and authorised (Cloud: basic e-mail + token; Data Center: a bearer PAT) before
``fake.handle`` answers it under the fake's lock.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from sync.sandbox.jira.api import Api
from sync.sandbox.jira.data import Fault, Logged


class Handler(BaseHTTPRequestHandler):
    fake: Api
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests assert on fake.requests instead

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.fake
        route = re.sub(r"/\d+", "/{id}", urlparse(self.path).path)
        with fake.lock:
            fake.in_flight[route] += 1
            fake.peak_in_flight[route] = max(fake.peak_in_flight[route], fake.in_flight[route])
        try:
            self._answer(method)
        finally:
            with fake.lock:
                fake.in_flight[route] -= 1

    def _answer(self, method: str) -> None:
        fake = self.fake
        parsed = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if parsed.path.startswith("/__fake/"):
            with fake.lock:
                status, payload, headers = fake.control(parsed.path, body or {})
            self._send(status, payload, headers)
            return
        fault = self._fault(parsed.path)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "reset":
                self._log(method, parsed.path, params, body, 0)
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            else:
                self._log(method, parsed.path, params, body, fault.status)
                self._send(fault.status, {"errorMessages": ["injected fault"]}, fault.headers)
                return
        if not fake.authorized(self.headers.get("Authorization")):
            self._log(method, parsed.path, params, body, 401)
            self._send(
                401,
                {
                    "errorMessages": [
                        "You are not authenticated. "
                        "Authentication required to perform this operation."
                    ]
                },
                {},
            )
            return
        with fake.lock:
            try:
                status, payload, headers = fake.handle(method, parsed.path, params, body)
            except (ValueError, TypeError, KeyError) as exc:
                status, payload, headers = 400, {"errorMessages": [f"bad request: {exc}"]}, {}
            for hook in fake.after_request:
                hook(method, parsed.path, body)
        self._log(method, parsed.path, params, body, status)
        self._send(status, payload, headers)

    def _fault(self, path: str) -> Fault | None:
        with self.fake.lock:
            for fault in self.fake.faults:
                if fault.path and fault.path not in path:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times != -1 and fault.seen > fault.after + fault.times:
                    continue
                return fault
        return None

    def _log(self, method: str, path: str, params: dict[str, str], body: Any, status: int) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() == "authorization"}
        with self.fake.lock:
            self.fake.requests.append(Logged(method, path, params, body, status, headers))

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in {**self.fake.rate_headers, **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
