"""A dependency's health and slack from where its two ends are planned: the one rule.

``report dependencies``, the PI plan (baseline, drift) and the board all colour a string with
:func:`iteration_health` (through :func:`reports.pairs.health`), so they never disagree:

* the blocker is planned in a **later** iteration than the blocked item → red;
* the blocker is **not planned** (backlog) while the blocked item is → red;
* both in the **same** iteration → ``same_iteration`` (``[dependencies] same_iteration``:
  "amber" by default; "red" for trains that plan sequentially, "green" for concurrent ones);
* **neither** end planned → amber (no commitment either way: watch it);
* the blocker planned **earlier**, or planned while the blocked item is not → green;
* a **done** blocker resolves the dependency: it is no longer open (not drawn on the board;
  listed as resolved, green, by ``report dependencies --all``).

**Slack** = the blocked item's iteration index - the blocker's, counted over the train's
calendar (IP iterations included), negative for a conflict, None when either end is unplanned.
"""

from __future__ import annotations

from collections.abc import Sequence

from reports.state import IterationInfo

HEALTHS = ("red", "amber", "green")
SAME_ITERATION_DEFAULT = "amber"


def iteration_health(
    blocker: IterationInfo | None,
    blocked: IterationInfo | None,
    same_iteration: str = SAME_ITERATION_DEFAULT,
) -> str:
    """The health of an open dependency whose blocker and blocked item are planned so."""
    if blocked is None:
        return "green" if blocker is not None else "amber"
    if blocker is None or blocker.start > blocked.start:
        return "red"
    return same_iteration if blocker.start == blocked.start else "green"


def slack_iterations(
    blocker: IterationInfo | None,
    blocked: IterationInfo | None,
    calendar: Sequence[IterationInfo],
) -> int | None:
    """Iterations the blocker is planned before the blocked item (None: either unplanned)."""
    if blocker is None or blocked is None:
        return None
    index = {it.id: n for n, it in enumerate(calendar)}
    if blocker.id not in index or blocked.id not in index:
        return None
    return index[blocked.id] - index[blocker.id]
