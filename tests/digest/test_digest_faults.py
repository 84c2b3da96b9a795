"""Delivery faults against a real SMTP server: STARTTLS with a throwaway certificate (and a
certificate the client does not trust), implicit TLS, a rejected login, a server down then
up, and a sender killed with -9 between the server's answer and the outbox record."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine

from sync.cli import main
from sync.config import load
from sync.mail import deliver_digests
from tests.digest.conftest import (
    NOW,
    PASSWORD,
    PASSWORD_ENV,
    USER,
    Certs,
    Mailbox,
    free_port,
    start_smtp,
    train_world,
    write_config,
    write_world,
)
from tests.digest.test_digest_mail import outbox

ROOT = Path(__file__).resolve().parents[2]
LOGIN = f'user = "{USER}"\npassword_env = "{PASSWORD_ENV}"'


def status_lines(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with time_machine.travel(NOW, tick=False):
        code = main(["status", "--config", str(config)])
    return code, capsys.readouterr().out


def test_starttls_and_login_with_a_throwaway_certificate(
    tmp_path: Path, sqlite_url: str, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_world(sqlite_url, train_world())
    mailbox, port = Mailbox(), free_port()
    server = start_smtp(port, mailbox, tls=certs.server_context(), auth=True)
    try:
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        config = load(write_config(tmp_path, sqlite_url, port, security="starttls", smtp=LOGIN))
        # the certificate is verified: an unknown CA is a failed send, never a plain one
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-bundle.pem"))
        untrusted = deliver_digests(config, now=NOW)
        assert (untrusted.sent, untrusted.failed) == (0, 1)
        assert f"TLS with SMTP server 127.0.0.1:{port} failed" in untrusted.errors[0]
        monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
        assert deliver_digests(config, now=NOW).sent == 1  # the failed one, retried
    finally:
        server.stop()
    assert len(mailbox.raw) == 1  # the server requires STARTTLS before MAIL: it was encrypted
    assert outbox(sqlite_url) == [("2026-01-19", "rte@acme.example", "sent", 2)]


def test_implicit_tls(
    tmp_path: Path, sqlite_url: str, certs: Certs, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_world(sqlite_url, train_world())
    mailbox, port = Mailbox(), free_port()
    server = start_smtp(port, mailbox, tls=certs.server_context(), implicit_tls=True)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
        config = load(write_config(tmp_path, sqlite_url, port, security="ssl"))
        assert deliver_digests(config, now=NOW).sent == 1
    finally:
        server.stop()
    assert len(mailbox.raw) == 1


def test_a_rejected_login_fails_is_shown_in_status_and_is_retried(
    tmp_path: Path,
    sqlite_url: str,
    certs: Certs,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_world(sqlite_url, train_world())
    mailbox, port = Mailbox(), free_port()
    server = start_smtp(port, mailbox, tls=certs.server_context(), auth=True)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certs.ca_file))
        monkeypatch.setenv(PASSWORD_ENV, "wrong-password")
        path = write_config(tmp_path, sqlite_url, port, security="starttls", smtp=LOGIN)
        failed = deliver_digests(load(path), now=NOW)
        assert (failed.sent, failed.failed) == (0, 1)
        assert f"rejected the login of '{USER}' (535)" in failed.errors[0]
        assert "wrong-password" not in failed.errors[0]
        code, out = status_lines(path, capsys)
        assert code == 1
        assert "digest to rte@acme.example for 2026-01-19: FAILED after 1 attempt(s)" in out
        assert "wrong-password" not in out
        monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
        assert deliver_digests(load(path), now=NOW).sent == 1
        code, out = status_lines(path, capsys)
        assert code == 0
        assert "digest to" not in out
    finally:
        server.stop()
    assert len(mailbox.raw) == 1
    assert outbox(sqlite_url) == [("2026-01-19", "rte@acme.example", "sent", 2)]


def test_server_down_then_up(tmp_path: Path, sqlite_url: str) -> None:
    write_world(sqlite_url, train_world())
    port = free_port()  # nothing listens yet
    config = load(write_config(tmp_path, sqlite_url, port))
    down = deliver_digests(config, now=NOW)
    assert (down.sent, down.failed) == (0, 1)
    assert f"cannot reach SMTP server 127.0.0.1:{port}" in down.errors[0]
    assert outbox(sqlite_url) == [("2026-01-19", "rte@acme.example", "failed", 1)]
    mailbox = Mailbox()
    server = start_smtp(port, mailbox)
    try:
        assert deliver_digests(config, now=NOW).sent == 1
        assert deliver_digests(config, now=NOW).sent == 0
    finally:
        server.stop()
    assert len(mailbox.raw) == 1
    assert outbox(sqlite_url) == [("2026-01-19", "rte@acme.example", "sent", 2)]


def test_a_kill_between_send_and_record_never_sends_twice(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_world(sqlite_url, train_world())
    mailbox, port = Mailbox(), free_port()
    server = start_smtp(port, mailbox)
    path = write_config(tmp_path, sqlite_url, port)
    command = [sys.executable, "-m", "sync.cli", "digest", "--send", "--config", str(path)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        sender = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        # the server has the whole message; the sender dies before it reads the answer
        mailbox.on_data = lambda: os.kill(sender.pid, signal.SIGKILL)
        assert sender.wait(timeout=60) == -signal.SIGKILL
        mailbox.on_data = None
        assert len(mailbox.raw) == 1
        [(period, recipient, state, attempts)] = outbox(sqlite_url)
        assert (recipient, state, attempts) == ("rte@acme.example", "sending", 1)
        again = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        assert "digest: 0 sent, 0 failed" in again.stderr
    finally:
        server.stop()
    assert len(mailbox.raw) == 1
    status = subprocess.run(
        [sys.executable, "-m", "sync.cli", "status", "--config", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert f"digest to rte@acme.example for {period}: outcome unknown" in status.stdout
