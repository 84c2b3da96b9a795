"""One contract suite, run against every registered connector behind its loopback fake.

What the engine relies on, whatever the tracker: the class honours the Protocol and registers
under its kind; pages carry typed records only (no dict leaves a connector) with aware UTC
datetimes and string ids; event keys are unique and stable across runs; cursors only move
forward; a census ends with exactly one complete page; memo values are strings; a bad token is
one line without the secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors import base as rec
from connectors.errors import AuthError
from connectors.http import BudgetRetry
from sync.registry import installed

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
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

Harness = Callable[[pytest.MonkeyPatch, str], AbstractContextManager[rec.Connector]]


@contextmanager
def jira_harness(monkeypatch: pytest.MonkeyPatch, token: str) -> Iterator[rec.Connector]:
    from connectors.jira import JiraConnector, JiraSettings
    from sync.sandbox.jira import FakeJira

    fake = FakeJira(
        issues=60, clock=lambda: int(NOW.timestamp() * 1000), anchor=NOW - timedelta(days=2)
    ).start()
    try:
        monkeypatch.setenv("CONTRACT_USER", fake.email)
        monkeypatch.setenv("CONTRACT_TOKEN", token)
        settings = JiraSettings(
            url=fake.url,
            token_env="CONTRACT_TOKEN",
            user_env="CONTRACT_USER",
            projects=("CHK", "PAY"),
        )
        yield JiraConnector("jira", settings, transport())
    finally:
        fake.stop()


@contextmanager
def github_harness(monkeypatch: pytest.MonkeyPatch, token: str) -> Iterator[rec.Connector]:
    from connectors.github import GitHubConnector, GitHubSettings
    from sync.sandbox.github import FakeGitHub

    with FakeGitHub(repos=3, issues_per_repo=40) as fake:
        monkeypatch.setenv("CONTRACT_TOKEN", token)
        settings = GitHubSettings(
            token_env="CONTRACT_TOKEN",
            repos=tuple(fake.repos)[:2],
            base_url=fake.base_url,
            text_references=True,
        )
        yield GitHubConnector("github", settings, transport())


HARNESSES: dict[str, tuple[Harness, str]] = {}


def _tokens() -> None:
    from sync.sandbox import github as fake_github
    from sync.sandbox import jira as fake_jira

    HARNESSES["jira"] = (jira_harness, fake_jira.FakeJira().token)
    HARNESSES["github"] = (github_harness, fake_github.TOKEN)


_tokens()


def transport() -> rec.Transport:
    retry = BudgetRetry.for_run(max_retries=2, max_wait=5.0, sleeper=lambda s: None)
    return rec.Transport(retry=retry, timeout=5.0, max_wait=5.0)


def request(
    census: bool = True, pending: Callable[[int], Sequence[tuple[str, str]]] | None = None
) -> rec.SyncRequest:
    def nothing_stored(ids: Sequence[str]) -> Mapping[str, datetime]:
        return {}

    return rec.SyncRequest(
        mode="incremental",
        started_at=NOW,
        since=None,
        until=None,
        memo={},
        stored_updated=nothing_stored,
        census=census,
        full_sweep=True,
        history_pending=pending or (lambda limit: ()),
    )


@pytest.fixture(params=sorted(installed()))
def kind(request: pytest.FixtureRequest) -> str:
    if request.param not in HARNESSES:
        pytest.fail(f"connector kind {request.param!r} has no contract harness in {__file__}")
    return str(request.param)


def run(kind: str, monkeypatch: pytest.MonkeyPatch) -> list[rec.Page]:
    """One run, with the engine's side of deferred history: what a page defers is pending
    (by tracker id and key) until a later page says it was read."""
    harness, token = HARNESSES[kind]
    keys: dict[str, str] = {}
    pending: dict[str, str] = {}
    pages: list[rec.Page] = []
    with harness(monkeypatch, token) as connector:
        for page in connector.pages(request(pending=lambda limit: list(pending.items())[:limit])):
            pages.append(page)
            keys.update({i.tracker_id: i.key for i in page.items})
            pending.update({i: keys[i] for i in page.history_deferred})
            for i in page.history_read:
                pending.pop(i, None)
    assert not pending, "history a connector defers is read when asked for, in the same run"
    return pages


def walk(value: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from walk(getattr(value, f.name))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from walk(v)
    else:
        yield value


def test_registered_class_honours_the_protocol(kind: str) -> None:
    cls = installed()[kind]
    assert cls.kind == kind
    assert dataclasses.is_dataclass(cls.Settings)
    assert cls.Settings.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert callable(getattr(cls, "pages", None))
    assert callable(getattr(cls, "stats", None))


def test_pages_hold_typed_records_with_aware_utc_times(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = run(kind, monkeypatch)
    assert pages
    assert any(p.items for p in pages)
    for page in pages:
        assert isinstance(page, rec.Page)
        for name, cls in RECORDS.items():
            assert all(isinstance(r, cls) for r in getattr(page, name)), name
        for value in walk([getattr(page, n) for n in RECORDS]):
            assert not isinstance(value, dict), "no dict leaves a connector"
            if isinstance(value, datetime):
                assert value.tzinfo is UTC
        for item in page.items:
            assert isinstance(item.tracker_id, str)
            assert item.tracker_id
            assert item.key
            assert item.url.startswith("http")
        assert all(isinstance(k, str) and isinstance(v, str | None) for k, v in page.memo.items())


def test_event_keys_are_unique_and_stable_across_runs(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [e.event_key for p in run(kind, monkeypatch) for e in p.events]
    second = [e.event_key for p in run(kind, monkeypatch) for e in p.events]
    assert first, "the fake has history; the connector must yield events"
    assert len(first) == len(set(first))
    assert sorted(first) == sorted(second)


def test_cursors_move_forward_and_the_census_completes_once(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = run(kind, monkeypatch)
    cursors = [p.cursor for p in pages if p.cursor is not None]
    assert cursors == sorted(cursors)
    census = [p.census for p in pages if p.census is not None]
    assert census
    assert census[-1].complete
    assert not any(c.complete for c in census[:-1])  # type: ignore[union-attr]
    listed = {tid for c in census for tid in c.tracker_ids}  # type: ignore[union-attr]
    in_scope = {i.tracker_id for p in pages for i in p.items if i.in_scope}
    assert in_scope <= listed


def test_bad_token_is_one_line_without_the_secret(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, _ = HARNESSES[kind]
    wrong = "wrong-token-4f9a7c"
    with harness(monkeypatch, wrong) as connector, pytest.raises(AuthError) as failure:
        list(connector.pages(request()))
    message = str(failure.value)
    assert wrong not in message
    assert "\n" not in message
    assert message
