"""``trainyard baseline create|list`` and ``trainyard report drift|predictability`` through the
real CLI on a frozen clock, on both databases, plus the ``baseline_at`` config key.

The database holds the predictability scenario (which contains the drift one); the config names
the same train, teams and PIs. The clock stands at 2026-02-20 12:00 UTC.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from report_world import at
from sqlalchemy.orm import Session
from test_report_drift import EXPECTED_SUMMARY
from test_report_predictability import predictability_world

from model.db import open_engine
from sync.cli import main

CONFIG = """\
[database]
url = "{url}"

[train]
name = "ART"
timezone = "UTC"

[[train.teams]]
name = "Alpha"
[[train.teams]]
name = "Beta"
[[train.teams]]
name = "Gamma"

[[calendar.pis]]
name = "PI 0"
start = 2025-10-13

[[calendar.pis]]
name = "PI 1"
start = 2026-01-05
{baseline}

[[calendar.pis]]
name = "PI 2"
start = 2026-03-30

[[sources]]
name = "jira"
kind = "jira"
url = "https://jira.example"
token_env = "TRAINYARD_TEST_JIRA_TOKEN"
projects = ["A", "B"]

[[sources]]
name = "github"
kind = "github"
token_env = "TRAINYARD_TEST_GITHUB_TOKEN"
repos = ["acme/web"]
"""
NOW = at("2026-02-20", "12:00")


def write_config(tmp_path: Path, url: str, baseline: str = "") -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text(CONFIG.format(url=url, baseline=baseline), encoding="utf-8")
    return path


@pytest.fixture
def db(db_url: str) -> str:
    engine = open_engine(db_url)
    with Session(engine) as session:
        predictability_world().write(session)
    engine.dispose()
    return db_url


@pytest.fixture
def config(tmp_path: Path, db: str) -> Iterator[Path]:
    with time_machine.travel(NOW, tick=False):
        yield write_config(tmp_path, db)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_drift_json(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "drift", "--pi", "PI 1", "--config", str(config))
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["generated_at"] == doc["as_of"] == "2026-02-20T12:00:00Z"
    assert doc["summary"] == EXPECTED_SUMMARY


@pytest.mark.parametrize(
    ("fmt", "start"),
    [("csv", "key,source,title"), ("md", "# Drift report: ART, PI 1"), ("html", "<!DOCTYPE")],
)
def test_drift_formats(
    config: Path, capsys: pytest.CaptureFixture[str], fmt: str, start: str
) -> None:
    code, out, _ = run(
        capsys, "report", "drift", "--pi", "PI 1", "--format", fmt, "--config", str(config)
    )
    assert code == 0
    assert out.startswith(start)


def test_baseline_create_list_and_use(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "baseline", "create", "--pi", "PI 1", "--config", str(config))
    assert (code, err) == (0, "")
    assert out == (
        "stored baseline '2026-01-06 00:00' of PI 1: 7 features, 2 dependencies, "
        "as of Tue 6 Jan 2026 00:00 UTC\n"
    )
    code, out, err = run(
        capsys, "baseline", "create", "--pi", "PI 1", "--at", "2026-01-13T12:00",
        "--name", "after", "--config", str(config),
    )  # fmt: skip
    assert (code, err) == (0, "")
    code, out, _ = run(capsys, "baseline", "list", "--config", str(config))
    assert code == 0
    assert [line.split("\t")[:2] for line in out.splitlines()] == [
        ["PI 1", "2026-01-06 00:00"],
        ["PI 1", "after"],
    ]
    code, out, _ = run(
        capsys, "report", "drift", "--pi", "PI 1", "--baseline", "2026-01-06 00:00",
        "--config", str(config),
    )  # fmt: skip
    doc = json.loads(out)
    assert (code, doc["baseline"]["kind"], doc["summary"]) == (0, "stored", EXPECTED_SUMMARY)
    code, _, err = run(capsys, "baseline", "create", "--pi", "PI 1", "--config", str(config))
    assert code == 2
    assert "already has a baseline named '2026-01-06 00:00'; pass another --name" in err


def test_predictability_defaults_to_the_current_pi(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "report", "predictability", "--config", str(config))
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["pi"] == "PI 1"
    assert doc["rows"][-1]["predictability_percent"] == 64.7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "drift", "--pi", "PI 9"], "--pi 'PI 9' is not a configured PI; known PIs: "
                                              "PI 0, PI 1, PI 2"),
        (["report", "drift", "--pi", "PI 1", "--baseline", "nope"],
         "--baseline 'nope' is neither a stored baseline of PI 1 nor a time"),
        (["report", "drift"], "the following arguments are required: --pi"),
        (["baseline", "create", "--pi", "PI 1", "--at", "soon"], "--at 'soon' is not a time"),
        (["baseline", "create", "--pi", "PI 2"], "has not come yet; pass --at"),
        (["baseline", "list", "--pi", "PI 7"], "known PIs: PI 0, PI 1, PI 2"),
        (["report", "drift", "--pi", "PI 1", "--as-of", "2026-01-05T12:00"],
         "is after --as-of"),
        (["report", "drift", "--pi", "PI 1", "--baseline", "2026-03-01"], "has not come yet"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--config", str(config))
    assert (code, out) == (2, "")
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_baseline_at_from_the_config(
    tmp_path: Path, db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``baseline_at`` (train time zone) replaces the end of the first day as the default."""
    path = write_config(tmp_path, db, "baseline_at = 2026-01-13T12:00:00")
    with time_machine.travel(NOW, tick=False):
        code, out, err = run(capsys, "report", "drift", "--pi", "PI 1", "--config", str(path))
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["baseline"]["at"] == "2026-01-13T12:00:00Z"
    assert doc["summary"]["added"] == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-04-13T12:00:00", "calendar.pis[1].baseline_at: 2026-04-13T12:00:00+00:00 is "
                                "outside PI 'PI 1'"),
        ('"tomorrow"', "calendar.pis[1].baseline_at: expected a date-time, got string"),
        ("2026-01-13", "expected a date-time, got date 2026-01-13"),
    ],
)  # fmt: skip
def test_baseline_at_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", f"baseline_at = {value}")
    code, out, err = run(capsys, "baseline", "list", "--config", str(path))
    assert (code, out) == (2, "")
    assert message in err
