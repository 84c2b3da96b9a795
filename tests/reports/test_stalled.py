"""Stalled work and blockers that outlived their blockers (issue 11 §4), hand-computed.

UTC train; PI 1 from 2026-01-05. ``[flow] stalled_days`` = 5 unless a test says otherwise:
an item in progress whose last meaningful change is 5 days or more before ``as_of`` is stalled.
Link changes and the bot account's changes are not meaningful. Frozen clock: now = as_of.
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from typing import Any

import pytest
from report_world import World, at, report
from sqlalchemy.orm import Session

from reports.blocked import blocked_report
from reports.render import render
from reports.stalled import stalled_items, stalled_refs
from reports.state import ReportContext

AS_OF = at("2026-01-20")


@pytest.fixture
def idle(session: Session) -> Session:
    w = World()
    w.item("S-1", at("2026-01-05"))
    w.status("S-1", at("2026-01-06"), "In Progress")  # nothing since: 14 days idle
    w.item("S-2", at("2026-01-05"))
    w.status("S-2", at("2026-01-06"), "In Progress")
    w.activity("S-2", at("2026-01-17"), "comment", author="dana")  # 3 days ago
    w.item("S-3", at("2026-01-05"), team="Beta")
    w.status("S-3", at("2026-01-06"), "In Progress")
    w.item("B-3", at("2026-01-05"), team="Gamma")
    w.link("B-3", "S-3", at("2026-01-18"))  # link-only: not activity
    w.item("S-4", at("2026-01-05"))
    w.status("S-4", at("2026-01-06"), "In Progress")
    w.activity("S-4", at("2026-01-18"), "description", author="Automation")  # a bot
    w.item("S-5", at("2026-01-05"))  # to do: never stalled
    w.item("S-6", at("2026-01-05"))
    w.status("S-6", at("2026-01-15"), "In Progress")  # exactly 5 days: stalled
    w.item("S-7", at("2026-01-05"))
    w.status("S-7", at("2026-01-15", "09:01"), "In Progress")  # a minute short of 5 days
    w.item("S-8", at("2026-01-05"))
    w.status("S-8", at("2026-01-06"), "In Progress")
    w.status("S-8", at("2026-01-10"), "Done")  # done: not in progress
    w.item("S-9", at("2026-01-02"), status="In Progress")  # no history: idle since created
    w.item("X-1", at("2026-01-05"), in_scope=False, status="In Progress")  # outside the train
    w.write(session)
    return session


def stalled_keys(session: Session, **rules: Any) -> dict[str, tuple[str, float]]:
    doc = report(session, "blocked", rules.pop("as_of", AS_OF), **rules)
    return {s["item"]["key"]: (s["last_activity_at"], s["idle_days"]) for s in doc["stalled"]}


def test_stalled_items_in_report_blocked(idle: Session) -> None:
    assert stalled_keys(idle, bots=("automation",)) == {
        "S-9": ("2026-01-02T09:00:00Z", 18.0),
        "S-1": ("2026-01-06T09:00:00Z", 14.0),
        "S-3": ("2026-01-06T09:00:00Z", 14.0),  # the link added on 01-18 does not count
        "S-4": ("2026-01-06T09:00:00Z", 14.0),  # the bot's edit on 01-18 does not count
        "S-6": ("2026-01-15T09:00:00Z", 5.0),
    }


def test_longest_idle_first(idle: Session) -> None:
    doc = report(idle, "blocked", AS_OF, bots=("automation",))
    assert [s["item"]["key"] for s in doc["stalled"]] == ["S-9", "S-1", "S-3", "S-4", "S-6"]


def test_without_bots_configured_the_edit_is_activity(idle: Session) -> None:
    assert "S-4" not in stalled_keys(idle)


def test_stalled_days_is_configurable(idle: Session) -> None:
    assert set(stalled_keys(idle, stalled_days=10, bots=("automation",))) == {
        "S-9",
        "S-1",
        "S-3",
        "S-4",
    }
    assert set(stalled_keys(idle, stalled_days=4.99)) >= {"S-6", "S-7"}


def test_as_of_an_earlier_instant(idle: Session) -> None:
    assert stalled_keys(idle, as_of=at("2026-01-10")) == {"S-9": ("2026-01-02T09:00:00Z", 8.0)}
    # on 01-11 09:00 S-1 and S-3 have been idle exactly 5 days; S-8 is done by then
    assert set(stalled_keys(idle, as_of=at("2026-01-11"))) == {"S-9", "S-1", "S-2", "S-3", "S-4"}


def test_the_api_for_the_board_and_the_digest(idle: Session) -> None:
    ctx = ReportContext(train="ART", as_of=AS_OF, now=AS_OF, bots=("automation",))
    items = stalled_items(idle, ctx)
    assert [s.item.key for s in items] == ["S-9", "S-1", "S-3", "S-4", "S-6"]
    assert {r.key for r in stalled_refs(idle, ctx)} == {"S-9", "S-1", "S-3", "S-4", "S-6"}
    assert all(s.item.status_category == "in_progress" for s in items)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_stalled_section_in_every_format(idle: Session) -> None:
    ctx = ReportContext(
        train="ART", as_of=AS_OF, now=AS_OF, sources=("github", "jira"), bots=("automation",)
    )
    built = blocked_report(idle, ctx)
    md = render(built, "md")
    section = md.split("## Stalled (in progress, no activity for 5 days)", 1)[1]
    assert "S-6" in section
    assert "Thu 15 Jan 09:00 UTC" in section
    parser = _Text()
    parser.feed(render(built, "html"))
    text = " ".join(parser.text)
    assert "Stalled (in progress, no activity for 5 days)" in text
    assert "Thu 15 Jan 09:00 UTC" in text
    rows = list(csv.DictReader(io.StringIO(render(built, "csv"))))
    stalled = [r for r in rows if r["section"] == "stalled"]
    assert [(r["key"], r["last_activity_at"], r["idle_days"]) for r in stalled][-1] == (
        "S-6",
        "2026-01-15T09:00:00Z",
        "5.0",
    )
    assert {r["section"] for r in rows} == {"blocked", "stalled"}  # S-3 is blocked by B-3


# -- should be unblocked ---------------------------------------------------------------------


@pytest.fixture
def outlived(session: Session) -> Session:
    w = World()
    w.item("U-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.link("B-1", "U-1", at("2026-01-06"))
    w.flag("U-1", at("2026-01-07"), reason="waiting for B-1")
    w.status("B-1", at("2026-01-12"), "Done")
    w.item("U-2", at("2026-01-05"), labels=("blocked",))
    w.item("B-2", at("2026-01-05"), team="Beta")
    w.item("B-3", at("2026-01-05"), team="Gamma")
    w.link("B-2", "U-2", at("2026-01-06"))
    w.link("B-3", "U-2", at("2026-01-06"))
    w.status("B-2", at("2026-01-12"), "Done")  # B-3 still open: U-2 is rightly blocked
    w.item("U-3", at("2026-01-05"))
    w.flag("U-3", at("2026-01-07"), reason="no dependency at all")
    w.item("U-4", at("2026-01-05"), labels=("Blocked",))
    w.item("B-4", at("2026-01-05"), team="Beta")
    w.link("B-4", "U-4", at("2026-01-06"))
    w.status("B-4", at("2026-01-09"), "Done")
    w.write(session)
    return session


def findings(session: Session, when: str, name: str = "blocked") -> list[dict[str, Any]]:
    doc = report(session, name, at(when))
    return [f for f in doc["hygiene"] if f["kind"] == "should_be_unblocked"]


def test_should_be_unblocked(outlived: Session) -> None:
    found = findings(outlived, "2026-01-13")
    assert [[r["key"] for r in f["items"]] for f in found] == [["U-1", "B-1"], ["U-4", "B-4"]]
    assert found[0]["message"] == ("U-1 is still flagged but its dependencies are all done (B-1)")
    assert found[1]["message"] == (
        "U-4 is still labelled blocked but its dependencies are all done (B-4)"
    )
    assert findings(outlived, "2026-01-13", "dependencies") == found


def test_should_be_unblocked_as_of(outlived: Session) -> None:
    assert [f["items"][0]["key"] for f in findings(outlived, "2026-01-10")] == ["U-4"]
    assert findings(outlived, "2026-01-08") == []


def test_flags_do_not_count_when_they_do_not_mean_blocked(outlived: Session) -> None:
    doc = report(outlived, "blocked", at("2026-01-13"), blocked_flagged=False)
    kinds = [(f["kind"], f["items"][0]["key"]) for f in doc["hygiene"]]
    assert ("should_be_unblocked", "U-4") in kinds
    assert ("should_be_unblocked", "U-1") not in kinds
