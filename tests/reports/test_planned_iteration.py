"""The planned iteration (where the board places an item), by hand-computed scenarios.

PI 1 starts Monday 2026-01-05: I1 [01-05, 01-19), I2 [01-19, 02-02), I3 [02-02, 02-16). Jira
sprint "1" is I1 and closes (completes) on 01-19 08:00; sprint "2" is I2 and closes on 02-02
08:00; sprint "3" is I3 and is still open. Jira's Sprint field keeps closed sprints, so an item
carried over sits in "1,2". Every expectation is worked out from the events written here; the
reports run on a frozen clock (``now`` = ``as_of``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from report_world import World, at, report
from sqlalchemy import select
from sqlalchemy.orm import Session

from model.tables import WorkItem
from reports.state import IterationInfo, ReportContext, SprintAt, StateReader, planned_iteration

CLOSE_1 = at("2026-01-19", "08:00")
CLOSE_2 = at("2026-02-02", "08:00")


def sprint_world() -> World:
    w = World()
    w.sprint("jira", "1", "PI 1", 1, closed=CLOSE_1)
    w.sprint("jira", "2", "PI 1", 2, closed=CLOSE_2)
    w.sprint("jira", "3", "PI 1", 3)
    return w


def planned(session: Session, when: datetime) -> dict[str, str | None]:
    """Each stored item's planned iteration as of ``when``, by key."""
    ctx = ReportContext(train="ART", as_of=when, now=when, sources=("github", "jira"))
    reader = StateReader(session, ctx)
    ids = dict(session.execute(select(WorkItem.id, WorkItem.key)).all())
    return {
        ids[i]: (s.iteration.name if s.iteration else None) for i, s in reader.states(ids).items()
    }


@pytest.fixture
def carried(session: Session) -> Session:
    w = sprint_world()
    # unfinished, carried over from sprint 1 into sprint 2 when sprint 1 closed
    w.item("CARRY-1", at("2026-01-05"), sprint="1")
    w.status("CARRY-1", at("2026-01-06"), "In Progress")
    w.move_sprint("CARRY-1", CLOSE_1, "1,2")
    # unfinished, left in closed sprint 1: back in the backlog from 01-19 08:00
    w.item("BACK-1", at("2026-01-05"), sprint="1")
    # done inside sprint 1
    w.item("DONE-1", at("2026-01-05"), sprint="1")
    w.status("DONE-1", at("2026-01-15"), "Done")
    # carried over, then done in sprint 2
    w.item("DONE-2", at("2026-01-05"), sprint="1")
    w.move_sprint("DONE-2", CLOSE_1, "1,2")
    w.status("DONE-2", at("2026-01-22"), "Done")
    # done from the backlog after sprint 1 closed without it
    w.item("LATE-1", at("2026-01-05"), sprint="1")
    w.status("LATE-1", at("2026-01-25"), "Done")
    # created done (no status history: resolved_at = created) in sprint 1
    w.item("OLD-1", at("2026-01-06"), sprint="1", status="Done")
    # in the open future sprint 3
    w.item("NEXT-3", at("2026-01-05"), sprint="3")
    # reopened after sprint 1 closed: unfinished again, all its sprints closed
    w.item("REOPEN-1", at("2026-01-05"), sprint="1")
    w.status("REOPEN-1", at("2026-01-12"), "Done")
    w.status("REOPEN-1", at("2026-01-26"), "Reopened")
    w.write(session)
    return session


def test_before_sprint_1_closes_every_item_in_it_is_planned_there(carried: Session) -> None:
    assert planned(carried, at("2026-01-12")) == {
        "CARRY-1": "PI 1 · I1",
        "BACK-1": "PI 1 · I1",
        "DONE-1": "PI 1 · I1",
        "DONE-2": "PI 1 · I1",
        "LATE-1": "PI 1 · I1",
        "OLD-1": "PI 1 · I1",
        "NEXT-3": "PI 1 · I3",
        "REOPEN-1": "PI 1 · I1",
    }


def test_after_sprint_1_closed(carried: Session) -> None:
    assert planned(carried, at("2026-01-27")) == {
        "CARRY-1": "PI 1 · I2",  # its open sprint
        "BACK-1": None,  # unfinished, every sprint closed: back in the backlog
        "DONE-1": "PI 1 · I1",  # done in sprint 1
        "DONE-2": "PI 1 · I2",  # done in sprint 2 (sprint 1 closed before)
        "LATE-1": None,  # done after its only sprint closed: done from the backlog
        "OLD-1": "PI 1 · I1",  # no history: resolved_at (its creation) lies in sprint 1
        "NEXT-3": "PI 1 · I3",
        "REOPEN-1": None,  # unfinished again, sprint 1 long closed
    }


def test_after_sprint_2_closed_a_carried_item_left_in_it_is_unplanned(carried: Session) -> None:
    found = planned(carried, at("2026-02-03"))
    assert found["CARRY-1"] is None  # sprints 1 and 2 both closed, it was not moved on
    assert found["DONE-2"] == "PI 1 · I2"  # done items keep the sprint they were done in


def test_the_instant_a_sprint_closes(carried: Session) -> None:
    assert planned(carried, CLOSE_1 - timedelta(microseconds=1))["BACK-1"] == "PI 1 · I1"
    assert planned(carried, CLOSE_1)["BACK-1"] is None


def test_a_blocker_back_in_the_backlog_turns_its_string_red(session: Session) -> None:
    w = sprint_world()
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint="2")  # the need: I2
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="1")  # the provider, never finished
    w.link("B-1", "A-1", at("2026-01-06"))
    w.write(session)

    def health(day: str) -> tuple[str, str | None]:
        dep = report(session, "dependencies", at(day))["dependencies"][0]
        return dep["health"], dep["blocker"]["iteration"]

    assert health("2026-01-12") == ("green", "PI 1 · I1")  # planned before the need
    assert health("2026-01-20") == ("red", None)  # sprint 1 closed without it: unplanned


# -- the rule itself, on values ------------------------------------------------------------


def _it(seq: int) -> IterationInfo:
    start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=14 * (seq - 1))
    return IterationInfo(seq, f"I{seq}", "PI 1", seq, False, start, start + timedelta(days=14))


T = datetime(2026, 1, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sprints", "done", "done_at", "expected"),
    [
        ([SprintAt(_it(1), None)], False, None, 1),
        ([SprintAt(_it(1), T - timedelta(days=8))], False, None, None),
        ([SprintAt(_it(1), T - timedelta(days=8)), SprintAt(_it(2), None)], False, None, 2),
        ([SprintAt(_it(3), None), SprintAt(_it(2), None)], False, None, 3),
        ([SprintAt(None, None)], False, None, None),  # a sprint no iteration maps to
        ([SprintAt(_it(1), T - timedelta(days=8))], True, T - timedelta(days=9), 1),
        ([SprintAt(_it(1), T - timedelta(days=8))], True, T - timedelta(days=2), None),
        ([SprintAt(_it(1), T - timedelta(days=8))], True, None, 1),  # no done moment known
        ([], True, T, None),
        ([SprintAt(_it(1), T + timedelta(days=1))], False, None, 1),  # closes after T
    ],
    ids=[
        "open",
        "all-closed",
        "carried",
        "latest-open",
        "unmapped",
        "done-inside",
        "done-after-close",
        "done-unknown-moment",
        "done-no-sprint",
        "closes-later",
    ],
)
def test_planned_iteration_rule(
    sprints: list[SprintAt], done: bool, done_at: datetime | None, expected: int | None
) -> None:
    found = planned_iteration(sprints, done=done, done_at=done_at, t=T)
    assert (found.seq if found else None) == expected
