"""PI predictability and objectives, by a hand-computed scenario on SQLite and PostgreSQL.

The features are the drift scenario's (``test_report_drift``); measured as of 2026-04-05, after
PI 1 ended (2026-03-30), so everything is read at PI 1's last instant. Objectives of PI 1:

* Alpha: O-1 committed, BV 8, actual 7, done (S1); O-2 committed, BV 5, not done, created in
  PI 0's IP iteration (2025-12-28: PI planning) with no sprint; O-3 uncommitted, BV 3, actual 4,
  done (S2). Planned 8 + 5 = 13, actual 7 + 4 = 11: 84.6 %, in the band.
* Beta: O-4 committed, BV 4, actual 6, done: 150.0 %, above. O-5 committed with BV 12 (out of
  range: ignored, two findings).
* Not PI 1's: O-6 created 2026-04-01 (PI 2), O-7 done but in S7 (PI 2).
* Train: planned 17, actual 17: 100.0 %, in the band.

Features planned at the baseline and done within PI 1: Alpha F-1, F-2 (done in S4, moved
later), F-8 of F-1, F-2, F-3, F-4, F-8, E-1: 3 of 6 = 50.0 %; Beta F-5 (deleted): 0 of 1;
train 3 of 7 = 42.9 %.
"""

from __future__ import annotations

from typing import Any

import pytest
from plan_world import PlanWorld, context
from report_world import at
from sqlalchemy.orm import Session
from test_report_drift import drift_world

from reports.objectives import objectives_layer
from reports.plan_render import render_plan, to_dict
from reports.predictability import predictability_report

AS_OF = at("2026-04-05", "12:00")


def predictability_world() -> PlanWorld:
    w = drift_world()
    w.objective("O-1", at("2026-01-05"), 8, 7, sprint="S1")
    w.status("O-1", at("2026-01-16"), "Done")
    w.objective("O-2", at("2025-12-28"), 5)
    w.objective("O-3", at("2026-01-05"), 3, 4, committed=False, sprint="S2")
    w.status("O-3", at("2026-01-28"), "Done")
    w.objective("O-4", at("2026-01-05"), 4, 6, team="Beta")
    w.status("O-4", at("2026-03-01"), "Done")
    w.objective("O-5", at("2026-01-05"), 12, team="Beta")
    w.objective("O-6", at("2026-04-01"), 9, 9)
    w.status("O-6", at("2026-04-02"), "Done")
    w.objective("O-7", at("2026-01-05"), 2, 2, sprint="S7")
    w.status("O-7", at("2026-04-01"), "Done")
    return w


@pytest.fixture
def world(session: Session) -> PlanWorld:
    w = predictability_world()
    w.write(session)
    return w


def doc_of(session: Session, as_of: Any = AS_OF) -> dict[str, Any]:
    return to_dict(predictability_report(session, context(as_of), "PI 1"))


def test_predictability_per_team_and_train(world: PlanWorld, session: Session) -> None:
    doc = doc_of(session)
    assert doc["report"] == "predictability"
    assert doc["measured_at"] == "2026-03-29T23:59:59.999999Z"
    assert doc["band"] == {"low": 80.0, "high": 100.0}
    rows = {(r["team"], r["train"]): r for r in doc["rows"]}
    assert list(rows) == [("Alpha", False), ("Beta", False), (None, True)]
    pick = ("committed", "uncommitted", "achieved", "planned_business_value",
            "actual_business_value", "predictability_percent", "band", "features_planned",
            "features_done", "features_done_percent")  # fmt: skip
    got = {k: tuple(r[p] for p in pick) for k, r in rows.items()}
    assert got == {
        ("Alpha", False): (2, 1, 2, 13.0, 11.0, 84.6, "target", 6, 3, 50.0),
        ("Beta", False): (2, 0, 1, 4.0, 6.0, 150.0, "above", 1, 0, 0.0),
        (None, True): (4, 1, 3, 17.0, 17.0, 100.0, "target", 7, 3, 42.9),
    }


def test_objectives_and_their_findings(world: PlanWorld, session: Session) -> None:
    doc = doc_of(session)
    keys = {t["team"]: [o["item"]["key"] for o in t["objectives"]] for t in doc["objectives"]}
    assert keys == {"Alpha": ["O-1", "O-2", "O-3"], "Beta": ["O-4", "O-5"]}
    assert sorted((f["kind"], f["items"][0]["key"]) for f in doc["hygiene"]) == [
        ("business_value_out_of_range", "O-5"),
        ("objective_without_business_value", "O-5"),
    ]


def test_below_the_band_while_the_pi_runs(world: PlanWorld, session: Session) -> None:
    """As of 2026-02-20: only O-1 and O-3 done; Alpha 11 of 13, Beta 0 of 4 (0.0 %, below)."""
    doc = doc_of(session, at("2026-02-20", "12:00"))
    rows = {(r["team"], r["train"]): r for r in doc["rows"]}
    assert rows[("Beta", False)]["predictability_percent"] == 0.0
    assert rows[("Beta", False)]["band"] == "below"
    assert rows[(None, True)]["predictability_percent"] == 64.7  # 11 / 17
    assert rows[("Alpha", False)]["features_done"] == 2  # F-1, F-8 (F-2 not yet)


def test_the_board_objectives_layer(world: PlanWorld, session: Session) -> None:
    layer = objectives_layer(session, context(AS_OF), "PI 1").to_dict()
    assert layer["pi"] == "PI 1"
    assert [t["team"] for t in layer["teams"]] == ["Alpha", "Beta"]
    first = layer["teams"][0]["objectives"][0]
    assert (first["item"]["key"], first["committed"], first["business_value"]) == ("O-1", True, 8)


def test_formats(world: PlanWorld, session: Session) -> None:
    report = predictability_report(session, context(AS_OF), "PI 1")
    assert render_plan(report, "csv").splitlines()[1].startswith("Alpha,false,2,1,2,13.0,11.0,84.6")
    md = render_plan(report, "md")
    assert "| **train** | 4 | 1 | 3 | 17.0 | 17.0 | 100.0 % | target |" in md
    assert 'class="above"' in render_plan(report, "html")
