"""Step functions: a value over a window ``[w0, T]`` and the operations reports replay with."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

V = TypeVar("V")
W = TypeVar("W")


@dataclass(slots=True)
class Steps(Generic[V]):
    """A value over a window ``[w0, T]``: ``initial`` just before w0, then ``changes`` in order.

    The value at instant x is the last change at or before x, else ``initial``.
    """

    initial: V
    changes: list[tuple[datetime, V]] = field(default_factory=list)

    def at(self, when: datetime) -> V:
        index = bisect.bisect_right([at for at, _ in self.changes], when)
        return self.changes[index - 1][1] if index else self.initial

    @property
    def final(self) -> V:
        return self.changes[-1][1] if self.changes else self.initial

    def map(self, fn: Callable[[V], W]) -> Steps[W]:
        if not self.changes:
            return Steps(fn(self.initial))
        return Steps(fn(self.initial), [(at, fn(value)) for at, value in self.changes])


def combine(parts: Sequence[Steps[Any]], fn: Callable[[list[Any]], V]) -> Steps[V]:
    """The step function ``fn(values of parts)``, changing only where its value changes."""
    values = [p.initial for p in parts]
    out: Steps[V] = Steps(fn(values))
    if not any(p.changes for p in parts):  # most parts hold still over a window
        return out
    merged = sorted((at, index, value) for index, p in enumerate(parts) for at, value in p.changes)
    i = 0
    while i < len(merged):
        at = merged[i][0]
        while i < len(merged) and merged[i][0] == at:
            values[merged[i][1]] = merged[i][2]
            i += 1
        now = fn(values)
        if now != out.final:
            out.changes.append((at, now))
    return out


def runs(steps: Steps[bool]) -> list[tuple[datetime | None, datetime | None]]:
    """The true runs as ``(start, end)``; start None = already true before w0, end None = at T."""
    found: list[tuple[datetime | None, datetime | None]] = []
    start: datetime | None = None
    on = steps.initial
    for at, value in steps.changes:
        if value and not on:
            start, on = at, True
        elif on and not value:
            found.append((start, at))
            on = False
    if on:
        found.append((start, None))
    return found


def steps_from_intervals(
    intervals: Sequence[tuple[datetime, datetime | None]], w0: datetime, t: datetime
) -> Steps[bool]:
    """Presence intervals ``[start, end)`` as a step function over ``[w0, t]``."""
    initial = any(s < w0 and (e is None or e >= w0) for s, e in intervals)
    points: list[tuple[datetime, bool]] = []
    for s, e in intervals:
        if w0 <= s <= t:
            points.append((s, True))
        if e is not None and w0 <= e <= t:
            points.append((e, False))
    points.sort(key=lambda p: (p[0], p[1]))
    out = Steps(initial)
    for at, value in points:
        if out.changes and out.changes[-1][0] == at:
            out.changes[-1] = (at, value)
        elif value != out.final:
            out.changes.append((at, value))
    return out
