"""The answers the reports must give on the bundled train, worked out by hand from
``sync.demo.train`` and the definitions in the README (dependencies, health, blocked, root
blockers, stalled, drift, predictability). Items are named by their ``ref``; the demo maps refs
to tracker keys. "now" is the second sync; "week_ago" the first.
"""

from __future__ import annotations

# open blocks-links (every level), and their health on the board
OPEN_NOW = {
    ("pay.f2", "mob.f1"): "red",  # blocker in iteration 5, blocked in 4
    ("idn.f1", "chk.f2"): "red",  # the blocker slipped to iteration 4 during the week
    ("fr.f1", "pay.f3"): "green",
    ("dat.f1", "fr.f3"): "red",  # the blocker's sprint closed unfinished: unplanned
    ("plt.f3", "dat.f3"): "amber",  # neither end planned
    ("src.f2", "src.f3"): "green",  # inside one team
    ("sec.1", "pay.f2"): "red",  # outside the train, unplanned
    ("fr.f3", "chk.f1"): "green",  # added during the week
    ("idn.s1", "chk.s1"): "amber",  # same iteration
    ("plt.s1", "idn.s1"): "amber",
}
OPEN_WEEK_AGO = {
    **{k: v for k, v in OPEN_NOW.items() if k != ("fr.f3", "chk.f1")},
    ("idn.f1", "chk.f2"): "amber",
    ("plt.f1", "src.f1"): "green",
}
SAME_TEAM = {("src.f2", "src.f3")}
FEATURE_LEVEL = {k for k in OPEN_NOW if ".f" in k[1]}

BLOCKED_NOW = {
    # the blocked end of every open dependency
    "mob.f1", "chk.f2", "pay.f3", "fr.f3", "dat.f3", "src.f3", "pay.f2", "chk.f1",
    "chk.s1", "idn.s1",
    "chk.s2",  # flagged during the week
    "dat.s1",  # in the Blocked status
    "src.s1", "src.s2",  # the "blocked" label
}  # fmt: skip
NEWLY_BLOCKED = {"chk.f1", "chk.s2"}
NEWLY_UNBLOCKED = {"src.f1", "pay.s1"}

# root blocker → how many items it holds up, directly or not
ROOT_BLOCKERS_NOW = {
    "sec.1": 2,  # pay.f2, mob.f1
    "dat.f1": 2,  # fr.f3, chk.f1
    "plt.s1": 2,  # idn.s1, chk.s1
    "idn.f1": 1,
    "fr.f1": 1,
    "plt.f3": 1,
    "src.f2": 1,
}

STALLED_NOW = {"fr.f1", "dat.f1", "dat.s1", "fr.s1", "mob.s1", "plt.s2", "chk.s1"}
STALLED_WEEK_AGO = {"fr.f1", "dat.f1", "dat.s1", "mob.s1", "plt.s2"}
SHOULD_BE_UNBLOCKED = {"src.s2"}
UNMAPPED = {"shop.u1", "shop.u2"}
OUTSIDE = {"sec.1"}

# drift against the reconstructed baseline (the end of the PI's first day)
MOVED_LATER = {"chk.f1": 1, "idn.f1": 1}
ADDED_AFTER_BASELINE = {"src.f4"}
GREEN_THEN_RED = {("dat.f1", "fr.f3")}

# predictability: actual business value achieved ÷ planned value of committed objectives
PREDICTABILITY = {"Checkout": 7 / 8, "Payments": 8 / 8, "Mobile": 0.0, "Train": 15 / 64}

# the board (features; the backlog pair plt.f3 → dat.f3 never touched the PI: not on it)
BOARD_STRINGS = {k: v for k, v in OPEN_NOW.items() if k in FEATURE_LEVEL}
del BOARD_STRINGS[("plt.f3", "dat.f3")]
BOARD_CARDS = 23  # the 25 features less the two that were never in the PI

# the second digest: what changed during the week
DIGEST_NEW = {("fr.f3", "chk.f1")}
DIGEST_RESOLVED = {("plt.f1", "src.f1")}  # shown as it stands now: its blocker Done
DIGEST_TURNED_RED = {("idn.f1", "chk.f2")}
DIGEST_NEWLY_STALLED = STALLED_NOW - STALLED_WEEK_AGO
