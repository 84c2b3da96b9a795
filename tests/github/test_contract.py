"""The connector contract, checked on the GitHub connector against the loopback fake.

The same expectations the Jira connector meets: typed records only, aware UTC datetimes, string
ids, stable event keys across runs, cursors that only move forward, memo values as strings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors import base as rec
from connectors.github import GitHubConnector, GitHubSettings
from connectors.http import BudgetRetry
from tests.fakes.fake_github import TOKEN, FakeGitHub

RECORDS = {
    "items": rec.WorkItem,
    "links": rec.Link,
    "link_scopes": rec.LinkScope,
    "events": rec.Event,
    "sprints": rec.Sprint,
    "quarantined": rec.Quarantined,
    "moves": rec.Move,
    "gone": rec.Gone,
}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(repos=3, issues_per_repo=60) as server:
        yield server


def pages(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> list[rec.Page]:
    monkeypatch.setenv("CONTRACT_GH_TOKEN", TOKEN)
    settings = GitHubSettings(
        token_env="CONTRACT_GH_TOKEN",
        repos=tuple(fake.repos)[:2],
        base_url=fake.base_url,
        text_references=True,
    )
    retry = BudgetRetry.for_run(max_retries=2, max_wait=5.0, sleeper=lambda s: None)
    connector = GitHubConnector("github", settings, rec.Transport(retry, 5.0, 5.0))
    assert isinstance(connector, rec.Connector)

    def stored(ids: Sequence[str]) -> Mapping[str, datetime]:
        return {}

    now = datetime.now(UTC)
    request = rec.SyncRequest("incremental", now, None, None, {}, stored, True, True)
    return list(connector.pages(request))


def walk(value: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from walk(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from walk(v)
    else:
        yield value


def test_records_are_typed_with_aware_utc_times(
    fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = pages(fake, monkeypatch)
    assert result
    for page in result:
        assert isinstance(page, rec.Page)
        for name, cls in RECORDS.items():
            assert all(isinstance(r, cls) for r in getattr(page, name)), name
        for value in walk([getattr(page, n) for n in RECORDS]):
            assert not isinstance(value, dict), "no dict leaves a connector"
            if isinstance(value, datetime):
                assert value.utcoffset() is not None
                assert value.tzinfo is UTC
        for item in page.items:
            assert isinstance(item.tracker_id, str)
            assert item.tracker_id.isdigit()
        assert all(isinstance(v, str | None) for v in page.memo.values())


def test_event_keys_are_stable_and_unique_across_runs(
    fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [e.event_key for p in pages(fake, monkeypatch) for e in p.events]
    second = [e.event_key for p in pages(fake, monkeypatch) for e in p.events]
    assert first
    assert len(first) == len(set(first))
    assert first == second


def test_cursors_only_move_forward_and_census_completes(
    fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = pages(fake, monkeypatch)
    cursors = [p.cursor for p in result if p.cursor is not None]
    assert cursors == sorted(cursors)
    census = [p.census for p in result if p.census is not None]
    assert census[-1] is not None
    assert census[-1].complete
    assert not any(c.complete for c in census[:-1])
