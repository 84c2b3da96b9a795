"""The digest's content from the report objects: what changed between the previous digest
and now (hand-computed in ``train_world``), slices per team, lists cut at ``max_items``,
sync health sentences and the quiet rule. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy.orm import Session

from reports.digest import Digest, DigestSettings, SourceRun, compose, gather
from reports.state import ReportContext
from tests.digest.conftest import NOW, SINCE, train_world
from tests.reports.report_world import World, at

TZ = "Europe/Berlin"


def build(
    session: Session,
    world: World,
    *,
    since=SINCE,  # type: ignore[no-untyped-def]
    now=NOW,
    runs: dict[str, SourceRun] | None = None,
    **settings: object,
) -> Digest:
    world.write(session)
    ctx = ReportContext(train="ART", as_of=now, now=now, sources=("github", "jira"))
    facts = gather(session, ctx, since, TZ)
    return compose(facts, DigestSettings(**settings), runs or {})  # type: ignore[arg-type]


def pairs(deps: object) -> list[tuple[str, str]]:
    return [(d.blocker.key, d.blocked.key) for d in deps.shown]  # type: ignore[attr-defined]


def test_what_changed_since_the_previous_digest(session: Session) -> None:
    d = build(session, train_world())
    c = d.changes
    assert pairs(c.new_dependencies) == [("B-2", "C-2"), ("B-1", "A-4")]  # red first
    assert [x.health for x in c.new_dependencies.shown] == ["red", "amber"]
    assert pairs(c.resolved_dependencies) == [("C-1", "A-2")]
    assert pairs(c.aged) == [("B-1", "A-1"), ("C-3", "A-5")]  # 9.0 and 8.0 days then
    assert [x.age_days for x in c.aged.shown] == [16.0, 15.0]
    assert pairs(c.turned_red) == [("C-3", "A-5")]
    assert sorted(b.item.key for b in c.newly_blocked.shown) == ["A-4", "C-2"]
    assert sorted(i.key for i in c.unblocked.shown) == ["A-2", "A-3"]
    assert [(s.item.key, s.idle_days) for s in c.newly_stalled.shown] == [("A-6", 9.0)]
    assert c.any
    assert not d.quiet
    assert (d.open_dependencies, d.red_dependencies) == (4, 2)
    assert d.since == SINCE
    assert d.as_of == NOW


def test_oldest_blocked_roots_and_blocking_teams(session: Session) -> None:
    d = build(session, train_world())
    assert pairs(d.oldest_cross_team) == [
        ("B-1", "A-1"),
        ("C-3", "A-5"),
        ("B-2", "C-2"),
        ("B-1", "A-4"),
    ]
    assert dict(d.blocked_by_team) == {"Alpha": 3, "Gamma": 1}
    assert d.blocked_total == 4
    assert [(r.item.key, r.impact) for r in d.root_blockers.shown] == [
        ("B-1", 2), ("B-2", 1), ("C-3", 1),
    ]  # fmt: skip
    assert [b.sentence for b in d.blocking_teams] == [
        "Beta blocks 3 items in 2 teams",
        "Gamma blocks 1 item in 1 team",
    ]
    buckets = dict(d.age_buckets)
    assert dict(buckets["Beta"]) == {"0-7": 2, "8-14": 0, "15-30": 1, ">30": 0}
    assert dict(buckets["Gamma"]) == {"0-7": 0, "8-14": 0, "15-30": 1, ">30": 0}


def test_a_team_slice_holds_its_items_and_the_items_it_blocks(session: Session) -> None:
    d = build(session, train_world(), team="Gamma")
    # Gamma's own C-2 (blocked by Beta's B-2), A-5 that Gamma's C-3 blocks; not Beta → Alpha
    assert pairs(d.oldest_cross_team) == [("C-3", "A-5"), ("B-2", "C-2")]
    assert pairs(d.changes.resolved_dependencies) == [("C-1", "A-2")]
    assert sorted(i.key for i in d.changes.unblocked.shown) == ["A-2"]
    assert [b.sentence for b in d.blocking_teams] == ["Gamma blocks 1 item in 1 team"]
    assert dict(d.blocked_by_team) == {"Alpha": 1, "Gamma": 1}


def test_lists_are_cut_at_max_items_and_count_the_rest(session: Session) -> None:
    d = build(session, train_world(), max_items=1)
    assert d.oldest_cross_team.total == 4
    assert len(d.oldest_cross_team.shown) == 1
    assert d.oldest_cross_team.rest == 3
    assert d.changes.new_dependencies.rest == 1
    assert d.blocking_teams[0].dependencies.rest == 2


def test_quiet_when_nothing_changed_and_nothing_is_red(session: Session) -> None:
    w = World()
    w.item("A-1", at("2026-01-05"))
    w.item("B-1", at("2026-01-05"), team="Beta")
    w.link("B-1", "A-1", at("2026-01-06"))  # amber: neither planned
    w.sync("jira", at("2026-01-19", "07:50"))
    w.sync("github", at("2026-01-19", "07:50"))
    d = build(session, w)
    assert not d.changes.any
    assert d.red_dependencies == 0
    assert not d.sync_red
    assert d.quiet


def test_sync_health_says_what_a_problem_means_for_the_numbers(session: Session) -> None:
    w = train_world()
    w.runs = [r for r in w.runs if r.source == "jira"]
    w.sync("github", at("2026-01-18", "07:00"))  # a day old: stale (3 x 15 min)
    w.runs[0].census = 20  # jira's census counted more than the 12 stored items
    w.quarantine.append(("jira", "A-99", "no summary", at("2026-01-18")))
    runs = {"jira": SourceRun("jira", failing=True, last_error="Jira answered 503")}
    d = build(session, w, runs=runs)
    notes = {s.name: s for s in d.sources}
    assert notes["github"].stale
    assert not notes["github"].failing
    assert (
        "github is stale: its last successful sync was Sun 18 Jan 08:02 CET"
        in notes["github"].problems[0]
    )
    jira = notes["jira"].problems
    assert jira[0].startswith("The last sync of jira failed (Jira answered 503).")
    assert "after Mon 19 Jan 08:52 CET are missing" in jira[0]
    assert "counted 20 items but 12 are stored: the counts below may be short by up to 8" in jira[1]
    assert jira[2].startswith("1 record of jira quarantined as malformed: not counted")
    assert d.sync_red
    assert not d.quiet
