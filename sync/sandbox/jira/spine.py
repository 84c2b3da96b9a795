"""The spine of the generated data: every issue's id, times and links, held compactly.

Built once from the seed, so 100,000 generated issues cost a few lists of ints; the issues
themselves are generated lazily from it (``generate``). Issues created through the explicit-data
API are appended to the same lists, so one index covers both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sync.sandbox.jira.data import DAY, HOUR, MINUTE, LinkRec

FIRST_ID = 10_001  # issue ids are FIRST_ID + index
FIRST_LINK = 10_000  # generated link ids; links made by mutations start at 50,001


@dataclass
class Spine:
    created: list[int] = field(default_factory=list)
    base: list[int] = field(default_factory=list)  # last change of the issue's own history
    updated: list[int] = field(default_factory=list)
    links: dict[int, LinkRec] = field(default_factory=dict)
    links_of: dict[int, list[int]] = field(default_factory=dict)


def build_spine(n: int, seed: int, anchor: int) -> Spine:
    """The seeded times of ``n`` issues spread over the year before ``anchor``, and their links."""
    rng = random.Random(seed)
    span = 355 * DAY
    start = anchor - 360 * DAY
    spine = Spine()
    for i in range(n):
        created = start + int(span * i / max(n, 1)) + rng.randrange(0, 3_600_000)
        created -= created % 1000
        life = rng.randrange(2 * DAY, 60 * DAY)
        updated = min(created + life, anchor - rng.randrange(MINUTE, DAY))
        updated = max(updated, created + 10 * MINUTE)
        spine.created.append(created)
        spine.base.append(updated - updated % 1000)
        spine.updated.append(updated - updated % 1000)
    lid = FIRST_LINK
    for i in range(n):
        if rng.random() >= 0.12 or n < 3:
            continue
        j = min(n - 1, max(0, i + rng.choice((-1, 1)) * rng.randrange(1, 40)))
        if j == i:
            continue
        roll = rng.random()
        ltype = "Blocks" if roll < 0.8 else "Relates" if roll < 0.9 else "Dependency"
        added = max(spine.created[i], spine.created[j]) + rng.randrange(HOUR, DAY)
        removed = added + rng.randrange(DAY, 10 * DAY) if rng.random() < 0.15 else None
        if (removed or added) >= anchor - MINUTE:
            continue
        rec = LinkRec(lid, ltype, FIRST_ID + i, FIRST_ID + j, added - added % 1000)
        if removed is not None:
            rec.removed = removed - removed % 1000
        spine.links[lid] = rec
        for end in (i, j):
            spine.links_of.setdefault(FIRST_ID + end, []).append(lid)
            spine.updated[end] = max(spine.updated[end], rec.removed or rec.added)
        lid += 1
    return spine
