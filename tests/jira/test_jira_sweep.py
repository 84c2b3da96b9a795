"""The pieces of the Jira backfill (issue 10 §5) on their own: the bounded pool, the sweep pass's
position and pacing, and the settings that steer them (their effect end to end is in
``tests/e2e/test_jira_backfill_e2e.py``)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.errors import RetriesExhausted
from connectors.jira.hops import OneHop
from connectors.jira.pool import each
from connectors.jira.settings import BULK, SWEEP_KEY, JiraSettings
from connectors.jira.sweep import Pacer, SweepState, id_order, sweep_state
from sync.config import load
from sync.errors import ConfigError

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_each_keeps_the_order_asked_and_bounds_the_calls_in_flight() -> None:
    lock = threading.Lock()
    flight = {"now": 0, "peak": 0}

    def call(n: int) -> int:
        with lock:
            flight["now"] += 1
            flight["peak"] = max(flight["peak"], flight["now"])
        time.sleep(0.01 * (n % 3))  # answers come back out of order
        with lock:
            flight["now"] -= 1
        return n * n

    assert each(call, list(range(20)), workers=3) == [n * n for n in range(20)]
    assert flight["peak"] == 3


def test_each_raises_the_first_failure_and_starts_no_more_calls() -> None:
    started: list[int] = []

    def call(n: int) -> int:
        started.append(n)
        if n == 2:
            raise RetriesExhausted("gave up")
        time.sleep(0.02)
        return n

    with pytest.raises(RetriesExhausted, match="gave up"):
        each(call, list(range(40)), workers=2)
    assert len(started) < 40  # the rest were cancelled


def test_ids_sort_as_numbers() -> None:
    assert sorted(["10010", "9999", "100000", "10002"], key=id_order) == [
        "9999",
        "10002",
        "10010",
        "100000",
    ]


def test_a_pass_in_progress_goes_on_a_due_one_starts_otherwise_none() -> None:
    going = SweepState("10099", "2026-11-19T10:00:00+00:00")
    memo = {SWEEP_KEY: going.memo()}
    assert sweep_state(memo, due=False, now=NOW) == going
    assert sweep_state(memo, due=True, now=NOW) == going  # due again: finish this one first
    assert sweep_state({}, due=True, now=NOW) == SweepState("", NOW.isoformat())
    assert sweep_state({}, due=False, now=NOW) is None
    # an unreadable position starts the pass again (rereading remote links is harmless)
    assert sweep_state({SWEEP_KEY: "{oops"}, due=False, now=NOW) == SweepState("", NOW.isoformat())
    assert json.loads(going.memo()) == {"after": "10099", "started": going.started}


class Budget:
    """What the pacer reads of the API: the last rate-limit headers seen."""

    def __init__(self, remaining: int | None, near: bool = False) -> None:
        self.rate_limit_remaining = remaining
        self.near_limit = near


def test_the_pacer_caps_requests_per_run_and_keeps_the_reserve() -> None:
    capped = Pacer(Budget(4000), reserve=200, cap=150)  # type: ignore[arg-type]
    assert capped.room() == BULK
    capped.spent = 120
    assert capped.room() == 30
    capped.spent = 150
    assert capped.room() == 0
    assert Pacer(Budget(4000), reserve=200, cap=None).room() == BULK  # type: ignore[arg-type]
    assert Pacer(Budget(None), reserve=200, cap=None).room() == BULK  # type: ignore[arg-type]
    assert Pacer(Budget(199), reserve=200, cap=None).room() == 0  # type: ignore[arg-type]
    assert Pacer(Budget(4000, near=True), reserve=0, cap=None).room() == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("concurrency", 0, "concurrency: 0 is not between 1 and 16"),
        ("concurrency", 17, "concurrency: 17 is not between 1 and 16"),
        ("sweep_per_run", 0, "sweep_per_run: 0 is not a positive count"),
        ("rate_limit_reserve", -1, "rate_limit_reserve: -1 is negative"),
    ],
)
def test_bad_backfill_settings_are_one_clear_line(
    key: str, value: int, problem: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=problem):
        JiraSettings(
            url="https://acme.atlassian.net", token_env="T", projects=("CHK",), **{key: value}
        )
    path = tmp_path / "trainyard.toml"
    path.write_text(
        '[database]\nurl = "sqlite:///x.db"\n[train]\nname = "ART"\n'
        '[[sources]]\nname = "jira"\nkind = "jira"\nurl = "https://acme.atlassian.net"\n'
        f'token_env = "T"\nprojects = ["CHK"]\n{key} = {value}\n'
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert f"sources[0].{key}" in message
    assert "\n" not in message


def test_outside_issues_wait_for_a_full_bulk_read_and_the_walk_end_takes_the_rest() -> None:
    stored = {"9003": NOW}  # stored since it was first wanted (say, in scope on a later page)
    hops = OneHop(lambda ids: {i: stored[i] for i in ids if i in stored})
    hops.want(f"{9000 + n}" for n in range(60))
    assert list(hops.ready(flush=False)) == []  # 60 waiting: no request yet
    hops.want(f"{9000 + n}" for n in range(50, 160))  # overlapping: each id once
    first = list(hops.ready(flush=False))
    assert [len(c) for c in first] == [BULK]
    assert "9003" not in first[0]
    rest = list(hops.ready(flush=True))
    assert [len(c) for c in rest] == [159 - BULK]
    hops.want(["9000", "9159"])  # fetched this run: never again
    assert list(hops.ready(flush=True)) == []
    assert len(hops.fetched) == 159
