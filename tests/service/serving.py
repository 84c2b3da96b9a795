"""Running ``trainyard serve`` for real in the tests: the installed command as a subprocess,
against the loopback fake trackers and a loopback SMTP server, with its JSON log collected.

Nothing here stubs the service: the trackers answer real HTTP, the SMTP server is aiosmtpd,
the database is SQLite or PostgreSQL, and the test reads back what a user would see — files,
``/healthz``, ``/metrics``, the mailbox, the database.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sync.sandbox.github import FakeGitHub
from sync.sandbox.jira import FakeJira
from tests.digest.conftest import Mailbox, free_port, start_smtp

JIRA_TOKEN = "jira-S3CRET-serve-77a1"
JIRA_USER = "sync-bot@acme.example"
GITHUB_TOKEN = "ghp_S3CRETserve0123456789"
SECRETS = (
    JIRA_TOKEN,
    GITHUB_TOKEN,
    base64.b64encode(f"{JIRA_USER}:{JIRA_TOKEN}".encode()).decode(),
)
TRAINYARD = str(Path(sys.executable).with_name("trainyard"))

CONFIG = """
[database]
url = "{db}"
[train]
name = "Payments ART"
timezone = "Europe/Berlin"
[[train.teams]]
name = "Checkout"
jira_projects = ["CHK"]
github_repos = ["{repo}"]
[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
user_env = "SERVE_TEST_JIRA_USER"
token_env = "SERVE_TEST_JIRA_TOKEN"
projects = ["CHK", "PAY"]
[[sources]]
name = "github"
kind = "github"
base_url = "{github}"
token_env = "SERVE_TEST_GITHUB_TOKEN"
repos = ["{repo}"]
[sync]
interval_minutes = 1
request_timeout_seconds = 5
max_retries = 2
[reports]
out_dir = "{out}"
[service]
http_port = {port}
jitter_seconds = 0
lease_seconds = 5
[schedule]
digest_cron = "{cron}"
[digest]
to = ["rte@acme.example"]
send_when_quiet = true
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "trainyard@acme.example"
"""

T = TypeVar("T")


@dataclass
class World:
    tmp: Path
    db_url: str
    jira: FakeJira
    github: FakeGitHub
    mailbox: Mailbox
    smtp_port: int
    procs: list[Serve] = field(default_factory=list)

    def config(self, name: str = "trainyard.toml", *, cron: str = "* * * * *") -> Path:
        path = self.tmp / name
        path.write_text(
            CONFIG.format(
                db=self.db_url,
                repo=next(iter(self.github.repos)),
                jira=self.jira.url,
                github=self.github.base_url,
                out=self.tmp / "out",
                port=free_port(),
                cron=cron,
                smtp_port=self.smtp_port,
            )
        )
        return path

    def serve(self, config: Path) -> Serve:
        proc = Serve.start(config)
        self.procs.append(proc)
        return proc


@contextmanager
def world(tmp_path: Path, db_url: str, *, issues: int = 30) -> Iterator[World]:
    jira = FakeJira(issues=issues, token=JIRA_TOKEN, email=JIRA_USER).start()
    github = FakeGitHub(repos=1, issues_per_repo=issues, token=GITHUB_TOKEN)
    github.start()
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = start_smtp(smtp_port, mailbox)
    w = World(tmp_path, db_url, jira, github, mailbox, smtp_port)
    try:
        yield w
    finally:
        for proc in w.procs:
            proc.kill()
        controller.stop()
        github.stop()
        jira.stop()


@dataclass
class Serve:
    """One ``trainyard serve --log-format json`` process and the lines it logged."""

    proc: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @classmethod
    def start(cls, config: Path) -> Serve:
        port = int(config.read_text().split("http_port = ", 1)[1].split()[0])
        env = {
            **os.environ,
            "SERVE_TEST_JIRA_USER": JIRA_USER,
            "SERVE_TEST_JIRA_TOKEN": JIRA_TOKEN,
            "SERVE_TEST_GITHUB_TOKEN": GITHUB_TOKEN,
        }
        proc = subprocess.Popen(
            [TRAINYARD, "serve", "--config", str(config), "--log-format", "json"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        serve = cls(proc, port)
        serve._reader = threading.Thread(target=serve._read, daemon=True)
        serve._reader.start()
        return serve

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.proc.pid

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines)]

    def logged(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except urllib.error.URLError:  # not listening (yet, or any more)
            return 0, ""

    def terminate(self, timeout: float = 15) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        if self._reader is not None:
            self._reader.join(5)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self._reader is not None:
            self._reader.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def wait_for(what: str, check: Callable[[], T | None], timeout: float, *procs: Serve) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` and the logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for proc in procs:
            if proc.proc.poll() is not None:
                raise AssertionError(
                    f"serve exited ({proc.proc.returncode}) before {what}: "
                    + "\n".join(proc.lines[-20:])
                )
        time.sleep(0.2)
    logs = "\n".join(line for proc in procs for line in proc.lines[-30:])
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; log:\n{logs}")
