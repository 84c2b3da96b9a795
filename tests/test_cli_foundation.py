"""The command line's foundation: --version, --help, usage errors, and ``trainyard status``.

``status`` runs on SQLite and PostgreSQL against ``sync_state`` / ``sync_runs`` rows written the
way the engine writes them, and is checked for its output and its exit code rule: 1 when a
source is stale (no successful incremental sync for 3 intervals) or its last run failed,
0 otherwise, including a fresh database where every source is "never synced".
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from model.db import open_engine
from model.tables import Base, Source, SyncRun, SyncState
from sync.cli import build_parser, main
from sync.commands import status
from sync.config import load

TRAINYARD = Path(sys.executable).with_name("trainyard")


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TRAINYARD), *args], capture_output=True, text=True, timeout=60, check=False
    )


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("trainyard: error: ")
    return lines[0]


# -- version, help, usage errors ------------------------------------------------------------


def test_version_from_the_installed_script() -> None:
    done = run_script("--version")
    assert done.returncode == 0
    assert re.fullmatch(r"trainyard \d+\.\d+\.\d+\S*\n", done.stdout)


def test_version_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("trainyard ")


def listed_commands(help_text: str) -> list[str]:
    """The command names in the COMMAND section of ``trainyard --help``."""
    section = help_text.split("COMMAND\n", 2)[-1].split("\noptions:")[0]
    return re.findall(r"^    ([a-z][a-z-]*)(?:\s|$)", section, flags=re.MULTILINE)


def test_help_lists_only_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    listed = listed_commands(capsys.readouterr().out)
    assert {"db", "status"} <= set(listed)
    parser = build_parser()
    registered = next(
        a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    assert sorted(listed) == sorted(registered)
    for command in listed:
        with pytest.raises(SystemExit) as sub_exit:
            main([command, "--help"])
        assert sub_exit.value.code == 0, command
        assert capsys.readouterr().out.startswith(f"usage: trainyard {command}")
    # every listed command resolves to a handler (db through its action)
    for argv in (["status"], ["db", "upgrade"]):
        assert callable(parser.parse_args(argv).handler)


def test_status_help_states_the_exit_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["status", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit code 1 when any source is stale" in text
    assert "never synced" in text


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["status", "--bogus"], "unrecognized arguments: --bogus"),
        ([], "the following arguments are required: COMMAND"),
        (["db"], "the following arguments are required: ACTION"),
        (["db", "downgrade"], "invalid choice: 'downgrade'"),
        (["status", "--config"], "expected one argument"),
    ],
    ids=["unknown-command", "unknown-option", "no-command", "db-no-action", "db-bad-action",
         "config-without-path"],
)  # fmt: skip
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_error_line(captured.err)
    assert words in line
    assert "--help" in line


def test_usage_error_from_the_installed_script() -> None:
    done = run_script("frobnicate")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "invalid choice: 'frobnicate'" in one_error_line(done.stderr)


# -- status -----------------------------------------------------------------------------------

STATUS_CONFIG = """\
[database]
url = "{url}"

[train]
name = "Payments ART"

[[sources]]
name = "jira"
kind = "jira"
url = "https://acme.atlassian.net"
token_env = "JIRA_TOKEN"
projects = ["CHK"]

[[sources]]
name = "github"
kind = "github"
token_env = "GITHUB_TOKEN"
repos = ["acme/checkout-web"]

[sync]
interval_minutes = {interval}
"""


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("JIRA_USER", "JIRA_TOKEN", "GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def status_config(db_url: str, tmp_path: Path, no_secrets: None) -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text(STATUS_CONFIG.format(url=db_url, interval=15), encoding="utf-8")
    return path


@pytest.fixture
def db(status_config: Path) -> Iterator[Engine]:
    """The status database, with the configured sources already in the catalog."""
    assert main(["status", "--config", str(status_config)]) == 0  # creates the sources
    engine = open_engine(load(status_config).database.url)
    yield engine
    engine.dispose()


def source_id(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        found = session.scalar(select(Source.id).where(Source.name == name))
        assert found is not None
        return found


def record(engine: Engine, *rows: Base) -> None:
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def success(engine: Engine, name: str, minutes_ago: float, **counts: int) -> None:
    """What the engine leaves after a successful incremental run ``minutes_ago``."""
    sid = source_id(engine, name)
    finished = ago(minutes=minutes_ago)
    record(
        engine,
        SyncState(
            source_id=sid,
            mode="incremental",
            cursor=finished - timedelta(minutes=1),
            last_success_at=finished,
            updated_at=finished,
        ),
        SyncRun(
            source_id=sid,
            mode="incremental",
            started_at=finished - timedelta(minutes=1),
            finished_at=finished,
            outcome="success",
            **counts,
        ),
    )


def run_status(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["status", "--config", str(path)])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, captured.out


def block(out: str, name: str) -> str:
    """The lines of one source's block in the plain output."""
    start = out.index(f"source {name} (")
    end = out.find("\nsource ", start + 1)
    return out[start : end if end != -1 else len(out)]


def test_fresh_database_is_never_synced_and_exits_0(
    status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_status(status_config, capsys)
    assert code == 0
    for name, kind in (("jira", "jira"), ("github", "github")):
        lines = block(out, name)
        assert f"source {name} ({kind}): never synced" in lines
        assert "last success: never synced" in lines
        assert "cursor: none" in lines
        assert "last run: none" in lines
        assert "last error: none" in lines
    assert "2 source(s): 2 never synced" in out
    engine = open_engine(load(status_config).database.url)
    with Session(engine) as session:  # the catalog now holds the configured sources
        assert sorted(session.scalars(select(Source.name)).all()) == ["github", "jira"]
    engine.dispose()


def test_recent_success_is_ok(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "jira", 5, items_written=250, links_written=40, api_requests=12, quarantined=1)
    success(db, "github", 10)
    code, out = run_status(status_config, capsys)
    assert code == 0
    jira = block(out, "jira")
    assert "source jira (jira): ok" in jira
    assert re.search(r"last success: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", jira)
    assert re.search(r"lag: [45] min\n", jira)
    assert re.search(r"cursor: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", jira)
    assert "last run: incremental success, started " in jira
    assert "250 items, 40 links written; 12 API requests; 1 quarantined" in jira
    assert "last error: none" in jira
    assert "2 source(s): 2 ok" in out


def test_stale_source_exits_1(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "jira", 46)  # 3 x 15 min = 45 min
    success(db, "github", 44)
    code, out = run_status(status_config, capsys)
    assert code == 1
    assert "source jira (jira): STALE" in out
    assert "(stale)" in block(out, "jira")
    assert "source github (github): ok" in out
    assert "stale after 45 min" in out


def test_staleness_follows_the_configured_interval(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "jira", 46)
    success(db, "github", 170)
    status_config.write_text(
        status_config.read_text(encoding="utf-8").replace(
            "interval_minutes = 15", "interval_minutes = 60"
        ),
        encoding="utf-8",
    )
    code, out = run_status(status_config, capsys)
    assert code == 0
    assert "lag: 2 h 50 min" in block(out, "github")


def test_failed_last_run_exits_1_and_shows_the_error(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "jira", 20)
    sid = source_id(db, "jira")
    record(
        db,
        SyncRun(
            source_id=sid,
            mode="incremental",
            started_at=ago(minutes=3),
            finished_at=ago(minutes=2),
            outcome="failed",
            error="Jira answered 401 Unauthorized;\ncheck JIRA_TOKEN",
            api_requests=1,
        ),
    )
    code, out = run_status(status_config, capsys)
    assert code == 1
    jira = block(out, "jira")
    assert "source jira (jira): FAILING" in jira
    assert "last run: incremental failed" in jira
    assert "last error: Jira answered 401 Unauthorized; check JIRA_TOKEN (at " in jira
    assert "source github (github): never synced" in out


def test_failed_backfill_is_failing_too(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "github", 1)
    record(
        db,
        SyncRun(
            source_id=source_id(db, "github"),
            mode="backfill",
            started_at=ago(seconds=30),
            finished_at=ago(seconds=10),
            outcome="failed",
            error="retries exhausted after 6 attempts (HTTP 502)",
        ),
    )
    code, out = run_status(status_config, capsys)
    assert code == 1
    assert "last run: backfill failed" in block(out, "github")


def test_running_retry_after_a_failure_is_not_failing(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    success(db, "jira", 10)
    sid = source_id(db, "jira")
    record(
        db,
        SyncRun(
            source_id=sid, mode="incremental", started_at=ago(minutes=5), outcome="failed",
            finished_at=ago(minutes=4), error="HTTP 503",
        ),
        SyncRun(source_id=sid, mode="incremental", started_at=ago(minutes=1), outcome="running"),
    )  # fmt: skip
    code, out = run_status(status_config, capsys)
    assert code == 0
    jira = block(out, "jira")
    assert "last run: incremental running, started " in jira
    assert "finished not finished" in jira
    assert "last error: HTTP 503" in jira


def test_state_error_without_runs(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Runs may be pruned; the state's own error newer than its success still counts."""
    record(
        db,
        SyncState(
            source_id=source_id(db, "github"),
            mode="incremental",
            last_success_at=ago(minutes=9),
            last_error="rate limit exhausted until 10:15 UTC",
            last_error_at=ago(minutes=2),
        ),
    )
    code, out = run_status(status_config, capsys)
    assert code == 1
    assert "last error: rate limit exhausted until 10:15 UTC" in block(out, "github")


def test_status_lists_configured_sources_only(
    db: Engine, status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record(db, Source(name="old-jira", kind="jira", url="https://old"))
    _, out = run_status(status_config, capsys)
    assert "old-jira" not in out
    assert out.count("\nsource ") == 2


def test_status_never_needs_secrets(
    status_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_status(status_config, capsys)  # no_secrets: none of the *_env vars is set
    assert code == 0
    assert "JIRA_TOKEN" not in out


def test_status_in_a_terminal_is_a_table(
    db: Engine,
    status_config: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    success(db, "jira", 50)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("NO_COLOR", "1")
    code, out = run_status(status_config, capsys)
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)  # styles (bold, italic) stay without colour
    assert code == 1
    assert re.search(r"┃ source +┃ kind +┃ status", out)  # a table, not "source x (kind):" lines
    assert "never synced" in out
    assert "STALE" in out
    assert "source jira (jira):" not in out


def test_render_table_shows_every_source() -> None:
    config = load(Path(__file__).resolve().parents[1] / "config.example.toml")
    now = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    statuses = [
        status.SourceStatus(
            name="jira", kind="jira", last_success=now - timedelta(minutes=3), cursor=now,
            last_run=None, last_error=None, last_error_at=None, lag=timedelta(minutes=3),
            stale=False, failing=False,
        ),
        status.SourceStatus(
            name="github", kind="github", last_success=None, cursor=None, last_run=None,
            last_error="boom", last_error_at=now, lag=None, stale=False, failing=True,
        ),
    ]  # fmt: skip
    buffer = io.StringIO()
    status.render_table(statuses, config, Console(file=buffer, width=250, color_system=None))
    text = buffer.getvalue()
    assert "2026-10-05 11:57:00 UTC" in text
    assert "FAILING" in text
    assert "boom" in text
    assert "2 source(s): 1 ok, 1 FAILING" in text
