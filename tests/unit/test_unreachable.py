"""Waiting cannot fix a refused connection, a name that does not resolve or a TLS failure: one
quick retry, then one line naming the host and the config key (issue 10 §2)."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.base import SyncRequest, Transport
from connectors.errors import Unreachable
from connectors.github import GitHubConnector, GitHubSettings
from connectors.http import BudgetRetry
from connectors.jira import JiraConnector, JiraSettings


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def not_tls() -> Iterator[int]:
    """A port that accepts and answers plain bytes: every TLS handshake with it fails."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\nnot tls\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    server.close()


def transport(sleeps: list[float]) -> Transport:
    retry = BudgetRetry.for_run(max_retries=6, max_wait=30.0, sleeper=sleeps.append)
    return Transport(retry=retry, timeout=3.0)


def run_jira(url: str, sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("U_JIRA_TOKEN", "t0ken")
    settings = JiraSettings(url=url, token_env="U_JIRA_TOKEN", projects=("CHK",))
    conn = JiraConnector("jira", settings, transport(sleeps))
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        list(conn.pages(request()))
    assert time.monotonic() - started < 10
    return str(info.value)


def request() -> SyncRequest:
    return SyncRequest(
        mode="incremental",
        since=None,
        until=None,
        started_at=datetime(2026, 11, 20, tzinfo=UTC),
        memo={},
        stored_updated=lambda ids: {},
    )


def test_refused_connection_to_jira_gives_up_after_one_quick_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sleeps: list[float] = []
    message = run_jira(f"http://127.0.0.1:{closed_port()}", sleeps, monkeypatch)
    assert message.startswith("jira source 'jira': cannot reach 127.0.0.1: ")
    assert "refused" in message
    assert "check url" in message
    assert len(sleeps) == 1
    assert sleeps[0] <= 1.0
    assert "\n" not in message
    assert "t0ken" not in message


def test_tls_failure_is_not_retried_patiently(
    not_tls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    message = run_jira(f"https://127.0.0.1:{not_tls}", sleeps, monkeypatch)
    assert "TLS" in message
    assert "check url" in message
    assert len(sleeps) <= 1
    assert ssl  # the handshake is the real one of the ssl module


def test_refused_connection_to_github_names_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("U_GH_TOKEN", "t0ken")
    settings = GitHubSettings(
        token_env="U_GH_TOKEN", repos=("acme/web",), base_url=f"http://127.0.0.1:{closed_port()}"
    )
    sleeps: list[float] = []
    conn = GitHubConnector("github", settings, transport(sleeps))
    with pytest.raises(Unreachable) as info:
        list(conn.pages(request()))
    message = str(info.value)
    assert message.startswith("github source 'github': cannot reach 127.0.0.1: ")
    assert "check base_url" in message
    assert len(sleeps) == 1


def run_github(base_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[float]]:
    monkeypatch.setenv("U_GH_TOKEN", "t0ken")
    settings = GitHubSettings(token_env="U_GH_TOKEN", repos=("acme/web",), base_url=base_url)
    sleeps: list[float] = []
    conn = GitHubConnector("github", settings, transport(sleeps))
    started = time.monotonic()
    with pytest.raises(Unreachable) as info:
        list(conn.pages(request()))
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert "check base_url" in message
    assert "t0ken" not in message
    assert "\n" not in message
    return message, sleeps


def test_unresolvable_github_host_gives_up_after_one_quick_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message, sleeps = run_github("https://trainyard-nowhere.invalid/api/v3", monkeypatch)
    assert message.startswith("github source 'github': cannot reach trainyard-nowhere.invalid: ")
    assert "does not resolve" in message
    assert len(sleeps) == 1


def test_tls_failure_to_github_is_not_retried_patiently(
    not_tls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, sleeps = run_github(f"https://127.0.0.1:{not_tls}", monkeypatch)
    assert "TLS" in message
    assert len(sleeps) <= 1
