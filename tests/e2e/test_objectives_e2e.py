"""PI objectives end to end: GitHub labels through the real connector (loopback fake) into the
stored work items, updated as the labels change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.e2e.test_github_e2e as e2e


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[e2e.World]:
    config = e2e.CONFIG.replace(
        "text_references = true", 'text_references = true\nobjective_label = "pi-objective"'
    )
    monkeypatch.setattr(e2e, "CONFIG", config)
    w = e2e.build(tmp_path, monkeypatch)
    yield w
    w.fake.stop()
    w.db.dispose()


def test_labelled_issues_are_stored_as_objectives(world: e2e.World) -> None:
    world.sync()
    key = sorted(k for k, row in world.items().items() if row.in_scope)[0]
    for label in ("pi-objective", "bv:8", "bv-actual:6", "uncommitted"):
        world.fake.label(key, label)
    world.sync()
    rows = world.items()
    row = rows[key]
    assert (row.objective, row.business_value, row.actual_business_value, row.committed) == (
        True, 8.0, 6.0, False,
    )  # fmt: skip
    assert sum(1 for r in rows.values() if r.objective) == 1
    world.fake.unlabel(key, "uncommitted")
    world.sync()
    assert world.items()[key].committed is True
