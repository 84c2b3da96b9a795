"""BudgetRetry against a real loopback server: what it retries, how long it waits, when it stops."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors.errors import RetriesExhausted
from connectors.http import BudgetRetry, parse_reset, parse_retry_after
from connectors.observe import ResponseObserver


class Script:
    """Answers each request with the next (status, headers[, body]) of the script, then 200."""

    def __init__(self) -> None:
        self.steps: list[tuple[int, dict[str, str]] | tuple[int, dict[str, str], bytes]] = []
        self.hits = 0


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.hits += 1
            step = script.steps.pop(0) if script.steps else (200, {})
            status, headers = step[0], step[1]
            body = b'{"ok": true}' if status == 200 else b'{"message": "nope"}'
            if len(step) == 3:
                body = step[2]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def session_with(retry: BudgetRetry) -> tuple[requests.Session, ResponseObserver]:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    counter = ResponseObserver(retry.stats)
    session.hooks["response"].append(counter.hook)
    return session, counter


def test_retries_server_errors_and_rate_limits_then_succeeds(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(500, {}), (502, {}), (503, {}), (504, {}), (429, {"Retry-After": "2"})]
    waits: list[float] = []
    retry = BudgetRetry.for_run(max_retries=6, max_wait=10, base_backoff=0.5, sleeper=waits.append)
    session, counter = session_with(retry)
    response = session.post(f"{url}/rest/api/3/search/jql", json={}, timeout=5)
    assert response.status_code == 200
    assert script.hits == 6
    assert counter.requests == 6
    assert waits[-1] == 2.0  # Retry-After honoured exactly
    assert all(0 < w <= 4 for w in waits[:4])  # exponential backoff with jitter, capped


def test_http_date_retry_after_is_honoured(server: tuple[str, Script]) -> None:
    url, script = server
    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    script.steps = [(429, {"Retry-After": later})]
    waits: list[float] = []
    session, _ = session_with(BudgetRetry.for_run(max_retries=3, max_wait=30, sleeper=waits.append))
    assert session.get(url, timeout=5).status_code == 200
    assert 3.0 <= waits[0] <= 5.0


def test_wait_beyond_cap_gives_up_with_clear_error(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(429, {"Retry-After": "900"})]
    session, _ = session_with(
        BudgetRetry.for_run(max_retries=3, max_wait=60, sleeper=lambda s: None)
    )
    with pytest.raises(RetriesExhausted, match=r"asks to wait 900s.*60s cap"):
        session.get(url, timeout=5)


def test_exhausted_retries_raise_our_error_not_the_libraries(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(503, {})] * 10
    session, _ = session_with(
        BudgetRetry.for_run(max_retries=2, max_wait=5, sleeper=lambda s: None)
    )
    with pytest.raises(RetriesExhausted, match="after repeated HTTP 503"):
        session.get(f"{url}/x?token=secret", timeout=5)
    assert script.hits == 3


def test_budget_caps_total_waiting(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(429, {"Retry-After": "40"})] * 5
    retry = BudgetRetry.for_run(max_retries=5, max_wait=50, budget=100, sleeper=lambda s: None)
    session, _ = session_with(retry)
    with pytest.raises(RetriesExhausted, match="100s budget"):
        session.get(url, timeout=5)
    assert retry.stats.waited == 80


def test_permission_403_is_returned_not_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [(403, {})]
    session, _ = session_with(
        BudgetRetry.for_run(max_retries=3, max_wait=5, sleeper=lambda s: None)
    )
    assert session.get(url, timeout=5).status_code == 403
    assert script.hits == 1


def test_permission_403_keeps_its_body_for_the_caller(server: tuple[str, Script]) -> None:
    url, script = server
    body = b'{"message": "Resource not accessible by personal access token"}'
    script.steps = [(403, {}, body)]
    session, counter = session_with(
        BudgetRetry.for_run(max_retries=3, max_wait=5, sleeper=lambda s: None)
    )
    response = session.get(url, timeout=5)
    assert (response.status_code, response.content) == (403, body)
    assert (script.hits, counter.requests) == (1, 1)


def test_secondary_limit_named_only_in_the_body_waits_a_minute_doubling(
    server: tuple[str, Script],
) -> None:
    """GitHub's secondary limit may come without Retry-After or a spent budget: the body says
    it, and GitHub asks for at least a minute, then exponential backoff."""
    url, script = server
    body = b'{"message": "You have exceeded a secondary rate limit. Please wait a few minutes."}'
    left = {"x-ratelimit-remaining": "4200", "x-ratelimit-reset": str(int(time.time()) + 900)}
    script.steps = [(403, left, body), (403, left, body)]
    waits: list[float] = []
    retry = BudgetRetry.for_run(max_retries=3, max_wait=600, sleeper=waits.append)
    session, counter = session_with(retry)
    assert session.get(url, timeout=5).status_code == 200
    assert waits == [60.0, 120.0]
    assert (script.hits, counter.requests) == (3, 3)  # two retried inside urllib3, counted


def test_secondary_limit_wait_is_capped_and_counted_in_the_budget(
    server: tuple[str, Script],
) -> None:
    url, script = server
    body = b'{"message": "You have exceeded a secondary rate limit."}'
    script.steps = [(403, {}, body)] * 3
    waits: list[float] = []
    retry = BudgetRetry.for_run(max_retries=2, max_wait=20, sleeper=waits.append)
    session, _ = session_with(retry)
    with pytest.raises(RetriesExhausted, match="after repeated HTTP 403"):
        session.get(url, timeout=5)
    assert waits == [20.0, 20.0]
    assert retry.stats.waited == 40.0


def test_observer_reads_both_trackers_reset_formats(server: tuple[str, Script]) -> None:
    url, script = server
    script.steps = [
        (200, {"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1792567710"}),
        (200, {"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "2026-10-21T07:28Z"}),
        (304, {"ETag": '"v1"'}),
    ]
    session, counter = session_with(BudgetRetry.for_run(max_retries=0, max_wait=1))
    session.get(url, timeout=5)
    assert (counter.rate_limit_remaining, counter.rate_limit_reset) == (12, 1792567710.0)
    session.get(url, timeout=5)
    assert (counter.rate_limit_remaining, counter.rate_limit_reset) == (7, 1792567680.0)
    session.get(url, timeout=5)
    assert (counter.responses, counter.not_modified) == (3, 1)


def test_rate_limit_403_waits_for_reset(server: tuple[str, Script]) -> None:
    url, script = server
    reset = str(int(time.time()) + 3)
    script.steps = [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})]
    waits: list[float] = []
    session, _counter = session_with(
        BudgetRetry.for_run(max_retries=3, max_wait=30, sleeper=waits.append)
    )
    assert session.get(url, timeout=5).status_code == 200
    assert 2.0 <= waits[0] <= 5.0
    assert script.hits == 2


def test_read_timeout_is_retried() -> None:
    """A server that accepts and never answers: the read timeout is retried, then given up."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        port = listener.getsockname()[1]
        retry = BudgetRetry.for_run(max_retries=2, max_wait=1, sleeper=lambda s: None)
        session, _ = session_with(retry)
        with pytest.raises(RetriesExhausted, match="ReadTimeoutError"):
            session.post(
                f"http://127.0.0.1:{port}/rest/api/3/issue/bulkfetch", json={}, timeout=0.2
            )
        assert retry.stats.retries == 2
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("120", 0.0, 120.0),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 1792567650.0, 30.0),
        ("Wed, 21 Oct 2026 07:28:00 GMT", 1792567710.0, 0.0),
    ],
    ids=["seconds", "http-date-ahead", "http-date-past"],
)
def test_parse_retry_after(value: str, now: float, expected: float) -> None:
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1792567710", 61.0), ("2026-10-21T07:28Z", 31.0), ("2026-10-21T07:28:00.000+0000", 31.0)],
    ids=["github-epoch", "jira-iso-minutes", "jira-iso-offset"],
)
def test_parse_reset(value: str, expected: float) -> None:
    assert parse_reset(value, now=1792567650.0) == expected
