"""Flow per team and iteration, by a hand-computed scenario on SQLite and PostgreSQL.

Calendar (UTC): PI 0 from 2025-10-13 (I1..I5, then IP from 12-22), PI 1 from 2026-01-05:
I1 [01-05, 01-19), I2 [01-19, 02-02), I3 [02-02, 02-16). The report runs as of 2026-02-05
12:00 (I3 running) and as of 2026-01-16 12:00 (I1 running).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from report_world import World, at, report
from sqlalchemy.orm import Session

PIS = (("PI 0", date(2025, 10, 13), 5, 14, True), ("PI 1", date(2026, 1, 5), 5, 14, True))


def flow_world() -> World:
    w = World(pis=PIS)
    # Alpha's history: five done in each of PI 0 I3..I5, three in the IP (never in the mean)
    for n, start in enumerate(("2025-11-10", "2025-11-24", "2025-12-08", "2025-12-22")):
        for k in range(3 if start == "2025-12-22" else 5):
            key = w.item(f"OLD-{n}{k}", at(start) - timedelta(days=1))
            w.status(key, at(start) + timedelta(days=3), "Done")
    # PI 1 I1: L1 (5.0 days) and L2 (7.5 days) done
    w.item("L-1", at("2026-01-01"))
    w.status("L-1", at("2026-01-06"), "Done")
    w.item("L-2", at("2026-01-02"))
    w.status("L-2", at("2026-01-09", "21:00"), "Done")
    # R: done in I1, reopened, done again in I2: counts once, in I2 (10.0 days)
    w.item("R-1", at("2026-01-12"))
    w.status("R-1", at("2026-01-13"), "In Progress")
    w.status("R-1", at("2026-01-14"), "Done")
    w.status("R-1", at("2026-01-20"), "Reopened")
    w.status("R-1", at("2026-01-22"), "Done")
    # I2: M1 (1.0), M2 (2.0)
    w.item("M-1", at("2026-01-19"))
    w.status("M-1", at("2026-01-20"), "Done")
    w.item("M-2", at("2026-01-20"))
    w.status("M-2", at("2026-01-22"), "Done")
    # work in progress: W1 throughout, W2 until done in I3 (29.0 days)
    w.item("W-1", at("2026-01-05"))
    w.status("W-1", at("2026-01-06"), "In Progress")
    w.item("W-2", at("2026-01-05"))
    w.status("W-2", at("2026-01-10"), "In Progress")
    w.status("W-2", at("2026-02-03"), "Done")
    # F1 flagged for exactly two days in I1
    w.item("F-1", at("2026-01-05"))
    w.flag("F-1", at("2026-01-10"), reason="r")
    w.unflag("F-1", at("2026-01-12"))
    # Beta: B0 done in I1 (2.0); B1 in "Blocked" across the I1/I2 boundary, done in I2
    w.item("B-0", at("2026-01-06"), team="Beta")
    w.status("B-0", at("2026-01-08"), "Done")
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.status("B-1", at("2026-01-17", "00:00"), "Blocked")
    w.status("B-1", at("2026-01-20", "00:00"), "In Progress")
    w.status("B-1", at("2026-01-21", "00:00"), "Done")
    # an unmapped item in progress
    w.item("U-1", at("2026-01-05"), team=None)
    w.status("U-1", at("2026-01-06"), "In Progress")
    return w


def table(doc: dict[str, Any]) -> dict[tuple[str | None, str], dict[str, Any]]:
    return {(r["team"], r["iteration"].split(" · ")[1]): r for r in doc["flow"]}


def row(
    throughput: int,
    wip: int,
    median: float | None,
    p85: float | None,
    blocked: float,
    mean: float | None,
    drop: bool,
    complete: bool = True,
) -> dict[str, Any]:
    return {
        "complete": complete,
        "throughput": throughput,
        "wip": wip,
        "lead_time_median_days": median,
        "lead_time_p85_days": p85,
        "blocked_days": blocked,
        "trailing_mean": mean,
        "velocity_drop": drop,
    }


def figures(doc: dict[str, Any]) -> dict[tuple[str | None, str], dict[str, Any]]:
    keep = row(0, 0, None, None, 0.0, None, False).keys()
    return {k: {f: v[f] for f in keep} for k, v in table(doc).items()}


def test_flow_per_team_and_iteration(session: Session) -> None:
    flow_world().write(session)
    doc = report(session, "flow", at("2026-02-05", "12:00"))
    assert doc["summary"] == {"pi": "PI 1", "throughput": 8, "velocity_drops": 1}
    assert list(table(doc)) == [
        (team, it) for team in ("Alpha", "Beta", "Gamma", None) for it in ("I1", "I2", "I3")
    ]
    assert figures(doc) == {
        ("Alpha", "I1"): row(2, 2, 6.3, 7.5, 2.0, 5.0, True),
        ("Alpha", "I2"): row(3, 2, 2.0, 10.0, 0.0, 4.0, False),
        ("Alpha", "I3"): row(1, 1, 29.0, 29.0, 0.0, 3.3, False, complete=False),
        ("Beta", "I1"): row(1, 1, 2.0, 2.0, 2.0, 0.0, False),
        ("Beta", "I2"): row(1, 0, 15.6, 15.6, 1.0, 0.3, False),
        ("Beta", "I3"): row(0, 0, None, None, 0.0, 0.7, False, complete=False),
        ("Gamma", "I1"): row(0, 0, None, None, 0.0, 0.0, False),
        ("Gamma", "I2"): row(0, 0, None, None, 0.0, 0.0, False),
        ("Gamma", "I3"): row(0, 0, None, None, 0.0, 0.0, False, complete=False),
        (None, "I1"): row(0, 1, None, None, 0.0, 0.0, False),
        (None, "I2"): row(0, 1, None, None, 0.0, 0.0, False),
        (None, "I3"): row(0, 1, None, None, 0.0, 0.0, False, complete=False),
    }
    first = doc["flow"][0]
    assert (first["start"], first["end"]) == ("2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z")


def test_flow_as_of_inside_the_first_iteration(session: Session) -> None:
    flow_world().write(session)
    doc = report(session, "flow", at("2026-01-16", "12:00"))
    alpha = table(doc)[("Alpha", "I1")]
    # R-1 was done then (reopened later): it counts, with its 2.0 days
    assert (alpha["throughput"], alpha["wip"], alpha["complete"]) == (3, 2, False)
    assert (alpha["lead_time_median_days"], alpha["lead_time_p85_days"]) == (5.0, 7.5)
    assert alpha["velocity_drop"] is False  # a running iteration is never flagged
    assert alpha["blocked_days"] == 2.0
    assert [k[1] for k in table(doc) if k[0] == "Alpha"] == ["I1"]


def test_no_pi_contains_the_date(session: Session) -> None:
    flow_world().write(session)
    doc = report(session, "flow", at("2025-09-01"))
    assert doc["summary"] == {"pi": None, "throughput": 0, "velocity_drops": 0}
    assert doc["flow"] == []


def test_an_item_without_status_history_counts_by_resolved_at(session: Session) -> None:
    w = World(pis=PIS)
    w.item("D-1", at("2026-01-07"), status="Done")  # stored done, no history: resolved_at
    w.write(session)
    alpha = table(report(session, "flow", at("2026-01-20")))[("Alpha", "I1")]
    assert (alpha["throughput"], alpha["lead_time_median_days"]) == (1, 0.0)


def test_blocked_days_by_dependencies_with_changes_after_t(session: Session) -> None:
    """Blocked days from links, as of a T with blocker changes after it: X-1's blocker is a
    train item (its steps come from flow's status stream), Y-1's is stored but outside the
    train (read on its own)."""
    w = World(pis=PIS)
    w.item("X-1", at("2026-01-05", "00:00"))
    w.item("K-1", at("2026-01-05", "00:00"), team="Gamma")
    w.status("K-1", at("2026-01-09", "00:00"), "Done")
    w.status("K-1", at("2026-01-13", "00:00"), "In Progress")
    w.status("K-1", at("2026-01-22", "00:00"), "Done")  # after T
    w.link("K-1", "X-1", at("2026-01-07", "00:00"))
    w.item("Y-1", at("2026-01-05", "00:00"), team="Beta")
    w.item("O-1", at("2026-01-05", "00:00"), in_scope=False)
    w.status("O-1", at("2026-01-23", "00:00"), "Done")  # after T
    w.link("O-1", "Y-1", at("2026-01-20", "00:00"))
    w.write(session)
    doc = table(report(session, "flow", at("2026-01-21", "12:00")))
    # [01-07, 01-09) and [01-13, T]; Y-1: [01-20, T]
    assert doc[("Alpha", "I1")]["blocked_days"] == 8.0
    assert doc[("Alpha", "I2")]["blocked_days"] == 2.5
    assert doc[("Beta", "I2")]["blocked_days"] == 1.5
    assert doc[("Gamma", "I1")]["blocked_days"] == 0.0
