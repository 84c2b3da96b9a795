"""PI drift against the baseline, by a hand-computed scenario on SQLite and PostgreSQL.

Calendar in ``plan_world``: PI 1 from 2026-01-05, iterations of 14 days (S1..S6 its sprints,
S6 the IP iteration), PI 2 from 2026-03-30 (S7 its first sprint). The default baseline is the
end of PI 1's first day: 2026-01-06 00:00 UTC. The report runs as of 2026-02-20 12:00.

At the baseline: F-1 S1, F-2 S2, F-3 S5, F-4 S3, F-5 S2 (Beta), F-8 S3, E-1 S6 (an epic); F-7
unplanned, F-6 not created yet, S-1 a story (never a feature).
Since: F-1 done (01-15); F-2 to S4 (01-20); F-3 to S7, the next PI (02-10); F-4 back to the
backlog (01-25); F-5 deleted (02-01); F-8 to S2 (01-12), done (01-30); F-7 into S2 (01-12);
F-6 created in S3 (01-10).
Dependencies: F-4 blocks E-1 (green at the baseline: S3 before S6; red now: F-4 unplanned);
F-2 blocks E-1 (green then and now: neither added nor reddened); F-6 blocks F-2 added 01-15
(green: S3 before S4); S-1 blocks S-2 (stories only: not a plan string).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from plan_world import PlanWorld, context
from report_world import at
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from model.tables import PI, Event, WorkItem
from reports.baseline import load_stored, stored_baselines
from reports.drift import drift_layer, drift_report
from reports.plan import default_baseline_at, find_pi, plan_at
from reports.plan_render import render_plan, to_dict
from reports.state import ReportError, load_train
from sync.commands.baseline import _rows
from sync.commands.report import parse_as_of

AS_OF = at("2026-02-20", "12:00")
BASELINE = at("2026-01-06", "00:00")


def drift_world() -> PlanWorld:
    w = PlanWorld()
    before = at("2026-01-02")
    w.feature("F-1", before, sprint="S1")
    w.status("F-1", at("2026-01-15"), "Done")
    w.feature("F-2", before, sprint="S2")
    w.move_sprint("F-2", at("2026-01-20"), "S4")
    w.status("F-2", at("2026-03-05"), "Done")
    w.feature("F-3", before, sprint="S5")
    w.move_sprint("F-3", at("2026-02-10"), "S7")
    w.feature("F-4", before, sprint="S3")
    w.move_sprint("F-4", at("2026-01-25"), None)
    w.feature("F-5", before, sprint="S2", team="Beta")
    w.gone["F-5"] = at("2026-02-01")
    w.feature("F-7", before)
    w.move_sprint("F-7", at("2026-01-12"), "S2")
    w.feature("F-8", before, sprint="S3")
    w.move_sprint("F-8", at("2026-01-12"), "S2")
    w.status("F-8", at("2026-01-30"), "Done")
    w.feature("E-1", before, sprint="S6", kind="epic")
    w.feature("F-6", at("2026-01-10"), sprint="S3")
    w.item("S-1", before, sprint="S1")
    w.item("S-2", before, sprint="S1")
    w.link("F-4", "E-1", at("2026-01-03"))
    w.link("F-2", "E-1", at("2026-01-03"))
    w.link("F-6", "F-2", at("2026-01-15"))
    w.link("S-1", "S-2", at("2026-01-15"))
    w.sync("jira", AS_OF - timedelta(minutes=5))
    w.sync("github", AS_OF - timedelta(minutes=5))
    return w


@pytest.fixture
def world(session: Session) -> PlanWorld:
    w = drift_world()
    w.write(session)
    return w


def drift(session: Session, baseline: str | None = None, **kw: Any) -> dict[str, Any]:
    return to_dict(drift_report(session, context(AS_OF), "PI 1", baseline, **kw))


def features(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        f["item"]["key"]: (f["baseline_iteration"].split(" · ")[1], f["change"],
                           f["iterations_moved"], f["done"], f["done_on_time"])
        for f in doc["features"]
    }  # fmt: skip


EXPECTED_FEATURES = {
    "F-1": ("I1", "as_planned", 0, True, True),
    "F-2": ("I2", "moved_later", 2, False, False),
    "F-3": ("I5", "carried_over", None, False, False),
    "F-4": ("I3", "removed", None, False, False),
    "F-5": ("I2", "left_train", None, False, False),
    "F-8": ("I3", "moved_earlier", -1, True, True),
    "E-1": ("IP", "as_planned", 0, False, False),
}
EXPECTED_SUMMARY = {
    "planned": 7, "as_planned": 2, "moved_later": 1, "moved_earlier": 1, "carried_over": 1,
    "removed": 1, "left_train": 1, "done": 2, "done_on_time": 2, "added": 2,
    "dependencies_added": 1, "turned_red": 1,
}  # fmt: skip


def test_the_default_baseline_is_the_end_of_the_first_day(
    world: PlanWorld, session: Session
) -> None:
    train = load_train(session, "ART")
    assert default_baseline_at(session, train, find_pi(train, "PI 1")) == BASELINE


def test_drift_from_the_reconstructed_baseline(world: PlanWorld, session: Session) -> None:
    doc = drift(session)
    assert doc["report"] == "drift"
    assert doc["pi"] == "PI 1"
    assert doc["baseline"] == {"name": None, "kind": "reconstructed", "at": "2026-01-06T00:00:00Z"}
    assert features(doc) == EXPECTED_FEATURES
    assert doc["summary"] == EXPECTED_SUMMARY
    carried = next(f for f in doc["features"] if f["item"]["key"] == "F-3")
    assert carried["item"]["iteration"] == "PI 2 · I1"
    assert [(a["item"]["key"], a["created_after_baseline"]) for a in doc["added"]] == [
        ("F-7", False),
        ("F-6", True),
    ]
    assert [
        (d["blocker"]["key"], d["blocked"]["key"], d["health"], d["created_at"])
        for d in doc["dependencies_added"]
    ] == [("F-6", "F-2", "green", "2026-01-15T09:00:00Z")]
    assert [
        (d["blocker"]["key"], d["blocked"]["key"], d["baseline_health"], d["health"])
        for d in doc["turned_red"]
    ] == [("F-4", "E-1", "green", "red")]


def test_a_baseline_given_as_a_time(world: PlanWorld, session: Session) -> None:
    """As of 01-13 12:00 F-8 is already in S2 and F-7 planned: both count as planned then."""
    doc = drift(session, "2026-01-13T12:00Z", parse_time=_parse)
    assert doc["baseline"]["kind"] == "reconstructed"
    assert doc["baseline"]["at"] == "2026-01-13T12:00:00Z"
    found = features(doc)
    assert found["F-8"] == ("I2", "as_planned", 0, True, True)
    assert found["F-7"] == ("I2", "as_planned", 0, False, False)
    assert "F-6" in found  # created 01-10 in S3
    assert doc["summary"]["added"] == 0
    assert [(d["blocker"]["key"], d["blocked"]["key"]) for d in doc["dependencies_added"]] == [
        ("F-6", "F-2")
    ]


def _parse(text: str) -> datetime | None:
    return parse_as_of(text, ZoneInfo("UTC"), "--baseline")


def test_a_stored_baseline_survives_deleted_history(world: PlanWorld, session: Session) -> None:
    """Frozen at the default instant, then F-5 is hard-deleted with its history: the stored
    baseline still shows it planned and now gone; a reconstructed one cannot."""
    plan = plan_at(session, context(AS_OF), "PI 1", BASELINE)
    train = load_train(session, "ART")
    pi_id = session.scalar(select(PI.id).where(PI.name == "PI 1"))
    assert pi_id is not None
    session.add(_rows(plan, pi_id, "planning", AS_OF))
    session.commit()
    gone = session.scalar(select(WorkItem.id).where(WorkItem.key == "F-5"))
    session.execute(delete(Event).where(Event.item_id == gone))
    session.execute(delete(WorkItem).where(WorkItem.id == gone))
    session.commit()

    [listed] = stored_baselines(session, train, "PI 1")
    assert (listed.name, listed.at, listed.features, listed.dependencies) == (
        "planning",
        BASELINE,
        7,
        2,
    )
    stored = load_stored(session, train, "PI 1", "planning")
    assert stored is not None
    assert stored.dependencies[next(iter(stored.dependencies))].health == "green"
    doc = drift(session, "planning")
    assert doc["baseline"] == {"name": "planning", "kind": "stored", "at": "2026-01-06T00:00:00Z"}
    assert features(doc) == EXPECTED_FEATURES
    assert doc["summary"] == EXPECTED_SUMMARY
    assert "F-5" not in features(drift(session))  # history lost: reconstruction cannot see it


def test_the_board_layer_is_the_report_without_header(world: PlanWorld, session: Session) -> None:
    layer = drift_layer(session, context(AS_OF), "PI 1")
    report = drift(session)
    assert layer.to_dict() == {k: report[k] for k in layer.to_dict()}


def test_every_format_renders_and_escapes(world: PlanWorld, session: Session) -> None:
    report = drift_report(session, context(AS_OF), "PI 1")
    csv_text = render_plan(report, "csv")
    assert csv_text.splitlines()[0].startswith("key,source,title,team,baseline_iteration")
    assert len(csv_text.splitlines()) == 1 + 7
    md = render_plan(report, "md")
    assert "Fri 20 Feb 12:00 UTC" in md  # times for people: train zone, to the minute
    row = "| F-2 Title of F-2 (Alpha, PI 1 · I4, To Do) | PI 1 · I2 | PI 1 · I4 | moved later | 2 |"
    assert row in md
    html = render_plan(report, "html")
    assert html.count('data-change="left_train"') == 1


def test_unknown_pi_and_future_baseline(world: PlanWorld, session: Session) -> None:
    with pytest.raises(ReportError, match="known PIs: PI 0, PI 1, PI 2"):
        drift_report(session, context(AS_OF), "PI 9")
    with pytest.raises(ReportError, match="has not come yet"):
        drift_report(session, context(at("2026-01-05", "12:00")), "PI 1")


class _Dom(HTMLParser):
    """The elements and attributes of an HTML document (parsed, not string-matched)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_tracker_text_is_inert(session: Session) -> None:
    w = drift_world()
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    w.feature("X-1", at("2026-01-02"), sprint="S1", title=hostile)
    w.urls["X-1"] = "javascript:alert(3)"
    w.write(session)
    html = render_plan(drift_report(session, context(AS_OF), "PI 1"), "html")
    dom = _Dom()
    dom.feed(html)
    assert "script" not in dom.tags
    assert "img" not in dom.tags
    assert not [h for h in dom.hrefs if not h.startswith("https://")]
    assert hostile in "".join(dom.text)  # shown as text
    md = render_plan(drift_report(session, context(AS_OF), "PI 1"), "md")
    assert "<script>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
