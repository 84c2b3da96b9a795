"""``steps.both`` is ``combine([a, b], all)``, ties at one instant included."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from reports.state.steps import Steps, both, combine

W0 = datetime(2026, 8, 17, tzinfo=UTC)


def _random_steps(rnd: random.Random) -> Steps[bool]:
    """A boolean step function with a few changes on a coarse grid (so instants collide,
    within one part and across the two)."""
    at = W0
    steps: Steps[bool] = Steps(rnd.random() < 0.5)
    for _ in range(rnd.randint(0, 6)):
        at += timedelta(hours=rnd.choice((0, 0, 1, 2)))
        steps.changes.append((at, rnd.random() < 0.5))
    return steps


@pytest.mark.parametrize("seed", range(40))
def test_both_matches_combine(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(50):
        a, b = _random_steps(rnd), _random_steps(rnd)
        assert both(a, b) == combine([a, b], all)


def test_both_ties_keep_combines_order() -> None:
    """Two changes of one part at one instant: combine applies them sorted by value."""
    at = W0 + timedelta(hours=1)
    a: Steps[bool] = Steps(False, [(at, True), (at, False)])
    b: Steps[bool] = Steps(True)
    assert both(a, b) == combine([a, b], all) == Steps(False, [(at, True)])
