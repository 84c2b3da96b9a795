"""Review of the blocked report: the edges an RTE checks first (SQLite and PostgreSQL).

Train "ART" in UTC, PI 1 from Monday 2026-01-05 (I1 = Jira sprint "1"). Every expectation is
worked out by hand from the events each test writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from report_world import World, at, report
from sqlalchemy import update
from sqlalchemy.orm import Session

from model.tables import WorkItem


def blocked(session: Session, when: str, hm: str = "09:00", **kw: Any) -> dict[str, Any]:
    return report(session, "blocked", at(when, hm), **kw)


def by_key(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["item"]["key"]: b for b in doc["blocked"]}


def keys(refs: list[dict[str, str]]) -> list[str]:
    return [r["key"] for r in refs]


def test_flag_cleared_as_a_dependency_opens_is_one_episode(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.flag("A-1", at("2026-01-06"), reason="vendor")
    w.unflag("A-1", at("2026-01-08"))
    w.link("B-1", "A-1", at("2026-01-08"))  # same instant: no gap between the reasons
    w.write(session)
    row = by_key(blocked(session, "2026-01-09", "21:00"))["A-1"]
    assert row["reasons"] == ["dependency"]
    assert row["flag_reason"] is None
    assert (row["blocked_since"], row["blocked_days"]) == ("2026-01-06T09:00:00Z", 3.5)


def test_flag_rule_off_ignores_the_flag_for_blocked_since(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.flag("A-1", at("2026-01-06"), reason="vendor")
    w.link("B-1", "A-1", at("2026-01-08"))
    w.write(session)
    row = by_key(blocked(session, "2026-01-09", blocked_flagged=False))["A-1"]
    assert row["reasons"] == ["dependency"]
    assert row["flag_reason"] is None
    assert (row["blocked_since"], row["blocked_days"]) == ("2026-01-08T09:00:00Z", 1.0)


def test_blocked_status_and_label_match_regardless_of_case(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("A-2", at("2026-01-05"))
    w.status("A-1", at("2026-01-06"), "BLOCKED")
    w.add_label("A-2", at("2026-01-07"), "Blocked")
    w.write(session)
    doc = blocked(session, "2026-01-08")
    assert {k: (v["reasons"], v["blocked_since"]) for k, v in by_key(doc).items()} == {
        "A-1": (["status"], "2026-01-06T09:00:00Z"),
        "A-2": (["label"], "2026-01-07T09:00:00Z"),
    }


def test_non_ascii_blocked_status_matches_regardless_of_case(session: Session) -> None:
    """SQL ``lower()`` folds ASCII only (SQLite always, PostgreSQL under the C collation)."""
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("A-2", at("2026-01-05"))
    w.status("A-1", at("2026-01-06"), "Заблокировано")
    w.add_label("A-2", at("2026-01-07"), "Étiqueté")
    w.write(session)
    doc = blocked(
        session,
        "2026-01-08",
        blocked_statuses=("заблокировано",),
        blocked_labels=("étiqueté",),
    )
    assert {k: (v["reasons"], v["blocked_since"]) for k, v in by_key(doc).items()} == {
        "A-1": (["status"], "2026-01-06T09:00:00Z"),
        "A-2": (["label"], "2026-01-07T09:00:00Z"),
    }


def test_long_episodes_read_back_past_the_replay_windows(session: Session) -> None:
    w = World()
    start = at("2025-06-01")
    w.item("A-1", start)  # blocked 200 days without a break
    w.item("A-2", start)  # blocked 200 days, one day's break 30 days ago
    w.item("A-3", start)  # blocked 200 days, one day's break 100 days ago
    for key in ("A-1", "A-2", "A-3"):
        w.flag(key, start + timedelta(days=1), reason="long")
    t = start + timedelta(days=201)
    w.unflag("A-2", t - timedelta(days=31))
    w.flag("A-2", t - timedelta(days=30), reason="again")
    w.unflag("A-3", t - timedelta(days=101))
    w.flag("A-3", t - timedelta(days=100), reason="again")
    w.write(session)
    doc = report(session, "blocked", t)
    found = {k: (v["blocked_since"], v["blocked_days"]) for k, v in by_key(doc).items()}
    assert found == {
        "A-1": ("2025-06-02T09:00:00Z", 200.0),
        "A-2": ((t - timedelta(days=30)).isoformat().replace("+00:00", "Z"), 30.0),
        "A-3": ((t - timedelta(days=100)).isoformat().replace("+00:00", "Z"), 100.0),
    }


def test_diamond_impact_counts_distinct_items(session: Session) -> None:
    w = World()
    for key in ("A-1", "B-1", "C-1", "D-1"):
        w.item(key, at("2026-01-05"))
    w.link("B-1", "A-1", at("2026-01-06"))
    w.link("C-1", "A-1", at("2026-01-06"))
    w.link("D-1", "B-1", at("2026-01-06"))
    w.link("D-1", "C-1", at("2026-01-06"))
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert [(r["item"]["key"], r["impact"]) for r in doc["root_blockers"]] == [("D-1", 3)]
    assert keys(by_key(doc)["A-1"]["blocked_by"]) == ["B-1", "C-1"]
    assert keys(by_key(doc)["A-1"]["root_blockers"]) == ["D-1"]


def test_duplicate_links_of_one_pair_are_one_edge(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"))
    w.link("B-1", "A-1", at("2026-01-06"))
    w.link("B-1", "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert keys(by_key(doc)["A-1"]["blocked_by"]) == ["B-1"]
    assert [(r["item"]["key"], r["impact"]) for r in doc["root_blockers"]] == [("B-1", 1)]


def test_deleted_blocker_still_blocks_and_shows_outside(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"))
    w.link("B-1", "A-1", at("2026-01-06"))
    w.write(session)
    session.execute(
        update(WorkItem)
        .where(WorkItem.key == "B-1")
        .values(missing=True, missing_since=at("2026-01-08"), missing_reason="deleted")
    )
    session.commit()
    before = blocked(session, "2026-01-07")
    assert before["root_blockers"][0]["item"]["outside_train"] is False
    after = blocked(session, "2026-01-09")
    row = by_key(after)["A-1"]
    assert keys(row["blocked_by"]) == ["B-1"]
    root = after["root_blockers"][0]
    assert (root["item"]["key"], root["item"]["outside_train"], root["impact"]) == ("B-1", True, 1)


def test_as_of_hides_items_created_later_and_keeps_later_cleared_flags(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.flag("A-1", at("2026-01-06"), reason="first")
    w.unflag("A-1", at("2026-01-09"))
    w.item("N-1", at("2026-01-08"))
    w.flag("N-1", at("2026-01-08"), reason="new")
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert list(by_key(doc)) == ["A-1"]
    assert by_key(doc)["A-1"]["flag_reason"] == "first"
    assert doc["summary"] == {"blocked": 1, "by_team": {"Alpha": 1}}


def test_status_before_the_first_event_is_its_from_value(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"), status="Blocked")
    w.status("A-1", at("2026-01-07"), "In Progress")
    w.write(session)
    row = by_key(blocked(session, "2026-01-06"))["A-1"]
    assert row["item"]["status"] == "Blocked"
    assert row["item"]["status_category"] == "in_progress"
    assert (row["blocked_since"], row["blocked_days"]) == ("2026-01-05T09:00:00Z", 1.0)
    assert blocked(session, "2026-01-08")["blocked"] == []


def test_counts_per_team_and_iteration_add_up(session: Session) -> None:
    w = World()
    w.sprint("jira", "1", "PI 1", 1)
    w.sprint("jira", "2", "PI 1", 2)
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint="1")
    w.item("A-2", at("2026-01-05"), team="Alpha", sprint="2")
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="1")
    w.item("U-1", at("2026-01-05"), team=None)
    for key in ("A-1", "A-2", "B-1", "U-1"):
        w.flag(key, at("2026-01-06"), reason="r")
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert doc["summary"] == {
        "blocked": 4,
        "by_team": {"(unmapped)": 1, "Alpha": 2, "Beta": 1},
    }
    assert doc["per_iteration"] == {"(unplanned)": 1, "PI 1 · I1": 2, "PI 1 · I2": 1}
    assert sum(doc["summary"]["by_team"].values()) == len(doc["blocked"])
