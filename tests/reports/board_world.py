"""A PI 1 board with every kind of card, string and stub, shared by the board's DOM, JSON,
CLI and browser tests (and reusable for screenshots).

As of ``AS_OF`` (PI 1 · I4, 2026-02-20 12:00 UTC). Jira sprints S1..S6 are PI 1's iterations,
S7 is PI 2 · I1. Strings, blocker → blocked, with their hand-computed health and slack:

* F2 (Beta, I4) → F1 (Alpha, I3): red, solid, slack -1 (the provider is planned too late);
* F4 (Gamma, I2) → F3 (Beta, I2): amber, dashed, slack 0 (same iteration);
* F6 (Alpha, I1) → F5 (Gamma, I5): green, dotted, slack 4;
* F14 (Alpha, I1) → F15 (Alpha, I2): green, same team, slack 1;
* github ``acme/ext#9`` (not stored: a stub outside the train) → F7 (Alpha, I2): red;
* F8 (Alpha, unplanned, in progress: the "unplanned" column) → F9 (Beta, I3): red;
* F10 (Beta, PI 2 · I1: a stub, another PI) → F11 (Gamma, I2): red, slack -5;
* F13 (done) → F12 (Alpha, I1): not drawn (a done blocker ends the dependency);
* a hostile unstored end (``HOSTILE_KEY``, ``javascript:`` URL) → F16 (Gamma, I3): red;
* ST1 (a story, Alpha, I2) → F17 (unmapped, I2, flagged): amber; at feature level ST1 is a
  stub of another level.

F16's title is hostile markup; F18 (Beta) was carried over from I1 into I2 (Jira keeps both
sprints); F19 (Gamma, I6 = IP) is done and has no strings. F6 has been in progress since it was
created (45 days without activity: stalled); F8 started two days ago (not stalled). F12 is
still flagged though its only blocker F13 is done: "should be unblocked".
"""

from __future__ import annotations

from typing import Any

from plan_world import PlanWorld, context
from report_world import at
from sqlalchemy.orm import Session

from reports.board import board_dict, board_report, render_board
from reports.state import ReportContext

AS_OF = at("2026-02-20", "12:00")
HOSTILE_TITLE = (
    '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    "<b>bold</b> & \u202eevil"
)
HOSTILE_KEY = "</script><script>window.__pwned=3</script>"
# (blocker, blocked, health, slack) of every string drawn at feature level, by card key
STRINGS = {
    ("F2", "F1"): ("red", -1),
    ("F4", "F3"): ("amber", 0),
    ("F6", "F5"): ("green", 4),
    ("F14", "F15"): ("green", 1),
    ("acme/ext#9", "F7"): ("red", None),
    ("F8", "F9"): ("red", None),
    ("F10", "F11"): ("red", -5),
    (HOSTILE_KEY, "F16"): ("red", None),
    ("ST1", "F17"): ("amber", 0),
}
# card key -> (row, column); None = the "unplanned" column
CELLS = {
    "F1": ("Alpha", "PI 1 · I3"),
    "F2": ("Beta", "PI 1 · I4"),
    "F3": ("Beta", "PI 1 · I2"),
    "F4": ("Gamma", "PI 1 · I2"),
    "F5": ("Gamma", "PI 1 · I5"),
    "F6": ("Alpha", "PI 1 · I1"),
    "F7": ("Alpha", "PI 1 · I2"),
    "F8": ("Alpha", None),
    "F9": ("Beta", "PI 1 · I3"),
    "F11": ("Gamma", "PI 1 · I2"),
    "F12": ("Alpha", "PI 1 · I1"),
    "F13": ("Beta", "PI 1 · I1"),
    "F14": ("Alpha", "PI 1 · I1"),
    "F15": ("Alpha", "PI 1 · I2"),
    "F16": ("Gamma", "PI 1 · I3"),
    "F17": ("(unmapped)", "PI 1 · I2"),
    "F18": ("Beta", "PI 1 · I2"),
    "F19": ("Gamma", "PI 1 · IP"),
}


def board_world() -> PlanWorld:
    w = PlanWorld()
    day = at("2026-01-06")
    sprint = {n: f"S{n}" for n in range(1, 8)}

    def feature(key: str, team: str | None, n: int | None, **kw: Any) -> str:
        return w.feature(key, day, team=team, sprint=sprint[n] if n else None, **kw)

    feature("F1", "Alpha", 3)
    feature("F2", "Beta", 4)
    feature("F3", "Beta", 2)
    feature("F4", "Gamma", 2)
    feature("F5", "Gamma", 5)
    feature("F6", "Alpha", 1, status="In Progress")
    feature("F7", "Alpha", 2)
    feature("F8", "Alpha", None)
    feature("F9", "Beta", 3)
    feature("F10", "Beta", 7)
    feature("F11", "Gamma", 2)
    feature("F12", "Alpha", 1)
    feature("F13", "Beta", 1)
    feature("F14", "Alpha", 1)
    feature("F15", "Alpha", 2)
    feature("F16", "Gamma", 3, title=HOSTILE_TITLE)
    feature("F17", None, 2)
    feature("F18", "Beta", 1)
    feature("F19", "Gamma", 6)
    w.urls["F16"] = "javascript:alert(1)"
    w.item("ST1", day, team="Alpha", sprint="S2")
    w.item("ST2", day, team="Beta", sprint="S3")
    w.status("F13", at("2026-01-20"), "Done")
    w.status("F19", at("2026-02-01"), "Done")
    w.move_sprint("F18", at("2026-01-19"), "S1,S2")
    w.flag("F17", at("2026-02-02"), reason="waiting on <vendor>")
    w.flag("F12", at("2026-01-12"), reason="waiting on F13")
    w.status("F8", at("2026-02-18"), "In Progress")
    links = [
        ("F2", "F1"),
        ("F4", "F3"),
        ("F6", "F5"),
        ("F14", "F15"),
        (("github", "acme/ext#9", "https://github.com/acme/ext/issues/9"), "F7"),
        ("F8", "F9"),
        ("F10", "F11"),
        ("F13", "F12"),
        (("github", HOSTILE_KEY, "javascript:alert(3)"), "F16"),
        ("ST1", "F17"),
        ("ST1", "ST2"),
    ]
    for n, (blocker, blocked) in enumerate(links):
        w.link(blocker, blocked, at("2026-01-10") + n * (AS_OF - at("2026-02-19")))
    w.sync("jira", at("2026-02-20", "11:50"))
    w.sync("github", at("2026-02-19", "08:00"))  # stale at AS_OF: 3 intervals of 15 minutes
    return w


def ctx(as_of: Any = AS_OF) -> ReportContext:
    return context(as_of)


def write_board(session: Session) -> None:
    board_world().write(session)


def board_json(session: Session, *, level: str = "feature", as_of: Any = AS_OF) -> dict[str, Any]:
    return board_dict(board_report(session, ctx(as_of), "PI 1", level=level))


def board_html(session: Session, *, level: str = "feature", as_of: Any = AS_OF) -> str:
    return render_board(board_report(session, ctx(as_of), "PI 1", level=level), "html")
