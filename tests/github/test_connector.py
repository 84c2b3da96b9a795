"""GitHub connector unit tests: realistic payloads via ``responses``, outgoing requests asserted.

Fixtures in ``fixtures/`` follow GHSpec shapes: an issues page with a pull request, a sub-issue
parent and a closed-as-not-planned issue; ``blocked_by`` with a cross-repo closed blocker; a
timeline whose ``blocked_by`` entries are issue *references* (number + repository, no id).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from connectors.base import Link, LinkScope, Page, SyncRequest, Transport
from connectors.errors import AuthError, RetriesExhausted, ScopeError
from connectors.github import GitHubConnector, GitHubSettings
from connectors.http import BudgetRetry
from sync.sandbox.github import TOKEN as FAKE_TOKEN
from sync.sandbox.github import FakeGitHub

API = "https://api.github.com:443"  # PyGithub names the port; responses matches literally
TOKEN = "ghp_unit_secret_0123456789"
FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make(
    sleeps: Sleeps | None = None, *, max_wait: float = 30.0, **settings: Any
) -> GitHubConnector:
    values: dict[str, Any] = {"token_env": "GITHUB_TOKEN", "repos": ("acme/web", "acme/api")}
    values.update(settings)
    sleeper = sleeps if sleeps is not None else Sleeps()
    retry = BudgetRetry.for_run(max_retries=2, max_wait=max_wait, sleeper=sleeper)
    return GitHubConnector("github", GitHubSettings(**values), Transport(retry, 5.0, max_wait))


def request(
    since: datetime | None = NOW - timedelta(days=3),
    *,
    stored: Mapping[str, datetime] | None = None,
    memo: Mapping[str, str] | None = None,
    census: bool = False,
    full_sweep: bool = False,
    pending: Sequence[tuple[str, str]] = (),
) -> SyncRequest:
    """A run's request; the dependency sweep ran a minute ago unless ``memo`` says otherwise."""

    def stored_updated(ids: Sequence[str]) -> Mapping[str, datetime]:
        return {i: stored[i] for i in ids if stored and i in stored}

    recent = (NOW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = {"sweep:last": recent, **(memo or {})}
    return SyncRequest(
        "incremental",
        NOW,
        since,
        None,
        state,
        stored_updated,
        census,
        full_sweep,
        history_pending=lambda limit: list(pending)[:limit],
    )


def params(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def calls(rsps: responses.RequestsMock, path: str) -> list[Any]:
    return [c for c in rsps.calls if urlsplit(c.request.url).path == path]


def register_web(rsps: responses.RequestsMock, page: list[Any] | None = None) -> None:
    """The issues page of acme/web, an empty acme/api, and the changed issues' relations."""
    rsps.get(f"{API}/repos/acme/web/issues", json=page or fixture("issues_page_web_with_pr.json"))
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(
        f"{API}/repos/acme/web/issues/11/dependencies/blocked_by",
        json=fixture("blocked_by_web_11_cross_repo_and_closed.json"),
        headers={"ETag": 'W/"blocked-by-11-v1"'},
    )
    rsps.get(
        f"{API}/repos/acme/web/issues/11/timeline",
        json=fixture("timeline_web_11_labels_dependencies_state.json"),
    )
    rsps.get(f"{API}/repos/acme/web/issues/10/sub_issues", json=fixture("sub_issues_web_10.json"))
    rsps.get(f"{API}/repos/acme/web/issues/10/timeline", json=[])
    rsps.get(f"{API}/repos/acme/web/issues/9/timeline", json=[])
    rsps.get(f"{API}/repos/acme/ops/issues/2", json=fixture("issue_ops_2_removed_blocker.json"))


def run(connector: GitHubConnector, req: SyncRequest) -> list[Page]:
    return list(connector.pages(req))


def links_of(pages: list[Page], origin: str) -> dict[str, Link]:
    return {ln.link_key: ln for p in pages for ln in p.links if ln.origin == origin}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the issues walk ---------------------------------------------------------------------------


def test_list_request_asks_for_all_states_sorted_by_update_since_in_utc(
    rsps: responses.RequestsMock,
) -> None:
    register_web(rsps)
    berlin = timezone(timedelta(hours=2))
    run(make(), request(since=datetime(2026, 10, 9, 10, 30, 5, tzinfo=berlin)))
    first = calls(rsps, "/repos/acme/web/issues")[0]
    assert params(first) == {
        "state": "all",
        "sort": "updated",
        "direction": "asc",
        "since": "2026-10-09T08:30:05Z",  # converted to UTC, not the Berlin wall time
        "per_page": "100",
        "page": "1",
    }
    assert first.request.headers["Authorization"] == f"token {TOKEN}"
    assert calls(rsps, "/repos/acme/api/issues"), "every configured repository is listed"


def test_issues_become_work_items_and_pull_requests_never_do(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(), request())
    items = {i.key: i for p in pages for i in p.items}
    assert "acme/web#12" not in items  # the pull request
    assert all(i.tracker_id != "3002" for i in items.values())
    story = items["acme/web#11"]
    assert (story.tracker_id, story.container, story.url) == (
        "3001",
        "acme/web",
        "https://github.com/acme/web/issues/11",
    )
    assert (story.status, story.status_category, story.assignee) == ("open", "in_progress", "alice")
    assert story.labels == ("bug", "blocked")
    assert story.type == "bug"
    assert story.sprint_id == "1002604"
    assert story.parent is not None
    assert story.parent.key == "acme/web#10"
    assert story.created_at == at("2026-10-01T08:00:00Z")
    assert story.updated_at.tzinfo is UTC
    dropped = items["acme/web#9"]
    assert (dropped.status, dropped.status_category) == ("closed", "done")  # not_planned is done
    assert dropped.resolved_at == at("2026-10-11T12:00:00Z")
    epic = items["acme/web#10"]
    assert (epic.type, epic.status_category, epic.in_scope) == ("feature", "todo", True)
    sprints = {s.tracker_id: s for p in pages for s in p.sprints}
    assert sprints["1002604"].name == "Sprint 26.4.2"
    assert sprints["1002604"].end == at("2026-10-30T07:00:00Z")
    assert max(p.cursor for p in pages if p.cursor) == at("2026-10-11T12:00:00Z")


def test_dependencies_are_read_only_where_the_summary_counts_blockers(
    rsps: responses.RequestsMock,
) -> None:
    register_web(rsps)
    pages = run(make(), request())
    blocked_by_calls = [c for c in rsps.calls if "/dependencies/blocked_by" in c.request.url]
    assert [urlsplit(c.request.url).path for c in blocked_by_calls] == [
        "/repos/acme/web/issues/11/dependencies/blocked_by"  # total_blocked_by 2; #10 and #9: 0
    ]
    deps = links_of(pages, "github_dependency")
    assert set(deps) == {"4004>3001", "7077>3001", "5002>3001"}
    api = deps["4004>3001"]
    assert (api.blocker.key, api.blocker.tracker_id, api.blocked.key) == (
        "acme/api#4",
        "4004",
        "acme/web#11",
    )
    scopes = {(s.tracker_id, s.origin, s.role) for p in pages for s in p.link_scopes}
    assert ("3001", "github_dependency", "blocked") in scopes
    assert ("3000", "github_dependency", "blocked") in scopes  # no blockers: stale links close
    outside = {i.key: i for p in pages for i in p.items if not i.in_scope}
    assert outside["other/lib#77"].status_category == "done"  # one hop out, a closed blocker
    assert "acme/api#4" not in outside  # in scope: it comes with its own repository
    memo = json.loads(pages[-1].memo["etag:blocked_by:3001"])
    assert memo["etag"] == 'W/"blocked-by-11-v1"'
    assert memo["blockers"] == {"acme/api#4": "4004", "other/lib#77": "7077"}


def test_timeline_gives_label_status_and_link_history(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(), request())
    events = {e.event_key: e for p in pages for e in p.events}
    assert events["tl:9003"].field == "label"
    assert events["tl:9003"].to_value == "blocked"
    assert events["tl:9009"].from_value == "blocked"
    assert events["tl:9009"].to_value is None
    closed, reopened = events["tl:9007"], events["tl:9008"]
    assert (closed.field, closed.from_value, closed.to_value, closed.detail) == (
        "status",
        "open",
        "closed",
        "completed",
    )
    assert (reopened.from_value, reopened.to_value) == ("closed", "open")
    added = events["tl:9002"]
    assert (added.field, added.to_value, added.link_key, added.link_origin) == (
        "link",
        "added",
        "4004>3001",
        "github_dependency",
    )
    deps = links_of(pages, "github_dependency")
    assert deps["4004>3001"].created_at == at("2026-10-02T09:00:00Z")
    assert deps["7077>3001"].created_at == at("2026-10-07T09:00:00Z")
    gone = deps["5002>3001"]  # removed before this sync: its id came from one GET of the blocker
    assert (gone.created_at, gone.removed_at) == (
        at("2026-10-04T09:00:00Z"),
        at("2026-10-06T09:00:00Z"),
    )
    assert events["tl:9005"].to_value == "removed"
    assert len(calls(rsps, "/repos/acme/ops/issues/2")) == 1


def test_sub_issues_are_fetched_where_the_summary_has_some(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(), request())
    assert [urlsplit(c.request.url).path for c in rsps.calls if "sub_issues" in c.request.url] == [
        "/repos/acme/web/issues/10/sub_issues"
    ]
    parents = links_of(pages, "github_sub_issue")
    assert set(parents) == {"acme/web#10>3001", "acme/web#10>7080"}
    assert all(ln.kind == "parent" and ln.blocker.key == "acme/web#10" for ln in parents.values())
    scopes = {(s.tracker_id, s.origin, s.role) for p in pages for s in p.link_scopes}
    assert ("3000", "github_sub_issue", "blocker") in scopes
    assert ("3001", "github_sub_issue", "blocked") in scopes


def test_unchanged_issues_cost_no_extra_requests(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    page = fixture("issues_page_web_with_pr.json")
    stored = {str(i["id"]): at(i["updated_at"]) for i in page}
    pages = run(make(), request(stored=stored))
    assert {urlsplit(c.request.url).path for c in rsps.calls} == {
        "/repos/acme/web/issues",
        "/repos/acme/api/issues",
    }
    assert len([i for p in pages for i in p.items]) == 3  # still upserted (idempotent)


def test_blocked_by_is_conditional_and_a_304_keeps_the_links(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    rsps.replace(
        responses.GET, f"{API}/repos/acme/web/issues/11/dependencies/blocked_by", status=304
    )
    memo = {
        "etag:blocked_by:3001": json.dumps(
            {
                "etag": 'W/"v0"',
                "key": "acme/web#11",
                "blockers": {"acme/api#4": "4004", "other/lib#77": "7077"},
            }
        )
    }
    connector = make()
    pages = run(connector, request(memo=memo))
    [dep_call] = calls(rsps, "/repos/acme/web/issues/11/dependencies/blocked_by")
    assert dep_call.request.headers["If-None-Match"] == 'W/"v0"'
    scopes = {(s.tracker_id, s.origin) for p in pages for s in p.link_scopes}
    assert ("3001", "github_dependency") not in scopes  # unchanged: nothing to reconcile
    assert connector.stats()["not_modified"] == 1
    assert connector.stats()["requests"] == len(rsps.calls)


def test_text_references_need_opting_in(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    assert not links_of(run(make(), request()), "text_reference")


def test_text_references_link_jira_keys_urls_and_github_issues(
    rsps: responses.RequestsMock,
) -> None:
    register_web(rsps)
    pages = run(make(text_references=True), request())
    refs = {
        ln.link_key: (ln.blocker.tracker, ln.blocker.key, ln.blocker.url)
        for ln in links_of(pages, "text_reference").values()
    }
    assert refs == {
        "jira:PAY-12>3001": ("jira", "PAY-12", None),
        "jira:PAY-14>3001": ("jira", "PAY-14", "https://acme.atlassian.net/browse/PAY-14"),
        "github:acme/api#4>2999": ("github", "acme/api#4", "https://github.com/acme/api/issues/4"),
        "github:acme/web#10>2999": (
            "github",
            "acme/web#10",
            "https://github.com/acme/web/issues/10",
        ),
        "github:other/lib#77>2999": (
            "github",
            "other/lib#77",
            "https://github.com/other/lib/issues/77",
        ),
    }
    scopes = {(s.tracker_id, s.origin) for p in pages for s in p.link_scopes}
    assert {("3001", "text_reference"), ("3000", "text_reference")} <= scopes


def test_reference_patterns_are_configurable(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(text_references=True, reference_patterns=(r"waits\s+for",)), request())
    assert not links_of(pages, "text_reference")  # neither body says "waits for"


def test_keyset_pages_resume_at_the_newest_update_and_skip_what_was_seen(
    rsps: responses.RequestsMock,
) -> None:
    template = fixture("issues_page_web_with_pr.json")[2]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    issues = []
    for n in range(101):
        raw = copy.deepcopy(template)
        raw.update(id=10_000 + n, number=100 + n, sub_issues_summary={"total": 0})
        raw["updated_at"] = (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        issues.append(raw)

    def listing(req: Any) -> tuple[int, dict[str, str], str]:
        since = parse_qs(urlsplit(req.url).query)["since"][0]
        rows = [i for i in issues if i["updated_at"] >= since][:100]
        return 200, {}, json.dumps(rows)

    rsps.add_callback(responses.GET, f"{API}/repos/acme/web/issues", callback=listing)
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    stored = {str(i["id"]): at(i["updated_at"]) for i in issues}
    pages = run(make(), request(since=start, stored=stored))
    web = calls(rsps, "/repos/acme/web/issues")
    assert [(params(c)["since"], params(c)["page"]) for c in web] == [
        ("2026-10-01T00:00:00Z", "1"),
        ("2026-10-01T01:38:59Z", "1"),  # newest of page one minus a second
    ]
    keys = [i.key for p in pages for i in p.items]
    assert len(keys) == 101 == len(set(keys))
    assert [p.cursor for p in pages] == [
        at("2026-10-01T01:39:00Z"),
        at("2026-10-01T01:40:00Z"),
    ]


def test_a_page_within_one_second_falls_back_to_offsets(rsps: responses.RequestsMock) -> None:
    template = fixture("issues_page_web_with_pr.json")[2]
    issues = []
    for n in range(150):
        raw = copy.deepcopy(template)
        raw.update(id=20_000 + n, number=200 + n, updated_at="2026-10-01T00:00:00Z")
        issues.append(raw)

    def listing(req: Any) -> tuple[int, dict[str, str], str]:
        page = int(parse_qs(urlsplit(req.url).query)["page"][0])
        return 200, {}, json.dumps(issues[(page - 1) * 100 : page * 100])

    rsps.add_callback(responses.GET, f"{API}/repos/acme/web/issues", callback=listing)
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    stored = {str(i["id"]): at(i["updated_at"]) for i in issues}
    since = datetime(2026, 10, 1, tzinfo=UTC)
    pages = run(make(), request(since=since, stored=stored))
    web = calls(rsps, "/repos/acme/web/issues")
    assert [params(c)["page"] for c in web] == ["1", "2"]
    assert len({i.tracker_id for p in pages for i in p.items}) == 150


def test_repositories_merge_by_update_so_every_cursor_holds_for_all(
    rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.github.walk.PER_PAGE", 2)  # the walk pages by it
    template = fixture("issues_page_web_with_pr.json")[2]

    def issue(repo: str, iid: int, minute: int) -> dict[str, Any]:
        raw = copy.deepcopy(template)
        raw.update(id=iid, number=iid, repository_url=f"{API}/repos/{repo}")
        raw["updated_at"] = f"2026-10-01T00:{minute:02d}:00Z"
        return raw

    web = [issue("acme/web", 1, 1), issue("acme/web", 2, 5), issue("acme/web", 3, 6)]
    api = [issue("acme/api", 4, 2), issue("acme/api", 5, 3)]

    def listing(rows: list[dict[str, Any]]) -> Any:
        def answer(req: Any) -> tuple[int, dict[str, str], str]:
            since = parse_qs(urlsplit(req.url).query)["since"][0]
            return 200, {}, json.dumps([r for r in rows if r["updated_at"] >= since][:2])

        return answer

    rsps.add_callback(responses.GET, f"{API}/repos/acme/web/issues", callback=listing(web))
    rsps.add_callback(responses.GET, f"{API}/repos/acme/api/issues", callback=listing(api))
    stored = {str(r["id"]): at(r["updated_at"]) for r in web + api}
    pages = run(make(), request(since=datetime(2026, 10, 1, tzinfo=UTC), stored=stored))
    order = [i.tracker_id for p in pages for i in p.items]
    assert order == ["1", "4", "5", "2", "3"]
    cursors = [p.cursor for p in pages]
    assert cursors == sorted(cursors)  # monotonic, and no repository lags behind one


def test_malformed_issue_is_quarantined_and_the_rest_stored(rsps: responses.RequestsMock) -> None:
    page = fixture("issues_page_web_with_pr.json")
    page[0]["updated_at"] = "yesterday"
    register_web(rsps, page)
    pages = run(make(), request())
    assert [(q.key, "created_at/updated_at" in q.reason) for p in pages for q in p.quarantined] == [
        ("acme/web#11", True)
    ]
    assert {i.key for p in pages for i in p.items if i.in_scope} == {"acme/web#10", "acme/web#9"}


def test_full_walk_with_census_marks_the_last_page_complete(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(), request(since=None, census=True))
    census = [p.census for p in pages if p.census is not None]
    assert census[-1] is not None
    assert census[-1].complete
    listed = {t for c in census for t in c.tracker_ids}
    assert listed == {"3001", "3000", "2999"}
    first = calls(rsps, "/repos/acme/web/issues")[0]
    assert "since" not in params(first)


def test_enterprise_server_base_url(rsps: responses.RequestsMock) -> None:
    base = "https://ghe.example.com/api/v3"
    rsps.get("https://ghe.example.com:443/api/v3/repos/acme/web/issues", json=[])
    rsps.get("https://ghe.example.com:443/api/v3/repos/acme/api/issues", json=[])
    assert run(make(base_url=base), request()) == []
    assert [urlsplit(c.request.url).path for c in rsps.calls] == [
        "/api/v3/repos/acme/web/issues",
        "/api/v3/repos/acme/api/issues",
    ]


# -- failures ----------------------------------------------------------------------------------


def test_rejected_token_is_one_line_without_the_token(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", status=401, json=fixture("bad_credentials_401.json"))
    with pytest.raises(AuthError) as err:
        run(make(), request())
    assert "401" in str(err.value)
    assert "GITHUB_TOKEN" in str(err.value)
    assert TOKEN not in str(err.value)
    assert "\n" not in str(err.value)


def test_unset_token_variable_is_an_auth_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    with pytest.raises(AuthError, match="GITHUB_TOKEN is empty or unset"):
        run(make(), request())


def test_unknown_repository_is_a_scope_error(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", status=404, json=fixture("repo_not_found_404.json"))
    with pytest.raises(ScopeError, match=r"repository acme/web was not found"):
        run(make(), request())


def test_secondary_limit_403_without_headers_is_waited_out_by_the_retry_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over real HTTP (``responses`` never calls a Retry's sleep): one retry layer waits."""
    with FakeGitHub(repos=1, issues_per_repo=3) as fake:
        monkeypatch.setenv("GITHUB_TOKEN", FAKE_TOKEN)
        fake.secondary_limit(path=r"/issues$", times=1)  # no Retry-After, budget left
        sleeps = Sleeps()
        connector = make(sleeps, max_wait=20.0, base_url=fake.base_url, repos=tuple(fake.repos))
        pages = run(connector, request(since=None, memo={"sweep:last": NOW.isoformat()}))
        assert sleeps == [20.0]  # GitHub asks for at least a minute: capped below the interval
        assert [r.status for r in fake.requests(r"/issues$")][:2] == [403, 200]
        assert sum(len(p.items) for p in pages) == len(list(fake.issues()))
        assert connector.stats()["throttled_seconds"] == 20.0


def test_429_is_retried_by_the_retry_layer_and_every_attempt_counted(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", status=429, headers={"Retry-After": "7"}, json={})
    rsps.get(f"{API}/repos/acme/web/issues", json=[])
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    connector = make()
    assert run(connector, request()) == []
    assert len(calls(rsps, "/repos/acme/web/issues")) == 2
    assert connector.stats()["requests"] == 3  # the retried attempt is counted too


def test_spent_budget_with_a_reset_beyond_the_cap_ends_the_run(
    rsps: responses.RequestsMock,
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 3600
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    rsps.get(f"{API}/repos/acme/web/issues", json=[], headers=spent)
    with pytest.raises(RetriesExhausted, match=r"rate limit spent until .* the 30s wait cap"):
        run(make(), request())
    assert not calls(rsps, "/repos/acme/api/issues")  # stopped before asking for more


def test_permission_403_is_an_auth_error_not_a_retry(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/repos/acme/web/issues",
        status=403,
        json={"message": "Resource not accessible by personal access token"},
    )
    with pytest.raises(AuthError, match=r"403"):
        run(make(), request())


def test_low_budget_spreads_the_remaining_requests_until_reset(
    rsps: responses.RequestsMock,
) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 100
    low = {"x-ratelimit-remaining": "50", "x-ratelimit-reset": str(reset)}
    rsps.get(f"{API}/repos/acme/web/issues", json=[], headers=low)
    rsps.get(f"{API}/repos/acme/api/issues", json=[], headers=low)
    sleeps = Sleeps()
    connector = make(sleeps, rate_limit_reserve=200)
    run(connector, request())
    assert len(sleeps) == 1
    assert 1.5 < sleeps[0] <= 2.1
    assert connector.stats()["rate_limit_remaining"] == 50


def test_reserve_zero_never_throttles(rsps: responses.RequestsMock) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 100
    low = {"x-ratelimit-remaining": "50", "x-ratelimit-reset": str(reset)}
    rsps.get(f"{API}/repos/acme/web/issues", json=[], headers=low)
    rsps.get(f"{API}/repos/acme/api/issues", json=[], headers=low)
    sleeps = Sleeps()
    run(make(sleeps, rate_limit_reserve=0), request())
    assert sleeps == []


# -- an issue that vanished between two calls -------------------------------------------------


def test_per_issue_403_marks_that_issue_missing_and_the_page_goes_on(
    rsps: responses.RequestsMock,
) -> None:
    register_web(rsps)
    hidden = {"message": "Resource not accessible by personal access token"}
    rsps.replace(
        responses.GET,
        f"{API}/repos/acme/web/issues/11/dependencies/blocked_by",
        status=403,
        json=hidden,
    )
    rsps.get(f"{API}/repos/acme/web/issues/11", status=403, json=hidden)
    pages = run(make(), request())
    gone = [(g.tracker_id, g.reason) for p in pages for g in p.gone]
    assert gone == [("3001", "not visible to the token (403)")]
    assert links_of(pages, "github_sub_issue")  # issue 10's sub-issues were still read
    assert {i.tracker_id for p in pages for i in p.items} >= {"3001"}  # history kept: stored


def test_sub_resource_404_of_an_issue_that_is_still_there_marks_nothing(
    rsps: responses.RequestsMock,
) -> None:
    register_web(rsps)
    page = fixture("issues_page_web_with_pr.json")
    issue_10 = next(i for i in page if i["number"] == 10)
    rsps.replace(responses.GET, f"{API}/repos/acme/web/issues/10/sub_issues", status=404, json={})
    rsps.get(f"{API}/repos/acme/web/issues/10", json=issue_10)
    pages = run(make(), request())
    assert [g for p in pages for g in p.gone] == []
    assert links_of(pages, "github_dependency")  # issue 11 read as usual
    assert calls(rsps, "/repos/acme/web/issues/10")  # asked the issue itself


# -- the dependency sweep ----------------------------------------------------------------------


def open_list_unchanged(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{API}/repos/acme/web/issues",
        status=304,
        match=[matchers.query_param_matcher({"state": "open"}, strict_match=False)],
    )


def sweep_memo(rows: list[list[int]], **extra: str) -> dict[str, str]:
    memo = {
        "sweep:last": (NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sweep:acme/web:1": json.dumps({"etag": 'W/"open-p1"', "n": len(rows), "open": rows}),
        "etag:blocked_by:3001": json.dumps(
            {
                "etag": 'W/"b-v1"',
                "key": "acme/web#11",
                "blockers": {"acme/api#4": "4004", "other/lib#77": "7077"},
            }
        ),
    }
    memo.update(extra)
    return memo


def test_sweep_rereads_dependencies_conditionally_and_closes_removed_ones(
    rsps: responses.RequestsMock,
) -> None:
    open_list_unchanged(rsps)
    rsps.get(f"{API}/repos/acme/web/issues", json=[])  # the since walk: nothing changed
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(
        f"{API}/repos/acme/web/issues/11/dependencies/blocked_by",
        json=fixture("blocked_by_web_11_cross_repo_and_closed.json")[:1],  # #77 was removed
        headers={"ETag": 'W/"b-v2"'},
    )
    rsps.get(f"{API}/repos/acme/web/issues/11/timeline", json=[])
    connector = make(dependency_sweep_minutes=60)
    pages = run(connector, request(memo=sweep_memo([[3001, 11, 2]])))
    open_walk = [c for c in calls(rsps, "/repos/acme/web/issues") if params(c)["state"] == "open"]
    assert [c.request.headers.get("If-None-Match") for c in open_walk] == ['W/"open-p1"']
    assert params(open_walk[0])["sort"] == "created"
    [dep] = calls(rsps, "/repos/acme/web/issues/11/dependencies/blocked_by")
    assert dep.request.headers["If-None-Match"] == 'W/"b-v1"'
    assert set(links_of(pages, "github_dependency")) == {"4004>3001"}
    assert LinkScope("3001", "github_dependency", "blocked") in pages[-1].link_scopes
    memo = {k: v for p in pages for k, v in p.memo.items()}
    assert json.loads(str(memo["etag:blocked_by:3001"]))["etag"] == 'W/"b-v2"'
    assert memo["sweep:last"] == "2026-10-12T08:00:00Z"


def test_sweep_304s_cost_no_links_and_are_counted(rsps: responses.RequestsMock) -> None:
    open_list_unchanged(rsps)
    rsps.get(f"{API}/repos/acme/web/issues", json=[])
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(f"{API}/repos/acme/web/issues/11/dependencies/blocked_by", status=304)
    connector = make()
    pages = run(connector, request(memo=sweep_memo([[3001, 11, 2]])))
    assert not links_of(pages, "github_dependency")
    assert not [s for p in pages for s in p.link_scopes]
    assert connector.stats()["not_modified"] == 2  # the open-list page and blocked_by


def test_sweep_waits_for_its_schedule(rsps: responses.RequestsMock) -> None:
    open_list_unchanged(rsps)
    rsps.get(f"{API}/repos/acme/web/issues/11/dependencies/blocked_by", status=304)
    rsps.get(f"{API}/repos/acme/web/issues", json=[])
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    memo = sweep_memo([[3001, 11, 2]])
    run(make(dependency_sweep_minutes=180), request(memo=memo))
    assert not [c for c in rsps.calls if "blocked_by" in c.request.url]
    open_list_unchanged(rsps)  # every sync walks the open list; this one is still unchanged
    run(make(dependency_sweep_minutes=180), request(memo=memo, full_sweep=True))
    assert [c for c in rsps.calls if "blocked_by" in c.request.url]


def test_sweep_records_transfers_and_deletions_of_vanished_open_issues(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", json=[])  # since walk, and the open list: empty
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(f"{API}/repos/acme/web/issues/11/dependencies/blocked_by", status=304)
    moved_to = "https://api.github.com/repositories/1296269/issues/31"
    rsps.get(f"{API}/repos/acme/web/issues/11", status=301, headers={"Location": moved_to})
    rsps.get(
        f"{API}/repositories/1296269/issues/31",
        json=fixture("issue_web_11_after_transfer_to_api_31.json"),
    )
    rsps.get(f"{API}/repos/acme/web/issues/13", status=410, json=fixture("issue_deleted_410.json"))
    memo = sweep_memo([[3001, 11, 0], [3003, 13, 0]])
    pages = run(make(), request(memo=memo))
    moves = [m for p in pages for m in p.moves]
    gone = [g for p in pages for g in p.gone]
    assert [(m.tracker_id, m.new_key, m.new_url) for m in moves] == [
        ("3001", "acme/api#31", "https://github.com/acme/api/issues/31")
    ]
    assert [(g.tracker_id, g.reason) for g in gone] == [("3003", "deleted (410)")]
    memo_out = {k: v for p in pages for k, v in p.memo.items()}
    assert memo_out["etag:blocked_by:3001"] is None  # no longer swept here


def test_settings_reject_a_bad_reference_pattern() -> None:
    with pytest.raises(ValueError, match=r"^reference_patterns: '\(' is not a regular expression"):
        GitHubSettings(token_env="T", repos=("acme/web",), reference_patterns=("(",))


# -- between sweeps: the open lists' summaries -------------------------------------------------


def test_moved_summaries_are_reread_between_sweeps_and_nothing_else(
    rsps: responses.RequestsMock,
) -> None:
    """No sweep due; the open list changed: #10 gained sub-issues, #11 blocks an issue outside
    the scope now; #11's blocked_by count stayed, so its blockers are not read again."""
    page = fixture("issues_page_web_with_pr.json")
    open_now = [i for i in page if i["state"] == "open"]
    issue_11 = next(i for i in open_now if i["number"] == 11)
    issue_11["issue_dependencies_summary"]["total_blocking"] = 1
    rsps.get(  # the since walk: nothing changed
        f"{API}/repos/acme/web/issues",
        json=[],
        match=[matchers.query_param_matcher({"state": "all"}, strict_match=False)],
    )
    rsps.get(
        f"{API}/repos/acme/web/issues",
        json=open_now,
        headers={"ETag": 'W/"open-p1-v2"'},
        match=[matchers.query_param_matcher({"state": "open"}, strict_match=False)],
    )
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(f"{API}/repos/acme/web/issues/10/sub_issues", json=fixture("sub_issues_web_10.json"))
    outside = fixture("issue_ops_2_removed_blocker.json")
    rsps.get(f"{API}/repos/acme/web/issues/11/dependencies/blocking", json=[outside])
    rows = [[3001, 11, 2, 0, 0], [3000, 10, 0, 0, 0]]
    memo = {
        "sweep:last": (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sweep:acme/web:1": json.dumps({"etag": 'W/"open-p1"', "n": 2, "open": rows}),
    }
    pages = run(make(dependency_sweep_minutes=60), request(memo=memo))
    asked = [urlsplit(c.request.url).path for c in rsps.calls]
    assert asked == [
        "/repos/acme/web/issues",
        "/repos/acme/api/issues",
        "/repos/acme/web/issues",
        "/repos/acme/web/issues/11/dependencies/blocking",
        "/repos/acme/web/issues/10/sub_issues",
    ]
    assert {ln.blocked.tracker_id for ln in links_of(pages, "github_sub_issue").values()} == {
        str(c["id"]) for c in fixture("sub_issues_web_10.json")
    }
    [blocks] = links_of(pages, "github_dependency").values()
    assert (blocks.blocker.tracker_id, blocks.blocked.key) == ("3001", "acme/ops#2")
    stored = json.loads(pages[-1].memo["sweep:acme/web:1"])
    assert stored["etag"] == 'W/"open-p1-v2"'
    assert [3000, 10, 0, 0, 2] in stored["open"]
    assert "sweep:last" not in pages[-1].memo  # the full sweep is still an hour away


# -- current state first: deferred timelines --------------------------------------------------


def test_first_load_defers_every_timeline_and_says_so(rsps: responses.RequestsMock) -> None:
    register_web(rsps)
    pages = run(make(), request(since=None))
    assert not [c for c in rsps.calls if c.request.url.split("?")[0].endswith("/timeline")]
    assert [i for p in pages for i in p.history_deferred] == ["3001", "3000", "2999"]
    assert links_of(pages, "github_dependency")  # the relations the summaries name: read


def test_history_pass_reads_pending_timelines_and_marks_them_read(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", json=[])
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    rsps.get(
        f"{API}/repos/acme/web/issues/11/timeline",
        json=fixture("timeline_web_11_labels_dependencies_state.json"),
    )
    rsps.get(f"{API}/repos/acme/web/issues/10/timeline", json=[])
    rsps.get(f"{API}/repos/acme/ops/issues/2", json=fixture("issue_ops_2_removed_blocker.json"))
    memo = {
        "etag:blocked_by:3001": json.dumps(
            {
                "etag": 'W/"b"',
                "key": "acme/web#11",
                "blockers": {"acme/api#4": "4004", "other/lib#77": "7077"},
            }
        )
    }
    pending = [("3001", "acme/web#11"), ("3000", "acme/web#10")]
    pages = run(make(history_per_sync=5), request(memo=memo, pending=pending))
    assert [i for p in pages for i in p.history_read] == ["3001", "3000"]
    assert {e.field for p in pages for e in p.events} >= {"label", "status", "link"}
    dated = links_of(pages, "github_dependency")["4004>3001"]  # the first pass left it undated
    assert dated.created_at is not None


def test_history_pass_stops_at_the_reserve_and_never_waits(rsps: responses.RequestsMock) -> None:
    reset = int(datetime.now(UTC).timestamp()) + 600
    at_reserve = {"x-ratelimit-remaining": "200", "x-ratelimit-reset": str(reset)}
    rsps.get(f"{API}/repos/acme/web/issues", json=[], headers=at_reserve)
    rsps.get(f"{API}/repos/acme/api/issues", json=[], headers=at_reserve)
    sleeps = Sleeps()
    pages = run(make(sleeps, rate_limit_reserve=200), request(pending=[("3001", "acme/web#11")]))
    assert pages == []  # nothing read: the next run resumes it
    assert sleeps == []
    assert not [c for c in rsps.calls if "/timeline" in c.request.url]


def test_history_per_sync_zero_reads_none_and_negative_is_rejected(
    rsps: responses.RequestsMock,
) -> None:
    rsps.get(f"{API}/repos/acme/web/issues", json=[])
    rsps.get(f"{API}/repos/acme/api/issues", json=[])
    assert run(make(history_per_sync=0), request(pending=[("3001", "acme/web#11")])) == []
    with pytest.raises(ValueError, match=r"^history_per_sync: -1 is negative"):
        GitHubSettings(token_env="T", repos=("acme/web",), history_per_sync=-1)
