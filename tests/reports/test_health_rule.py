"""One health rule for every string (``reports.health``), ``[dependencies] same_iteration``,
and slack, by hand-computed cases.

PI 1 starts 2026-01-05: Jira sprint "1" is I1, "2" is I2, "3" is I3 (none closed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from report_world import World, at, report
from sqlalchemy.orm import Session
from test_report_cli import CONFIG, NOW, run

from model.db import open_engine
from reports.health import iteration_health, slack_iterations
from reports.pairs import analyse, slack
from reports.state import IterationInfo, ReportContext, StateReader


def _it(seq: int) -> IterationInfo:
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=14 * (seq - 1))
    return IterationInfo(seq, f"I{seq}", "PI 1", seq, seq == 6, start, start + timedelta(days=14))


CALENDAR = tuple(_it(seq) for seq in range(1, 7))


@pytest.mark.parametrize(
    ("blocker", "blocked", "same", "colour"),
    [
        (2, 1, "amber", "red"),  # provider later than the need
        (None, 1, "amber", "red"),  # provider in the backlog, need planned
        (1, 1, "amber", "amber"),  # same iteration: the default
        (1, 1, "red", "red"),  # sequential train
        (1, 1, "green", "green"),  # concurrent train
        (None, None, "red", "amber"),  # neither planned: same_iteration does not apply
        (1, 2, "red", "green"),  # provider earlier
        (1, None, "amber", "green"),  # provider planned, need not
    ],
    ids=["later", "backlog", "same", "same-red", "same-green", "neither", "earlier", "no-need"],
)
def test_iteration_health(blocker: int | None, blocked: int | None, same: str, colour: str) -> None:
    give = _it(blocker) if blocker else None
    need = _it(blocked) if blocked else None
    assert iteration_health(give, need, same) == colour


@pytest.mark.parametrize(
    ("blocker", "blocked", "expected"),
    [(1, 3, 2), (3, 1, -2), (2, 2, 0), (5, 6, 1), (None, 2, None), (2, None, None)],
    ids=["two-ahead", "conflict", "same", "into-ip", "backlog-blocker", "backlog-need"],
)
def test_slack_counts_iterations_between_the_ends(
    blocker: int | None, blocked: int | None, expected: int | None
) -> None:
    give = _it(blocker) if blocker else None
    need = _it(blocked) if blocked else None
    assert slack_iterations(give, need, CALENDAR) == expected


def same_iteration_world(session: Session) -> None:
    w = World()
    for sprint in ("1", "2", "3"):
        w.sprint("jira", sprint, "PI 1", int(sprint))
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint="2")
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="2")  # same iteration as A-1
    w.item("C-1", at("2026-01-05"), team="Gamma", sprint="3")  # later than A-1
    w.link("B-1", "A-1", at("2026-01-06"))
    w.link("A-1", "C-1", at("2026-01-06"))
    w.write(session)


@pytest.mark.parametrize("same", ["amber", "red", "green"])
def test_report_dependencies_follows_same_iteration(session: Session, same: str) -> None:
    same_iteration_world(session)
    doc = report(session, "dependencies", at("2026-01-07"), same_iteration=same)
    colours = {(d["blocker"]["key"], d["blocked"]["key"]): d["health"] for d in doc["dependencies"]}
    assert colours == {("B-1", "A-1"): same, ("A-1", "C-1"): "green"}
    assert doc["summary"][same] == (2 if same == "green" else 1)


def test_slack_of_the_pairs(session: Session) -> None:
    same_iteration_world(session)
    ctx = ReportContext(train="ART", as_of=at("2026-01-07"), now=at("2026-01-07"))
    analysis = analyse(StateReader(session, ctx))
    found = {
        (analysis.ref(p.blocker).key, analysis.ref(p.blocked).key): slack(analysis, p)
        for p in analysis.pairs
    }
    assert found == {("B-1", "A-1"): 0, ("A-1", "C-1"): 1}


def test_report_context_refuses_an_unknown_colour() -> None:
    with pytest.raises(ValueError, match="same_iteration"):
        ReportContext(train="ART", as_of=NOW, now=NOW, same_iteration="purple")


def test_the_config_section_reaches_the_cli(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = open_engine(db_url)
    with Session(engine) as session:
        same_iteration_world(session)
    engine.dispose()
    path = tmp_path / "trainyard.toml"
    text = CONFIG.format(url=db_url, tz="UTC")
    path.write_text(text + '\n[dependencies]\nsame_iteration = "red"\n', encoding="utf-8")
    with time_machine.travel(NOW, tick=False):
        code, out, err = run(capsys, "report", "dependencies", "--config", str(path))
    assert (code, err) == (0, "")
    assert '"health": "red"' in out
    assert '"health": "amber"' not in out


def test_a_bad_colour_in_the_config_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "trainyard.toml"
    text = CONFIG.format(url=f"sqlite:///{tmp_path}/t.db", tz="UTC")
    path.write_text(text + '\n[dependencies]\nsame_iteration = "purple"\n', encoding="utf-8")
    code, out, err = run(capsys, "report", "dependencies", "--config", str(path))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert len(lines) == 1
    assert "Traceback" not in err
    assert "dependencies.same_iteration" in lines[0]
    assert "purple" in lines[0]
    assert f"{path}:{text.count(chr(10)) + 3}:" in lines[0]  # the line of the key
