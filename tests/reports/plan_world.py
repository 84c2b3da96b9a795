"""The report world plus what PI plans need: item types, deleted items and PI objectives.

``PlanWorld`` stores the same history as ``report_world.World``; an item may also be given a
type (``feature``, ``epic``), be gone from a moment on (deleted or no longer visible: the
engine marks it missing, history kept), or be a PI objective with business values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from report_world import World
from sqlalchemy.orm import Session

from reports.state import ReportContext

# PI 0 (IP from 2025-12-22), PI 1 from 2026-01-05: I1 [01-05, 01-19), I2 [01-19, 02-02),
# I3 [02-02, 02-16), I4 [02-16, 03-02), I5 [03-02, 03-16), IP [03-16, 03-30); PI 2 from 03-30.
PIS = (
    ("PI 0", date(2025, 10, 13), 5, 14, True),
    ("PI 1", date(2026, 1, 5), 5, 14, True),
    ("PI 2", date(2026, 3, 30), 5, 14, True),
)


class PlanWorld(World):
    def __init__(self, **kw: Any) -> None:
        kw.setdefault("pis", PIS)
        super().__init__(**kw)
        self.types: dict[str, str] = {}
        self.gone: dict[str, datetime] = {}
        self.urls: dict[str, str] = {}  # a tracker URL other than the default (hostile ones)
        self.objectives: dict[str, tuple[float | None, float | None, bool]] = {}
        for seq in range(1, 7):  # jira sprints S1..S6 are PI 1's iterations, S7 is PI 2 · I1
            self.sprint("jira", f"S{seq}", "PI 1", seq)
        self.sprint("jira", "S7", "PI 2", 1)

    def feature(self, key: str, created: datetime, *, kind: str = "feature", **kw: Any) -> str:
        self.item(key, created, **kw)
        self.types[key] = kind
        return key

    def objective(
        self,
        key: str,
        created: datetime,
        planned: float | None,
        actual: float | None = None,
        *,
        committed: bool = True,
        **kw: Any,
    ) -> str:
        self.item(key, created, **kw)
        self.objectives[key] = (planned, actual, committed)
        return key

    def _item_rows(self, cut: datetime, *args: Any) -> Iterator[dict[str, Any]]:
        for row in super()._item_rows(cut, *args):
            key = row["key"]
            row["type"] = self.types.get(key, "story")
            row["url"] = self.urls.get(key, row["url"])
            gone = self.gone.get(key)
            if gone is not None and gone <= cut:
                row.update(missing=True, missing_since=gone, missing_reason="deleted")
            planned, actual, committed = self.objectives.get(key, (None, None, True))
            row.update(
                objective=key in self.objectives,
                business_value=planned,
                actual_business_value=actual,
                committed=committed,
            )
            yield row


def context(as_of: datetime, *, now: datetime | None = None) -> ReportContext:
    return ReportContext(train="ART", as_of=as_of, now=now or as_of, sources=("github", "jira"))


def write(world: World, session: Session) -> None:
    world.write(session)
