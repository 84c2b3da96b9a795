"""Blocked work, by hand-computed scenarios on SQLite and PostgreSQL (train "ART", UTC).

Blocked rules are the defaults (flagged, status "Blocked", label "blocked") unless a test says
otherwise. Every expected "blocked since" is read off the events the test writes.
"""

from __future__ import annotations

from typing import Any

from report_world import World, at, report
from sqlalchemy.orm import Session


def blocked(session: Session, when: str, hm: str = "09:00", **kw: Any) -> dict[str, Any]:
    return report(session, "blocked", at(when, hm), **kw)


def rows(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["item"]["key"]: b for b in doc["blocked"]}


def keys(refs: list[dict[str, str]]) -> list[str]:
    return [r["key"] for r in refs]


def test_flag_set_cleared_and_set_again(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.flag("A-1", at("2026-01-06"), reason="waiting on vendor")
    w.unflag("A-1", at("2026-01-08"))
    w.flag("A-1", at("2026-01-10"), reason="vendor again")
    w.write(session)

    assert blocked(session, "2026-01-06", "08:59")["blocked"] == []
    first = rows(blocked(session, "2026-01-07", "21:00"))["A-1"]
    assert first["reasons"] == ["flagged"]
    assert first["flag_reason"] == "waiting on vendor"
    assert (first["blocked_since"], first["blocked_days"]) == ("2026-01-06T09:00:00Z", 1.5)
    assert blocked(session, "2026-01-09")["blocked"] == []
    second = rows(blocked(session, "2026-01-11"))["A-1"]
    assert (second["blocked_since"], second["blocked_days"]) == ("2026-01-10T09:00:00Z", 1.0)
    assert second["flag_reason"] == "vendor again"


def test_flags_do_not_block_when_the_rule_is_off(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.flag("A-1", at("2026-01-06"))
    w.write(session)
    assert blocked(session, "2026-01-07", blocked_flagged=False)["blocked"] == []
    kinds = [f["kind"] for f in blocked(session, "2026-01-07")["hygiene"]]
    assert kinds == ["flag_without_reason"]


def test_status_in_and_out_of_blocked(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.status("A-1", at("2026-01-06"), "In Progress")
    w.status("A-1", at("2026-01-07"), "Blocked")
    w.status("A-1", at("2026-01-09"), "In Progress")
    w.write(session)
    assert blocked(session, "2026-01-06", "12:00")["blocked"] == []
    during = rows(blocked(session, "2026-01-08"))["A-1"]
    assert during["reasons"] == ["status"]
    assert during["item"]["status"] == "Blocked"
    assert during["blocked_since"] == "2026-01-07T09:00:00Z"
    assert blocked(session, "2026-01-10")["blocked"] == []
    # configured status names match whatever their case
    assert rows(blocked(session, "2026-01-08", blocked_statuses=("BLOCKED",)))["A-1"]


def test_blocked_label_added_and_removed(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"), labels=("frontend",))
    w.add_label("A-1", at("2026-01-06"), "Blocked")
    w.remove_label("A-1", at("2026-01-08"), "Blocked")
    w.write(session)
    assert rows(blocked(session, "2026-01-07"))["A-1"]["reasons"] == ["label"]
    assert blocked(session, "2026-01-09")["blocked"] == []
    assert blocked(session, "2026-01-07", blocked_labels=())["blocked"] == []


def test_episode_is_the_union_of_reasons(session: Session) -> None:
    w = World()
    w.item("A-1", at("2025-12-01"))
    w.item("B-1", at("2025-12-01"), team="Beta")
    w.flag("A-1", at("2025-12-02"), reason="r")
    w.link("B-1", "A-1", at("2025-12-03"))  # the dependency takes over before the flag goes
    w.unflag("A-1", at("2025-12-05"))
    w.write(session)
    doc = blocked(session, "2026-01-10")
    a = rows(doc)["A-1"]
    assert a["reasons"] == ["dependency"]
    assert a["flag_reason"] is None
    assert a["blocked_since"] == "2025-12-02T09:00:00Z"  # older than the first replay window
    assert a["blocked_days"] == 39.0
    assert keys(a["blocked_by"]) == ["B-1"]
    assert keys(a["root_blockers"]) == ["B-1"]


def test_a_gap_starts_a_new_episode(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-01"))
    w.flag("A-1", at("2026-01-02"), reason="r")
    w.unflag("A-1", at("2026-01-03"))
    w.status("A-1", at("2026-01-03", "10:00"), "Blocked")  # an hour without any reason
    w.write(session)
    assert rows(blocked(session, "2026-01-04"))["A-1"]["blocked_since"] == "2026-01-03T10:00:00Z"


def test_blocker_done_unblocks_and_done_items_are_never_blocked(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.item("C-1", at("2026-01-05"))
    w.link("B-1", "A-1", at("2026-01-06"))
    w.status("B-1", at("2026-01-08"), "Done")
    w.flag("C-1", at("2026-01-06"), reason="r")
    w.status("C-1", at("2026-01-07"), "Done")
    w.write(session)
    before = blocked(session, "2026-01-06", "12:00")
    assert sorted(rows(before)) == ["A-1", "C-1"]
    assert blocked(session, "2026-01-09")["blocked"] == []


def test_chains_root_blockers_and_impact(session: Session) -> None:
    w = World()
    for key, team in (("A-1", "Alpha"), ("B-1", "Beta"), ("C-1", "Gamma"), ("D-1", "Alpha")):
        w.item(key, at("2026-01-05"), team=team)
    w.link("C-1", "B-1", at("2026-01-06"))  # C blocks B
    w.link("B-1", "A-1", at("2026-01-07"))  # B blocks A
    w.link("C-1", "D-1", at("2026-01-08"))  # C blocks D
    w.flag("C-1", at("2026-01-06"), reason="vendor")  # C itself is stuck: still the root
    w.write(session)
    doc = blocked(session, "2026-01-10")
    by_key = rows(doc)
    assert list(by_key) == ["B-1", "C-1", "A-1", "D-1"]  # longest blocked first, then key
    assert keys(by_key["A-1"]["blocked_by"]) == ["B-1"]
    assert keys(by_key["A-1"]["root_blockers"]) == ["C-1"]
    assert keys(by_key["B-1"]["root_blockers"]) == ["C-1"]
    assert by_key["C-1"]["root_blockers"] == []
    assert [(r["item"]["key"], r["impact"]) for r in doc["root_blockers"]] == [("C-1", 3)]
    assert doc["summary"] == {"blocked": 4, "by_team": {"Alpha": 2, "Beta": 1, "Gamma": 1}}
    assert doc["cycles"] == []


def test_cycles_are_reported_once_and_never_looped(session: Session) -> None:
    w = World()
    for key in ("X-1", "Y-1", "Z-1", "W-1", "P-1", "Q-1", "R-1"):
        w.item(key, at("2026-01-05"))
    w.link("X-1", "Y-1", at("2026-01-06"))
    w.link("Y-1", "Z-1", at("2026-01-06"))
    w.link("Z-1", "X-1", at("2026-01-06"))
    w.link("X-1", "W-1", at("2026-01-06"))  # W waits on a cycle with no way out
    w.link("P-1", "Q-1", at("2026-01-06"))
    w.link("Q-1", "P-1", at("2026-01-06"))
    w.link("R-1", "Q-1", at("2026-01-06"))  # this cycle waits on R, which is not blocked
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert doc["cycles"] == [
        [{"source": "jira", "key": "P-1"}, {"source": "jira", "key": "Q-1"}],
        [
            {"source": "jira", "key": "X-1"},
            {"source": "jira", "key": "Z-1"},
            {"source": "jira", "key": "Y-1"},
        ],
    ]  # each waits on the next: X on Z, Z on Y, Y on X
    by_key = rows(doc)
    assert by_key["W-1"]["root_blockers"] == []
    assert by_key["X-1"]["root_blockers"] == []
    assert keys(by_key["P-1"]["root_blockers"]) == ["R-1"]
    assert keys(by_key["Q-1"]["root_blockers"]) == ["R-1"]
    assert [(r["item"]["key"], r["impact"]) for r in doc["root_blockers"]] == [("R-1", 2)]
    assert "R-1" not in by_key


def test_outside_blockers_and_unmapped_items(session: Session) -> None:
    w = World()
    w.sprint("jira", "1", "PI 1", 1)
    w.item("A-1", at("2026-01-05"), sprint="1")
    w.item("U-1", at("2026-01-05"), team=None)
    w.item("O-1", at("2026-01-05"), in_scope=False)
    ext = ("github", "other/repo#7", "https://github.com/other/repo/issues/7")
    w.link(ext, "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.link("O-1", "U-1", at("2026-01-06"))
    w.flag("O-1", at("2026-01-06"), reason="r")  # outside items are never listed
    w.write(session)
    doc = blocked(session, "2026-01-07")
    assert sorted(rows(doc)) == ["A-1", "U-1"]
    assert doc["summary"]["by_team"] == {"(unmapped)": 1, "Alpha": 1}
    assert doc["per_iteration"] == {"(unplanned)": 1, "PI 1 · I1": 1}
    roots = {r["item"]["key"]: r for r in doc["root_blockers"]}
    assert roots["other/repo#7"]["item"]["outside_train"] is True
    assert roots["other/repo#7"]["item"]["source"] == "github"
    assert roots["O-1"]["item"]["outside_train"] is True
    assert rows(doc)["U-1"]["item"]["team"] is None


def test_as_of_before_and_after_each_event(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    link = w.link("B-1", "A-1", at("2026-01-06"))
    w.unlink(link, at("2026-01-07"))
    w.relink(link, at("2026-01-08"))
    w.status("B-1", at("2026-01-09"), "Done")
    w.write(session)
    expected = {
        ("2026-01-06", "08:59"): None,
        ("2026-01-06", "09:00"): "2026-01-06T09:00:00Z",
        ("2026-01-07", "08:59"): "2026-01-06T09:00:00Z",
        ("2026-01-07", "09:00"): None,
        ("2026-01-08", "09:00"): "2026-01-08T09:00:00Z",
        ("2026-01-09", "08:59"): "2026-01-08T09:00:00Z",
        ("2026-01-09", "09:00"): None,
    }
    for (day, hm), since in expected.items():
        found = rows(blocked(session, day, hm)).get("A-1")
        assert (found["blocked_since"] if found else None) == since, (day, hm)
