"""The plain values every report returns: items as shown, references, the header, findings.

Reports compute these frozen dataclasses; renderers (``reports.render``) turn them into JSON,
CSV, Markdown or HTML. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

DAY_MICROSECONDS = Decimal(86_400_000_000)


def iso(at: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` (the JSON contract's time format)."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def days(span: timedelta) -> float:
    """A duration in days, one decimal, halves rounded up (2.25 → 2.3), never negative."""
    micro = Decimal(max(span, timedelta(0)) // timedelta(microseconds=1))
    return float((micro / DAY_MICROSECONDS).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def median_days(values: Sequence[timedelta]) -> float | None:
    """The median of sorted durations in days (mean of the two middle ones for an even count),
    None for none."""
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return days(values[middle])
    return days((values[middle - 1] + values[middle]) / 2)


@dataclass(frozen=True, slots=True, order=True)
class Ref:
    """REF: an item named by its source and key."""

    source: str
    key: str


@dataclass(frozen=True, slots=True)
class ItemView:
    """ITEM: an item as it stood at the report's ``as_of``.

    ``team`` None means unmapped (or unknown, for an item outside the train). An end of a link
    that is not a stored item has ``source`` = the link's tracker, an empty ``id`` and ``title``,
    status category "todo" (not done) and ``outside_train`` True.
    """

    source: str
    key: str
    id: str
    title: str
    url: str
    team: str | None
    status: str
    status_category: str
    iteration: str | None
    outside_train: bool

    @property
    def ref(self) -> Ref:
        return Ref(self.source, self.key)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """Sync health of one source as of the report's ``as_of``.

    ``items``: stored in-scope items that exist at ``as_of`` and are not missing;
    ``census_items``: what the last successful census counted (None: no census yet);
    ``quarantined``: records quarantined up to ``as_of``.
    """

    name: str
    kind: str
    last_success_at: datetime | None
    stale: bool
    items: int
    census_items: int | None
    quarantined: int


@dataclass(frozen=True, slots=True)
class Header:
    train: str
    generated_at: datetime
    as_of: datetime
    sources: tuple[SourceHealth, ...]
    timezone: str = "UTC"  # the train's: times for people are shown in it


@dataclass(frozen=True, slots=True)
class Finding:
    """One hygiene finding: what is wrong (``kind``), a sentence, and the items involved."""

    kind: str
    message: str
    refs: tuple[Ref, ...]
