"""The program board's JSON object on the hand-computed ``board_world`` (SQLite and PostgreSQL),
and ``trainyard report board`` through the real CLI on a frozen clock."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import time_machine
from board_world import AS_OF, CELLS, HOSTILE_KEY, STRINGS, board_json, board_world, ctx
from report_world import at, report
from sqlalchemy.orm import Session
from test_pi_cli import run, write_config

from model.db import open_engine
from reports.board import board_dict, board_report
from reports.state import ReportError

ITEM_KEYS = {"source", "key", "id", "title", "url", "team", "status", "status_category",
             "iteration", "outside_train", "provisional"}  # fmt: skip


@pytest.fixture
def world(session: Session) -> Session:
    board_world().write(session)
    return session


def by_key(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in doc["cards"]}


def test_contract_keys(world: Session) -> None:
    doc = board_json(world)
    assert doc["report"] == "board"
    assert (doc["train"], doc["pi"], doc["as_of"]) == ("ART", "PI 1", "2026-02-20T12:00:00Z")
    assert {"generated_at", "sources"} <= set(doc)
    assert [(i["name"], i["start"], i["ip"]) for i in doc["iterations"]] == [
        ("PI 1 · I1", "2026-01-05T00:00:00Z", False),
        ("PI 1 · I2", "2026-01-19T00:00:00Z", False),
        ("PI 1 · I3", "2026-02-02T00:00:00Z", False),
        ("PI 1 · I4", "2026-02-16T00:00:00Z", False),
        ("PI 1 · I5", "2026-03-02T00:00:00Z", False),
        ("PI 1 · IP", "2026-03-16T00:00:00Z", True),
    ]
    assert doc["iterations"][-1]["end"] == "2026-03-30T00:00:00Z"
    for card in doc["cards"]:
        assert ITEM_KEYS | {"planned_iteration", "blocked", "stalled"} <= set(card)
    for dep in doc["dependencies"]:
        assert ITEM_KEYS == set(dep["blocker"]) == set(dep["blocked"])
        assert {"health", "slack_iterations", "state", "created_at", "age_days"} <= set(dep)


def test_cards_sit_in_their_cells(world: Session) -> None:
    doc = board_json(world)
    cards = by_key(doc)
    assert {k: (c["row"], c["planned_iteration"]) for k, c in cards.items()} == CELLS
    assert doc["rows"] == ["Alpha", "Beta", "Gamma", "(unmapped)", "(outside the train)"]
    assert cards["F18"]["carried_from"] == ["PI 1 · I1"]  # Jira kept S1 when it went to S2
    assert cards["F17"]["team"] is None
    assert "ST1" not in cards
    assert "F10" not in cards


def test_strings_health_and_slack(world: Session) -> None:
    doc = board_json(world)
    found = {
        (d["blocker"]["key"], d["blocked"]["key"]): (d["health"], d["slack_iterations"])
        for d in doc["dependencies"]
    }
    assert found == STRINGS
    assert len(doc["dependencies"]) == len(STRINGS)  # each once; F13 (done) → F12 not drawn
    done = [
        (d["blocker"]["key"], d["blocked"]["key"], d["state"], d["health"])
        for d in doc["done_dependencies"]
    ]
    assert done == [("F13", "F12", "blocker_done", "green")]  # apart, drawn on request
    same = [d for d in doc["dependencies"] if not d["cross_team"]]
    assert [(d["blocker"]["key"], d["blocked"]["key"]) for d in same] == [("F14", "F15")]


def test_stubs_name_key_tracker_and_iteration(world: Session) -> None:
    doc = board_json(world)
    stubs = {
        s["item"]["key"]: (s["item"]["source"], s["item"]["iteration"], s["row"], s["why"])
        for s in doc["stubs"]
    }
    assert stubs == {
        "acme/ext#9": ("github", None, "(outside the train)", "outside_train"),
        HOSTILE_KEY: ("github", None, "(outside the train)", "outside_train"),
        "F10": ("jira", "PI 2 · I1", "Beta", "other_pi"),
        "ST1": ("jira", "PI 1 · I2", "Alpha", "other_level"),
    }


def test_marks_and_counts(world: Session) -> None:
    doc = board_json(world)
    cards = by_key(doc)
    assert (cards["F17"]["blocked"], cards["F17"]["reasons"]) == (True, ["flagged", "dependency"])
    assert cards["F17"]["flag_reason"] == "waiting on <vendor>"
    assert cards["F1"]["reasons"] == ["dependency"]
    assert (cards["F12"]["reasons"], cards["F12"]["should_be_unblocked"]) == (["flagged"], True)
    assert not cards["F2"]["blocked"]
    assert [k for k, c in cards.items() if c["stalled"]] == ["F6"]
    assert [k for k, c in cards.items() if c["should_be_unblocked"]] == ["F12"]
    summary = doc["summary"]
    assert (summary["red"], summary["amber"], summary["green"]) == (5, 2, 2)
    assert (summary["blocked"], summary["unmapped"], summary["cards"]) == (10, 1, 18)
    assert (summary["stalled"], summary["should_be_unblocked"]) == (1, 1)
    assert [(s["name"], s["stale"]) for s in doc["sources"]] == [
        ("github", True),
        ("jira", False),
    ]


def test_strings_are_the_dependency_report_rows(world: Session) -> None:
    """Same ITEMs, same health: one rule for ``report dependencies`` and the board."""
    doc = board_json(world)
    deps = report(world, "dependencies", AS_OF)["dependencies"]
    rows = {(d["blocker"]["key"], d["blocked"]["key"]): d for d in deps}
    for string in doc["dependencies"]:
        expected = dict(rows[(string["blocker"]["key"], string["blocked"]["key"])])
        assert {k: v for k, v in string.items() if k != "slack_iterations"} == expected


def test_story_level(world: Session) -> None:
    doc = board_json(world, level="story")
    assert {c["key"]: c["planned_iteration"] for c in doc["cards"]} == {
        "ST1": "PI 1 · I2",
        "ST2": "PI 1 · I3",
    }
    assert [(d["blocker"]["key"], d["blocked"]["key"], d["health"]) for d in doc[
        "dependencies"
    ]] == [("ST1", "F17", "amber"), ("ST1", "ST2", "green")]  # fmt: skip
    assert {s["item"]["key"]: s["why"] for s in doc["stubs"]} == {"F17": "other_level"}


def test_as_of_draws_the_board_as_it_stood(world: Session) -> None:
    """On 2026-01-15 F18 sat in S1 only, F17 was not flagged, and only the first links
    (added from 01-10 09:00, one every 27 hours) existed: up to acme/ext#9 → F7 (01-14 21:00)."""
    doc = board_json(world, as_of=at("2026-01-15", "12:00"))
    cards = by_key(doc)
    assert (cards["F18"]["planned_iteration"], cards["F18"]["carried_from"]) == ("PI 1 · I1", [])
    assert not cards["F17"]["blocked"]
    assert "F8" not in cards  # unplanned and no string yet
    assert [(d["blocker"]["key"], d["blocked"]["key"]) for d in doc["dependencies"]] == [
        ("F2", "F1"),
        ("F4", "F3"),
        ("F6", "F5"),
        ("F14", "F15"),
        ("acme/ext#9", "F7"),
    ]
    assert doc["drift"] is not None
    assert doc["drift"]["baseline"]["at"] == "2026-01-06T00:00:00Z"


def test_before_the_baseline_there_is_no_drift_layer(world: Session) -> None:
    doc = board_json(world, as_of=at("2026-01-05", "12:00"))
    assert doc["drift"] is None
    assert "has not come yet" in doc["drift_note"]


def test_unknown_pi_and_level(world: Session) -> None:
    with pytest.raises(ReportError, match="no PI named 'PI 9'"):
        board_report(world, ctx(), "PI 9")
    with pytest.raises(ReportError, match="unknown board level 'task'"):
        board_report(world, ctx(), "PI 1", level="task")


# -- the CLI ------------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    engine = open_engine(db_url)
    with Session(engine) as session:
        board_world().write(session)
    engine.dispose()
    return write_config(tmp_path, db_url)


def test_cli_board_html_by_default(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "board.html"
    with time_machine.travel(AS_OF, tick=False):
        code, out, err = run(
            capsys, "report", "board", "--out", str(out_path), "--config", str(config)
        )
    assert (code, out, err) == (0, "", "")
    html = out_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Program board: ART, PI 1" in html


def test_cli_board_json_with_options(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(AS_OF, tick=False):
        code, out, err = run(
            capsys, "report", "board", "--format", "json", "--pi", "PI 1", "--level", "story",
            "--as-of", "2026-02-20T12:00", "--config", str(config),
        )  # fmt: skip
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert (doc["pi"], doc["level"], doc["as_of"]) == ("PI 1", "story", "2026-02-20T12:00:00Z")
    code, out, err = run(
        capsys, "report", "board", "--format", "json", "--baseline", "2026-01-20",
        "--as-of", "2026-02-20T12:00", "--config", str(config),
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert json.loads(out)["drift"]["baseline"] == {
        "name": None,
        "kind": "reconstructed",
        "at": "2026-01-20T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pi", "PI 9"], "--pi 'PI 9' is not a configured PI; known PIs: PI 0, PI 1, PI 2"),
        (["--level", "epic"], "argument --level: invalid choice: 'epic'"),
        (["--format", "csv"], "argument --format: invalid choice: 'csv'"),
        (["--as-of", "soon"], "--as-of 'soon' is not a time"),
        (["--baseline", "nope"], "--baseline 'nope' is neither a stored baseline of PI 1 nor"),
    ],
)
def test_cli_board_bad_arguments(
    config: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with time_machine.travel(AS_OF, tick=False):
        code, out, err = run(capsys, "report", "board", *args, "--config", str(config))
    assert (code, out) == (2, "")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("same", "expected"), [("red", "red"), ("green", "green")])
def test_same_iteration_rule_colours_the_board(world: Session, same: str, expected: str) -> None:
    """``[dependencies] same_iteration``: F4 → F3 (both in I2) and ST1 → F17 follow it."""
    doc = board_dict(board_report(world, replace(ctx(), same_iteration=same), "PI 1"))
    found = {(d["blocker"]["key"], d["blocked"]["key"]): d["health"] for d in doc["dependencies"]}
    assert (found[("F4", "F3")], found[("ST1", "F17")]) == (expected, expected)
    assert found[("F2", "F1")] == "red"


def test_without_a_pi_the_board_shows_the_current_one(world: Session) -> None:
    assert board_dict(board_report(world, ctx()))["pi"] == "PI 1"
    early = ctx(at("2025-01-01"))
    with pytest.raises(ReportError, match="no PI of train 'ART' has started by 2025-01-01"):
        board_report(world, early)
