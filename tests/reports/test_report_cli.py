"""``trainyard report``: formats, --out, --as-of, --all and bad arguments, through the real CLI.

The database is written by the test world; the config names the same train, teams, PI and
sources, so ``ensure_catalog`` finds them. No tracker secret is set: reports must not need any.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from report_world import World, at
from sqlalchemy.orm import Session

from model.db import open_engine
from sync.cli import main

CONFIG = """\
[database]
url = "{url}"

[train]
name = "ART"
timezone = "{tz}"

[[train.teams]]
name = "Alpha"
[[train.teams]]
name = "Beta"
[[train.teams]]
name = "Gamma"

[[calendar.pis]]
name = "PI 1"
start = 2026-01-05

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
NOW = at("2026-01-12", "12:00")


def make_config(tmp_path: Path, url: str, tz: str = "UTC") -> Path:
    path = tmp_path / "trainyard.toml"
    path.write_text(CONFIG.format(url=url, tz=tz), encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for var in ("TRAINYARD_TEST_JIRA_TOKEN", "TRAINYARD_TEST_GITHUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    w = World()
    w.item("A-1", at("2026-01-05"), title="Needs B")
    w.item("B-1", at("2026-01-05"), team="Beta")
    link = w.link("B-1", "A-1", at("2026-01-06"))
    w.unlink(link, at("2026-01-08"))
    w.link("B-1", "A-1", at("2026-01-09"), origin="text_reference", source="github")
    w.flag("A-1", at("2026-01-10"), reason="vendor")
    engine = open_engine(db_url)
    with Session(engine) as session:
        w.write(session)
    engine.dispose()
    with time_machine.travel(NOW, tick=False):
        yield make_config(tmp_path, db_url)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_to_stdout_by_default(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "report", "dependencies", "--config", str(config))
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert (doc["report"], doc["train"]) == ("dependencies", "ART")
    assert doc["generated_at"] == doc["as_of"] == "2026-01-12T12:00:00Z"
    assert [(d["origin"], d["created_at"]) for d in doc["dependencies"]] == [
        ("text_reference", "2026-01-09T09:00:00Z")
    ]
    assert [s["name"] for s in doc["sources"]] == ["github", "jira"]


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        ("csv", "state,origin,created_at"),
        ("md", "# Blocked report: ART"),
        ("html", "<!DOCTYPE html>"),
        ("json", "{"),
    ],
)
def test_every_format(
    config: Path, capsys: pytest.CaptureFixture[str], fmt: str, start: str
) -> None:
    kind = "dependencies" if fmt == "csv" else "blocked"
    code, out, _ = run(capsys, "report", kind, "--format", fmt, "--config", str(config))
    assert code == 0
    assert out.startswith(start)


def test_out_writes_the_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "flow.html"
    code, out, _ = run(
        capsys, "report", "flow", "--format", "html", "--out", str(target), "--config", str(config)
    )
    assert (code, out) == (0, "")
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "PI 1 · I1" in html


@pytest.mark.parametrize(
    ("as_of", "expected", "blocked_keys"),
    [
        ("2026-01-06", "2026-01-06T00:00:00Z", []),  # a date is midnight in the train's zone
        ("2026-01-07T09:30", "2026-01-07T09:30:00Z", ["A-1"]),
        ("2026-01-08T10:00:00+01:00", "2026-01-08T09:00:00Z", []),  # removed at 09:00
        ("2026-01-10T09:00:00Z", "2026-01-10T09:00:00Z", ["A-1"]),
    ],
)
def test_as_of_spellings(
    config: Path,
    capsys: pytest.CaptureFixture[str],
    as_of: str,
    expected: str,
    blocked_keys: list[str],
) -> None:
    code, out, _ = run(capsys, "report", "blocked", "--as-of", as_of, "--config", str(config))
    assert code == 0
    doc = json.loads(out)
    assert doc["as_of"] == expected
    assert [b["item"]["key"] for b in doc["blocked"]] == blocked_keys, doc["blocked"]


def test_naive_as_of_is_in_the_train_time_zone(
    config: Path, tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    berlin = make_config(tmp_path, db_url, tz="Europe/Berlin")
    code, out, _ = run(
        capsys, "report", "blocked", "--as-of", "2026-01-07T10:30", "--config", str(berlin)
    )
    assert code == 0
    assert json.loads(out)["as_of"] == "2026-01-07T09:30:00Z"


def test_all_adds_resolved_dependencies(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "dependencies", "--all", "--config", str(config))
    assert code == 0
    states = [(d["state"], d["origin"]) for d in json.loads(out)["dependencies"]]
    # the jira link's episode was open 01-06..01-08; the pair is open again via the text
    # reference, so it is one open dependency
    assert states == [("open", "text_reference")]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["report", "blocked", "--as-of", "last tuesday"], "2026-10-20"),
        (["report", "blocked", "--as-of", "2026-13-01"], "is not a time"),
        (["report", "blocked", "--as-of", "2026-02-01"], "in the future"),
        (["report", "blocked", "--format", "xml"], "invalid choice"),
        (["report", "blocked", "--all"], "unrecognized arguments"),
        (["report", "board", "--level", "task"], "invalid choice"),
        (["report"], "required"),
    ],
    ids=["words", "bad-month", "future", "format", "all-on-blocked", "board", "no-report"],
)
def test_bad_arguments_exit_2_with_one_line(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    extra = ["--config", str(config)] if len(args) > 1 else []
    code, out, err = run(capsys, *args, *extra)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err
    assert "Traceback" not in err


def test_unwritable_out_is_one_line_exit_1(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "report.json"
    code, _, err = run(capsys, "report", "flow", "--out", str(target), "--config", str(config))
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "cannot write report" in err
