"""Review of the dependency report and the JSON contract (SQLite and PostgreSQL).

Train "ART" in UTC. PI 1 starts Monday 2026-01-05 (5 x 14 days + IP: ends 2026-03-30), PI 2
follows. Jira sprints "1", "2", "3" are PI 1's I1..I3. Expectations are worked out by hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

from report_world import World, at, report
from sqlalchemy.orm import Session

from reports.dependencies import dependency_report
from reports.render import render
from reports.state import ReportContext

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
ITEM_KEYS = {
    "source": str,
    "key": str,
    "id": str,
    "title": str,
    "url": str,
    "team": (str, type(None)),
    "status": str,
    "status_category": str,
    "iteration": (str, type(None)),
    "outside_train": bool,
    "provisional": bool,
}
TWO_PIS = (("PI 1", date(2026, 1, 5), 5, 14, True), ("PI 2", date(2026, 3, 30), 5, 14, True))


def deps(session: Session, when: str, hm: str = "09:00", **kw: Any) -> dict[str, Any]:
    return report(session, "dependencies", at(when, hm), **kw)


def planned(**kw: Any) -> World:
    w = World(**kw)
    for sprint in ("1", "2", "3"):
        w.sprint("jira", sprint, "PI 1", int(sprint))
    return w


def check_item(item: dict[str, Any]) -> None:
    assert set(item) == set(ITEM_KEYS)
    for key, kind in ITEM_KEYS.items():
        assert isinstance(item[key], kind), (key, item[key])
    assert item["status_category"] in ("todo", "in_progress", "done")


def check_header(doc: dict[str, Any], name: str) -> None:
    assert doc["report"] == name
    assert isinstance(doc["train"], str)
    assert TIME.match(doc["generated_at"])
    assert TIME.match(doc["as_of"])
    for source in doc["sources"]:
        assert set(source) == {"name", "kind", "last_success_at", "stale", "items"}
        assert source["last_success_at"] is None or TIME.match(source["last_success_at"])
        assert isinstance(source["stale"], bool)
        assert isinstance(source["items"], int)


def contract_world() -> World:
    w = planned()
    w.item("A-1", at("2026-01-05"), team="Alpha", sprint="1")
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="2")
    w.item("C-1", at("2026-01-05"), team="Alpha")
    w.item("U-1", at("2026-01-05"), team=None)
    w.link("B-1", "A-1", at("2026-01-06"))
    w.link("C-1", "A-1", at("2026-01-06", "21:00"), origin="jira_remote_link")
    w.link("U-1", "B-1", at("2026-01-07"), origin="github_dependency", source="github")
    ext = ("github", "o/r#1", "https://github.com/o/r/issues/1")
    w.link(ext, "C-1", at("2026-01-08"), origin="text_reference", source="github")
    gone = w.link("C-1", "B-1", at("2026-01-06"))
    w.unlink(gone, at("2026-01-08", "12:00"))
    w.flag("A-1", at("2026-01-06"), reason="waiting")
    w.sync("jira", at("2026-01-09", "08:00"))
    return w


def test_dependency_json_contract_exact(session: Session) -> None:
    contract_world().write(session)
    doc = deps(session, "2026-01-09", include_resolved=True)
    check_header(doc, "dependencies")
    assert set(doc["summary"]) == {"open", "cross_team", "red", "amber", "green", "median_age_days"}
    assert all(type(doc["summary"][k]) is int for k in ("open", "cross_team", "red", "amber"))
    assert type(doc["summary"]["median_age_days"]) is float
    states = []
    for dep in doc["dependencies"]:
        assert set(dep) == {
            "state", "origin", "created_at", "resolved_at", "age_days", "cross_team", "health",
            "blocker", "blocked",
        }  # fmt: skip
        assert dep["state"] in ("open", "resolved")
        assert dep["origin"] in (
            "jira_link", "jira_remote_link", "github_dependency", "text_reference",
        )  # fmt: skip
        assert TIME.match(dep["created_at"])
        assert (dep["resolved_at"] is None) == (dep["state"] == "open")
        assert dep["resolved_at"] is None or TIME.match(dep["resolved_at"])
        assert type(dep["age_days"]) is float
        assert round(dep["age_days"], 1) == dep["age_days"]
        assert dep["health"] in ("red", "amber", "green")
        check_item(dep["blocker"])
        check_item(dep["blocked"])
        states.append(dep["state"])
    assert sorted(states) == ["open", "open", "open", "open", "resolved"]
    opened = [d for d in doc["dependencies"] if d["state"] == "open"]
    summary = doc["summary"]
    assert summary["open"] == len(opened)
    assert summary["cross_team"] == sum(d["cross_team"] for d in opened)
    for colour in ("red", "amber", "green"):
        assert summary[colour] == sum(d["health"] == colour for d in opened)
    assert sum(doc["buckets"].values()) == summary["open"]
    assert sum(c["open"] for c in doc["matrix"]) == summary["open"]
    # ages at 2026-01-09 09:00: 3.0, 2.5, 2.0, 1.0 -> median (2.5 + 2.0) / 2 = 2.25 -> 2.3
    assert sorted(d["age_days"] for d in opened) == [1.0, 2.0, 2.5, 3.0]
    assert summary["median_age_days"] == 2.3


def test_blocked_json_contract_exact(session: Session) -> None:
    contract_world().write(session)
    doc = report(session, "blocked", at("2026-01-09"))
    check_header(doc, "blocked")
    assert set(doc["summary"]) == {"blocked", "by_team"}
    assert doc["summary"]["blocked"] == len(doc["blocked"]) == 3  # A-1, B-1, C-1
    assert sum(doc["summary"]["by_team"].values()) == doc["summary"]["blocked"]
    for row in doc["blocked"]:
        assert set(row) == {
            "item", "reasons", "flag_reason", "blocked_since", "blocked_days", "blocked_by",
            "root_blockers",
        }  # fmt: skip
        check_item(row["item"])
        assert row["reasons"]
        assert set(row["reasons"]) <= {"flagged", "status", "label", "dependency"}
        assert row["flag_reason"] is None or isinstance(row["flag_reason"], str)
        assert TIME.match(row["blocked_since"])
        assert type(row["blocked_days"]) is float
        for ref in row["blocked_by"] + row["root_blockers"]:
            assert set(ref) == {"source", "key"}
    for root in doc["root_blockers"]:
        assert set(root) == {"item", "impact"}
        check_item(root["item"])
        assert type(root["impact"]) is int
    assert isinstance(doc["cycles"], list)
    flagged = next(b for b in doc["blocked"] if b["item"]["key"] == "A-1")
    assert (flagged["reasons"], flagged["flag_reason"]) == (["flagged", "dependency"], "waiting")


def test_csv_markdown_and_html_agree_with_json(session: Session) -> None:
    contract_world().write(session)
    ctx = ReportContext(
        train="ART", as_of=at("2026-01-09"), now=at("2026-01-09"), sources=("github", "jira")
    )
    built = dependency_report(session, ctx, include_resolved=True)
    doc = json.loads(render(built, "json"))
    rows = list(csv.DictReader(io.StringIO(render(built, "csv"))))
    assert len(rows) == len(doc["dependencies"])
    for row, dep in zip(rows, doc["dependencies"], strict=True):
        assert (row["blocker_key"], row["blocked_key"]) == (
            dep["blocker"]["key"],
            dep["blocked"]["key"],
        )
        assert float(row["age_days"]) == dep["age_days"]
        assert row["created_at"] == dep["created_at"]
        assert row["health"] == dep["health"]
    md, html = render(built, "md"), render(built, "html")
    for dep in doc["dependencies"]:
        line = f"| {dep['state']} | {dep['health']} | {dep['age_days']} |"
        assert line in md
        assert f"<td>{dep['state']}</td><td>{dep['health']}</td><td>{dep['age_days']}</td>" in html


def test_pair_with_one_link_removed_ages_from_the_present_link(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    old = w.link("B-1", "A-1", at("2026-01-05", "10:00"))
    w.link("B-1", "A-1", at("2026-01-07"), origin="text_reference", source="github")
    w.unlink(old, at("2026-01-06"))
    w.write(session)
    doc = deps(session, "2026-01-08", include_resolved=True)
    assert [(d["state"], d["origin"], d["created_at"]) for d in doc["dependencies"]] == [
        ("open", "text_reference", "2026-01-07T09:00:00Z")
    ]
    assert doc["summary"]["open"] == 1


def test_all_lists_only_what_resolved_in_the_current_pi(session: Session) -> None:
    w = World(pis=TWO_PIS)
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.item("C-1", at("2026-01-05"), team="Beta")
    early = w.link("B-1", "A-1", at("2026-01-06"))
    w.unlink(early, at("2026-03-20"))  # resolved in PI 1
    late = w.link("C-1", "A-1", at("2026-03-01"))
    w.unlink(late, at("2026-04-02"))  # open across the PI boundary, resolved in PI 2
    w.write(session)
    doc = deps(session, "2026-04-05", include_resolved=True)
    assert [(d["blocker"]["key"], d["state"], d["created_at"], d["resolved_at"], d["age_days"])
            for d in doc["dependencies"]] == [
        ("C-1", "resolved", "2026-03-01T09:00:00Z", "2026-04-02T09:00:00Z", 32.0)
    ]  # fmt: skip
    assert doc["summary"]["open"] == 0
    assert doc["summary"]["median_age_days"] == 0.0


def test_health_when_the_blocker_is_done_is_green_even_if_planned_later(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"), sprint="1")
    w.item("B-1", at("2026-01-05"), team="Beta", sprint="3")
    w.link("B-1", "A-1", at("2026-01-06"))
    w.status("B-1", at("2026-01-07"), "Done")
    w.write(session)
    doc = deps(session, "2026-01-08", include_resolved=True)
    assert [(d["state"], d["health"]) for d in doc["dependencies"]] == [("resolved", "green")]
    open_only = deps(session, "2026-01-06", "12:00")
    assert [(d["state"], d["health"]) for d in open_only["dependencies"]] == [("open", "red")]


def test_unstored_blocker_with_planned_need_is_red(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"), sprint="1")
    ext = ("github", "o/r#1", "https://github.com/o/r/issues/1")
    w.link(ext, "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.write(session)
    dep = deps(session, "2026-01-07")["dependencies"][0]
    assert (dep["health"], dep["cross_team"], dep["blocker"]["outside_train"]) == (
        "red",
        True,
        True,
    )


def test_as_of_before_an_item_existed_and_in_a_link_gap(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-07"), team="Beta")
    link = w.link("B-1", "A-1", at("2026-01-07", "10:00"))
    w.unlink(link, at("2026-01-08"))
    w.relink(link, at("2026-01-09"))
    w.write(session)
    assert deps(session, "2026-01-07", "09:30")["dependencies"] == []
    assert deps(session, "2026-01-08", "12:00")["dependencies"] == []
    gap = deps(session, "2026-01-08", "12:00", include_resolved=True)["dependencies"]
    assert [(d["state"], d["created_at"], d["resolved_at"]) for d in gap] == [
        ("resolved", "2026-01-07T10:00:00Z", "2026-01-08T09:00:00Z")
    ]
    back = deps(session, "2026-01-10")["dependencies"]
    assert [(d["state"], d["created_at"], d["age_days"]) for d in back] == [
        ("open", "2026-01-09T09:00:00Z", 1.0)
    ]


def test_staleness_is_strictly_beyond_three_intervals(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"))
    w.sync("jira", at("2026-01-08", "08:00"), census=3)  # finishes 08:02
    w.sync("jira", at("2026-01-08", "09:00"), mode="backfill", census=5)
    w.quarantine.append(("jira", "A-9", "bad", at("2026-01-08", "09:30")))
    w.write(session)

    def jira(when: str, hm: str, **kw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        doc = deps(session, when, hm, **kw)
        return (
            next(s for s in doc["sources"] if s["name"] == "jira"),
            next(s for s in doc["sync"] if s["source"] == "jira"),
        )

    assert jira("2026-01-08", "08:47")[0]["stale"] is False  # exactly 3 x 15 min
    assert jira("2026-01-08", "08:48")[0]["stale"] is True
    assert jira("2026-01-08", "09:55", sync_interval_minutes=60)[0]["stale"] is False
    source, sync = jira("2026-01-08", "09:20")
    assert source["last_success_at"] == "2026-01-08T08:02:00Z"  # a backfill is not a sync
    assert (sync["census_items"], sync["stored_items"], sync["quarantined"]) == (5, 1, 0)
    assert jira("2026-01-08", "09:30")[1]["quarantined"] == 1


def test_blocked_item_done_keeps_its_dependency_open(session: Session) -> None:
    """design.md: open while the link exists and the blocker is not done (the need's state
    does not close it); the blocked report does not list a done item."""
    w = planned()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.link("B-1", "A-1", at("2026-01-06"))
    w.status("A-1", at("2026-01-07"), "Done")
    w.write(session)
    assert [d["state"] for d in deps(session, "2026-01-08")["dependencies"]] == ["open"]
    assert report(session, "blocked", at("2026-01-08"))["blocked"] == []


def test_hygiene_findings_per_design(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"))
    w.item("A-2", at("2026-01-05"))
    w.item("D-1", at("2026-01-05"), team="Beta")
    w.item("U-1", at("2026-01-05"), team=None)
    w.item("X-1", at("2026-01-05"), in_scope=False)
    w.link("D-1", "A-1", at("2026-01-06"))
    w.link("D-1", "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.status("D-1", at("2026-01-07"), "Done")
    w.link("A-2", "A-1", at("2026-01-06"))
    w.link("X-1", "A-2", at("2026-01-06"))
    w.link("U-1", "A-2", at("2026-01-06"))
    w.flag("A-2", at("2026-01-06"))
    w.flag("X-1", at("2026-01-06"))  # outside the train: none of our business
    w.write(session)
    doc = deps(session, "2026-01-08")
    found = [(f["kind"], [r["key"] for r in f["items"]]) for f in doc["hygiene"]]
    assert found == [
        ("blocked_by_done", ["A-1", "D-1"]),  # two links, one pair: one finding
        ("blocker_outside_train", ["A-2", "X-1"]),
        ("unmapped_team", ["A-2", "U-1"]),
        ("flag_without_reason", ["A-2"]),
        ("same_team_dependency", ["A-1", "A-2"]),
    ]
    assert doc["summary"]["cross_team"] == 2  # the same-team pair is counted apart


def test_html_escapes_flag_reasons_and_keys(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.flag("A-1", at("2026-01-06"), reason='<img src=x onerror="alert(1)">')
    ext = ("github", "<b>o/r#1</b>", "javascript:alert(1)")
    w.link(ext, "A-1", at("2026-01-06"), origin="text_reference", source="github")
    w.write(session)
    from reports.blocked import blocked_report

    ctx = ReportContext(
        train="ART", as_of=at("2026-01-07"), now=at("2026-01-07"), sources=("github", "jira")
    )
    html = render(blocked_report(session, ctx), "html")
    assert "<img" not in html
    assert "<b>o/r" not in html
    assert "javascript:" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    md = render(blocked_report(session, ctx), "md")
    assert "<img" not in md
    assert "<b>" not in md


def test_bucket_agrees_with_the_age_shown(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2025-12-01"))
    w.item("B-1", at("2025-12-01"), team="Beta")
    w.link("B-1", "A-1", at("2026-01-10", "12:00") - timedelta(days=7, hours=23))
    w.write(session)
    doc = deps(session, "2026-01-10", "12:00")
    assert doc["dependencies"][0]["age_days"] == 8.0  # 7.96 days rounds to 8.0 ...
    assert doc["buckets"] == {"0-7": 0, "8-14": 1, "15-30": 0, ">30": 0}  # ... and is shown so


def test_quarantined_counts_each_record_once(session: Session) -> None:
    w = planned()
    w.item("A-1", at("2026-01-05"))
    for hm in ("08:00", "08:15", "08:30"):  # every run meets the same bad record again
        w.quarantine.append(("jira", "A-9", "no fields", at("2026-01-08", hm)))
    w.quarantine.append(("jira", "A-10", "no fields", at("2026-01-08", "08:30")))
    w.write(session)
    doc = deps(session, "2026-01-08", "09:00")
    assert next(s for s in doc["sync"] if s["source"] == "jira")["quarantined"] == 2
