"""Through the installed ``trainyard`` command, against both fakes: secrets never leak, failures
are one line with exit 1, a second writer is refused, and plain progress lines appear off a TTY.

Every byte the commands print, every report they write and every row of the database is
searched for the secret values (and the basic-auth header they make).
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, create_engine, select

from model import tables as t
from model.db import open_engine
from sync.lock import source_lock
from sync.sandbox.github import FakeGitHub
from sync.sandbox.jira import FakeJira

JIRA_TOKEN = "jira-S3CRET-4c1d9e7b"
JIRA_USER = "sync-bot@acme.example"
GITHUB_TOKEN = "ghp_S3CRETabcdef0123456789"
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
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "jira"
kind = "jira"
url = "{jira}"
user_env = "SECRET_TEST_JIRA_USER"
token_env = "SECRET_TEST_JIRA_TOKEN"
projects = ["CHK", "PAY"]
[[sources]]
name = "github"
kind = "github"
base_url = "{github}"
token_env = "SECRET_TEST_GITHUB_TOKEN"
repos = ["acme/checkout-web"]
text_references = true
[sync]
request_timeout_seconds = 2
max_retries = 2
interval_minutes = 1
"""


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[tuple[Path, FakeJira, FakeGitHub, str]]:
    jira = FakeJira(issues=40, token=JIRA_TOKEN, email=JIRA_USER).start()
    with FakeGitHub(repos=1, issues_per_repo=30, token=GITHUB_TOKEN) as github:
        path = tmp_path / "trainyard.toml"
        repo = next(iter(github.repos))
        path.write_text(
            CONFIG.format(db=db_url, jira=jira.url, github=github.base_url).replace(
                "acme/checkout-web", repo
            )
        )
        try:
            yield path, jira, github, db_url
        finally:
            jira.stop()


def trainyard(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "SECRET_TEST_JIRA_USER": JIRA_USER,
        "SECRET_TEST_JIRA_TOKEN": JIRA_TOKEN,
        "SECRET_TEST_GITHUB_TOKEN": GITHUB_TOKEN,
    }
    return subprocess.run(
        [TRAINYARD, *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def database_text(url: str) -> str:
    db = create_engine(url)
    meta = MetaData()
    meta.reflect(db)
    with db.connect() as conn:
        dump = "\n".join(
            repr(row) for table in meta.sorted_tables for row in conn.execute(select(table))
        )
    db.dispose()
    return dump


def assert_no_secret(*texts: str) -> None:
    for blob in texts:
        for secret in SECRETS:
            assert secret not in blob


def test_secrets_never_appear_in_output_reports_or_database(
    world: tuple[Path, FakeJira, FakeGitHub, str], tmp_path: Path
) -> None:
    config, jira, _github, url = world
    seen: list[str] = []
    done = trainyard(config, "sync")
    assert done.returncode == 0, done.stderr
    assert "jira: incremental success" in done.stdout
    assert "github: incremental success" in done.stdout
    assert "page 1" in done.stderr  # not a TTY: plain progress lines
    seen += [done.stdout, done.stderr]

    jira.fault("status", status=503, times=-1)  # retries run out: the run fails cleanly
    failed = trainyard(config, "sync", "--source", "jira")
    jira.clear_faults()
    assert failed.returncode == 1
    error_lines = [ln for ln in failed.stderr.splitlines() if ln.startswith("trainyard: error:")]
    assert len(error_lines) == 1
    assert "Traceback" not in failed.stderr
    assert "sync of source jira failed" in error_lines[0]
    seen += [failed.stdout, failed.stderr]

    for args in (("backfill", "--source", "jira", "--since", "2020-01-01"), ("status",)):
        result = trainyard(config, *args)
        seen += [result.stdout, result.stderr]
    for report in ("dependencies", "blocked", "flow"):
        for fmt in ("json", "csv", "md", "html"):
            out = tmp_path / f"{report}.{fmt}"
            result = trainyard(config, "report", report, "--format", fmt, "--out", str(out))
            assert result.returncode == 0, result.stderr
            seen += [result.stdout, result.stderr, out.read_text()]
    assert_no_secret(*seen, database_text(url))


def test_second_writer_exits_1_naming_the_holder(
    world: tuple[Path, FakeJira, FakeGitHub, str],
) -> None:
    config, _jira, _github, url = world
    assert trainyard(config, "status").returncode == 0  # creates the sources
    db: Engine = open_engine(url)
    with db.connect() as conn:
        source_id = conn.execute(select(t.Source.id).where(t.Source.name == "jira")).scalar_one()
    try:
        with source_lock(db, source_id, "jira"):  # this test process is the other writer
            result = trainyard(config, "sync", "--source", "jira")
        assert result.returncode == 1
        assert re.fullmatch(
            rf"trainyard: error: source jira is being synced by pid {os.getpid()} on host "
            rf"{re.escape(socket.gethostname())} since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ; "
            r"wait for it to finish \(or pass --wait SECONDS\)",
            result.stderr.strip(),
        )
        assert trainyard(config, "sync", "--source", "jira").returncode == 0  # released
    finally:
        db.dispose()


def test_unknown_source_and_bad_backfill_window_are_usage_errors(
    world: tuple[Path, FakeJira, FakeGitHub, str],
) -> None:
    config, *_ = world
    unknown = trainyard(config, "sync", "--source", "gitlab")
    assert unknown.returncode == 2
    assert "no source named 'gitlab'; configured sources: jira, github" in unknown.stderr
    window = trainyard(
        config, "backfill", "--source", "jira", "--since", "2026-10-05", "--until", "2026-10-01"
    )
    assert window.returncode == 2
    assert "--since must be before --until" in window.stderr
    bad_time = trainyard(config, "backfill", "--source", "jira", "--since", "last tuesday")
    assert bad_time.returncode == 2
    assert "use YYYY-MM-DD or ISO-8601" in bad_time.stderr
    assert all(len(r.stderr.strip().splitlines()) == 1 for r in (unknown, window, bad_time))
