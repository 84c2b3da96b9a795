"""Dependency aging, by hand-computed scenarios on SQLite and PostgreSQL.

The train "ART" (UTC) has PI 1 starting Monday 2026-01-05: iterations I1 [01-05, 01-19),
I2 [01-19, 02-02), ... Jira sprint "1" is I1, "2" is I2, "3" is I3. Every expectation below is
worked out from the events the test writes; the clock is frozen where "now" matters.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from report_world import World, at, report
from sqlalchemy.orm import Session


def deps(session: Session, when: str, hm: str = "09:00", **kw: Any) -> dict[str, Any]:
    return report(session, "dependencies", at(when, hm), **kw)


def pairs(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(d["blocker"]["key"], d["blocked"]["key"], d["state"]) for d in doc["dependencies"]]


def planned_world() -> World:
    w = World()
    for sprint in ("1", "2", "3"):
        w.sprint("jira", sprint, "PI 1", int(sprint))
    return w


def test_link_added_removed_and_readded_ages_from_the_readding(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("B-1", at("2026-01-05"), team="Beta")
    link = w.link("B-1", "A-1", at("2026-01-06"))
    w.unlink(link, at("2026-01-08"))
    w.relink(link, at("2026-01-10"))
    w.write(session)

    assert deps(session, "2026-01-06", "08:59")["dependencies"] == []
    first = deps(session, "2026-01-07")
    assert pairs(first) == [("B-1", "A-1", "open")]
    assert first["dependencies"][0]["created_at"] == "2026-01-06T09:00:00Z"
    assert first["dependencies"][0]["age_days"] == 1.0
    assert deps(session, "2026-01-09")["dependencies"] == []
    again = deps(session, "2026-01-12", "21:00")
    assert again["dependencies"][0]["created_at"] == "2026-01-10T09:00:00Z"
    assert again["dependencies"][0]["age_days"] == 2.5
    assert again["summary"] == {
        "open": 1,
        "cross_team": 1,
        "red": 0,
        "amber": 1,
        "green": 0,
        "median_age_days": 2.5,
    }


def test_all_lists_dependencies_resolved_within_the_pi(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("B-1", at("2026-01-05"), team="Beta")
    link = w.link("B-1", "A-1", at("2026-01-06"))
    w.unlink(link, at("2026-01-08", "15:00"))
    w.item("C-1", at("2026-01-05"), team="Gamma")
    w.link("C-1", "A-1", at("2026-01-07"))
    w.status("C-1", at("2026-01-09", "12:00"), "Done")
    w.write(session)

    open_only = deps(session, "2026-01-10")
    assert open_only["dependencies"] == []
    everything = deps(session, "2026-01-10", include_resolved=True)
    resolved = {d["blocker"]["key"]: d for d in everything["dependencies"]}
    assert resolved["B-1"]["state"] == "resolved"
    assert resolved["B-1"]["resolved_at"] == "2026-01-08T15:00:00Z"
    assert resolved["B-1"]["age_days"] == 2.3  # 2 days 6 hours
    assert resolved["C-1"]["resolved_at"] == "2026-01-09T12:00:00Z"
    assert resolved["C-1"]["age_days"] == 2.1  # 2 days 3 hours
    assert resolved["C-1"]["health"] == "green"  # the blocker is done
    assert everything["summary"]["open"] == 0
    kinds = [f["kind"] for f in everything["hygiene"]]
    assert kinds == ["blocked_by_done"]  # C-1 is done but still linked as blocking A-1


def test_blocker_done_closes_the_dependency_and_reopening_opens_it(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.link("B-1", "A-1", at("2026-01-06"))
    w.status("B-1", at("2026-01-07"), "In Progress")
    w.status("B-1", at("2026-01-09"), "Done")
    w.status("B-1", at("2026-01-11"), "Reopened")
    w.write(session)

    assert pairs(deps(session, "2026-01-08")) == [("B-1", "A-1", "open")]
    assert pairs(deps(session, "2026-01-10")) == []
    reopened = deps(session, "2026-01-12")
    assert pairs(reopened) == [("B-1", "A-1", "open")]
    assert reopened["dependencies"][0]["created_at"] == "2026-01-06T09:00:00Z"  # link age
    assert reopened["dependencies"][0]["blocker"]["status"] == "Reopened"
    assert reopened["dependencies"][0]["blocker"]["status_category"] == "todo"


@pytest.mark.parametrize(
    ("blocker_sprint", "blocked_sprint", "colour"),
    [
        ("2", "1", "red"),  # provider planned later than the need
        (None, "1", "red"),  # provider not planned, need planned
        ("1", "1", "amber"),  # same iteration
        (None, None, "amber"),  # neither planned: no commitment either way
        ("1", "2", "green"),  # provider planned earlier
        ("1", None, "green"),  # provider planned, need not
    ],
    ids=["later", "unplanned-provider", "same", "neither", "earlier", "unplanned-need"],
)
def test_health_colours(
    session: Session, blocker_sprint: str | None, blocked_sprint: str | None, colour: str
) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint=blocked_sprint)
    w.item("B-1", at("2026-01-05"), team="Beta", sprint=blocker_sprint)
    w.link("B-1", "A-1", at("2026-01-06"))
    w.write(session)
    doc = deps(session, "2026-01-07")
    assert doc["dependencies"][0]["health"] == colour
    assert doc["summary"][colour] == 1


def test_health_follows_sprint_moves_as_of(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint="2")
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="3")
    w.link("B-1", "A-1", at("2026-01-06"))
    w.move_sprint("B-1", at("2026-01-08"), "2")
    w.move_sprint("B-1", at("2026-01-10"), "3,1")  # carried over: the latest iteration counts
    w.status("B-1", at("2026-01-12"), "Done")
    w.write(session)

    def colour(day: str) -> tuple[str, str | None]:
        dep = report(session, "dependencies", at(day), include_resolved=True)["dependencies"][0]
        return dep["health"], dep["blocker"]["iteration"]

    assert colour("2026-01-07") == ("red", "PI 1 · I3")
    assert colour("2026-01-09") == ("amber", "PI 1 · I2")
    assert colour("2026-01-11") == ("red", "PI 1 · I3")
    assert colour("2026-01-13") == ("green", "PI 1 · I3")


def test_items_outside_the_train_and_unmapped_teams(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("X-9", at("2026-01-05"), team="Alpha", in_scope=False)  # fetched one hop out
    w.item("U-1", at("2026-01-05"), team=None)
    ext = ("github", "other/repo#7", "https://github.com/other/repo/issues/7")
    w.link("X-9", "A-1", at("2026-01-06"))
    w.link(ext, "A-1", at("2026-01-07"), origin="text_reference", source="github")
    w.link("U-1", "A-1", at("2026-01-08"))
    w.write(session)
    doc = deps(session, "2026-01-10")

    by_blocker = {d["blocker"]["key"]: d for d in doc["dependencies"]}
    assert list(by_blocker) == ["X-9", "other/repo#7", "U-1"]  # oldest first
    assert by_blocker["X-9"]["blocker"]["outside_train"] is True
    assert by_blocker["X-9"]["cross_team"] is True  # outside never counts as the same team
    assert by_blocker["other/repo#7"]["blocker"] == {
        "source": "github",
        "key": "other/repo#7",
        "id": "",
        "title": "",
        "url": "https://github.com/other/repo/issues/7",
        "team": None,
        "status": "",
        "status_category": "todo",
        "iteration": None,
        "outside_train": True,
        "provisional": False,
    }
    assert by_blocker["other/repo#7"]["origin"] == "text_reference"
    assert by_blocker["U-1"]["blocker"]["team"] is None
    assert by_blocker["U-1"]["blocker"]["outside_train"] is False
    assert by_blocker["U-1"]["cross_team"] is True
    assert doc["summary"]["cross_team"] == 3
    assert doc["matrix"] == [
        {"waiting": "Alpha", "providing": "(outside the train)", "open": 2, "days_waited": 7.0},
        {"waiting": "Alpha", "providing": "(unmapped)", "open": 1, "days_waited": 2.0},
    ]
    kinds = sorted(f["kind"] for f in doc["hygiene"])
    assert kinds == ["blocker_outside_train", "blocker_outside_train", "unmapped_team"]


def test_two_origins_of_one_pair_are_one_dependency(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("B-1", at("2026-01-05"), team="Alpha")
    w.link("B-1", "A-1", at("2026-01-07"), origin="jira_link")
    w.link("B-1", "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.write(session)
    doc = deps(session, "2026-01-08")
    assert len(doc["dependencies"]) == 1
    only = doc["dependencies"][0]
    assert (only["origin"], only["created_at"]) == ("text_reference", "2026-01-06T09:00:00Z")
    assert only["cross_team"] is False
    assert [f["kind"] for f in doc["hygiene"]] == ["same_team_dependency"]


def test_buckets_median_and_order(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2025-11-01"), team="Alpha")
    ages = {"B-1": 3, "B-2": 7, "B-3": 8, "B-4": 30, "B-5": 31}
    for key, age in ages.items():
        w.item(key, at("2025-11-01"), team="Beta")
        w.link(key, "A-1", at("2026-01-10", "12:00") - __import__("datetime").timedelta(days=age))
    w.write(session)
    with time_machine.travel(at("2026-01-10", "18:00"), tick=False):
        doc = deps(session, "2026-01-10", "12:00", now=at("2026-01-10", "18:00"))
    assert [d["blocker"]["key"] for d in doc["dependencies"]] == ["B-5", "B-4", "B-3", "B-2", "B-1"]
    assert [d["age_days"] for d in doc["dependencies"]] == [31.0, 30.0, 8.0, 7.0, 3.0]
    assert doc["buckets"] == {"0-7": 2, "8-14": 1, "15-30": 1, ">30": 1}
    assert doc["summary"]["median_age_days"] == 8.0
    assert doc["generated_at"] == "2026-01-10T18:00:00Z"
    assert doc["as_of"] == "2026-01-10T12:00:00Z"
    assert doc["matrix"] == [
        {"waiting": "Alpha", "providing": "Beta", "open": 5, "days_waited": 79.0}
    ]


def test_header_reports_sync_health_as_of(session: Session) -> None:
    w = planned_world()
    w.item("A-1", at("2026-01-05"), team="Alpha")
    w.item("A-2", at("2026-01-09"), team="Alpha")
    w.sync("jira", at("2026-01-08", "08:00"), census=7)
    w.sync("jira", at("2026-01-10", "08:00"), outcome="failed")
    w.quarantine.append(("jira", "A-99", "no fields", at("2026-01-08", "08:01")))
    w.write(session)
    doc = deps(session, "2026-01-08", "08:30")
    jira = next(s for s in doc["sources"] if s["name"] == "jira")
    assert jira == {
        "name": "jira",
        "kind": "jira",
        "last_success_at": "2026-01-08T08:02:00Z",
        "stale": False,
        "items": 1,
    }
    assert next(s for s in doc["sync"] if s["source"] == "jira") == {
        "source": "jira",
        "census_items": 7,
        "stored_items": 1,
        "quarantined": 1,
    }
    later = deps(session, "2026-01-10", "09:00")
    jira = next(s for s in later["sources"] if s["name"] == "jira")
    assert (jira["last_success_at"], jira["stale"], jira["items"]) == (
        "2026-01-08T08:02:00Z",
        True,
        2,
    )
    github = next(s for s in later["sources"] if s["name"] == "github")
    assert (github["last_success_at"], github["stale"]) == (None, False)  # never synced
