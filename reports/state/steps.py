"""Step functions: a value over a window ``[w0, T]`` and the operations reports replay with."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
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
    """The step function ``fn(values of parts)``, changing only where its value changes.

    Changes at one instant all apply before ``fn`` is evaluated (in ``(at, part, value)``
    order); a single changing part, the common case, is walked without sorting."""
    values = [p.initial for p in parts]
    last = fn(values)
    out: Steps[V] = Steps(last)
    moving = [index for index, p in enumerate(parts) if p.changes]
    if not moving:  # most parts hold still over a window
        return out
    if len(moving) == 1:
        index = moving[0]
        changes = parts[index].changes
        if all(a[0] < b[0] for a, b in pairwise(changes)):  # no two at one instant
            for at, value in changes:
                values[index] = value
                now = fn(values)
                if now != last:
                    out.changes.append((at, now))
                    last = now
            return out
    merged = sorted((at, index, value) for index in moving for at, value in parts[index].changes)
    i = 0
    while i < len(merged):
        at = merged[i][0]
        while i < len(merged) and merged[i][0] == at:
            values[merged[i][1]] = merged[i][2]
            i += 1
        now = fn(values)
        if now != last:
            out.changes.append((at, now))
            last = now
    return out


def both(a: Steps[bool], b: Steps[bool]) -> Steps[bool]:
    """``combine([a, b], all)`` of two boolean step functions, by one merge of their changes
    (a link's presence and its blocker's not-done: thousands per report). As there, changes
    at one instant all apply first, and a part's several changes at one instant leave it at
    the largest of their values (``combine`` sorts them by value)."""
    va, vb = bool(a.initial), bool(b.initial)
    last = va and vb
    out: Steps[bool] = Steps(last)
    ac, bc = a.changes, b.changes
    i = j = 0
    while i < len(ac) or j < len(bc):
        if i < len(ac) and j < len(bc):
            at = min(ac[i][0], bc[j][0])
        else:
            at = ac[i][0] if i < len(ac) else bc[j][0]
        if i < len(ac) and ac[i][0] == at:
            va, i = _settle(ac, i, at)
        if j < len(bc) and bc[j][0] == at:
            vb, j = _settle(bc, j, at)
        now = va and vb
        if now != last:
            out.changes.append((at, now))
            last = now
    return out


def _settle(changes: list[tuple[datetime, bool]], i: int, at: datetime) -> tuple[bool, int]:
    """The value a part holds after its changes at ``at`` (from index i), and the next index."""
    value = bool(changes[i][1])
    i += 1
    while i < len(changes) and changes[i][0] == at:
        value = value or bool(changes[i][1])
        i += 1
    return value, i


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
    if len(intervals) == 1 and (intervals[0][1] is None or intervals[0][1] > intervals[0][0]):
        return _one_interval(intervals[0][0], intervals[0][1], w0, t)
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


def _one_interval(s: datetime, e: datetime | None, w0: datetime, t: datetime) -> Steps[bool]:
    """``steps_from_intervals`` of one non-empty interval (an item's life, most links)."""
    on = s < w0 and (e is None or e >= w0)
    out = Steps(on)
    if not on and w0 <= s <= t:
        out.changes.append((s, True))
        on = True
    if on and e is not None and w0 <= e <= t:
        out.changes.append((e, False))
    return out
