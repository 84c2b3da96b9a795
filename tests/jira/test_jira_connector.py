"""The Jira connector against recorded-shape payloads (``responses``), asserting what it sends.

Fixtures in ``fixtures/`` are shaped like Jira Cloud / Data Center answers (``api-facts.md``
§1-8): census pages with ``nextPageToken``, bulkfetch, changelog bulkfetch (oldest first),
remote links, a Data Center search whose ``expand=changelog`` is truncated, old ``Sprint@…``
strings.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from urllib3.util import Retry

from connectors.base import Page, SyncRequest, Transport
from connectors.errors import AuthError, RetriesExhausted, ScopeError
from connectors.jira import (
    MEMO_KEY,
    FieldMap,
    JiraConnector,
    JiraSettings,
    current_sprint,
    github_ref,
    item_type,
    parse_sprint,
    remote_direction,
)

FIXTURES = Path(__file__).parent / "fixtures"
CLOUD = "https://acme.atlassian.net"
DC = "https://jira.acme.example"
STARTED = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
SINCE = datetime(2026, 11, 20, 11, 45, 0, 123000, tzinfo=UTC)
PROJECTS = ("CHK", "PAY", "PLAT", "MOB")


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def memo() -> dict[str, str]:
    fields = FieldMap.discover(
        fixture("fields_cloud.json"), fixture("issue_link_types.json")["issueLinkTypes"]
    )
    return {MEMO_KEY: fields.to_memo()}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_USER", "sync-bot@acme.example")
    monkeypatch.setenv("JIRA_TOKEN", "s3cr3t-api-token")


def connector(cloud: bool = True) -> JiraConnector:
    settings = JiraSettings(
        url=CLOUD if cloud else DC,
        token_env="JIRA_TOKEN",
        user_env="JIRA_USER" if cloud else None,
        projects=PROJECTS,
        blocks_link_types=("Blocks", "Dependency"),
    )
    return JiraConnector("jira", settings, Transport(retry=Retry(total=0), timeout=7.5))


def request(
    since: datetime | None = SINCE,
    stored: Mapping[str, datetime] | None = None,
    memo_entries: Mapping[str, str] | None = None,
    **kw: Any,
) -> SyncRequest:
    known = dict(stored or {})

    def stored_updated(ids: Sequence[str]) -> Mapping[str, datetime]:
        return {i: known[i] for i in ids if i in known}

    return SyncRequest(
        mode="incremental",
        started_at=STARTED,
        since=since,
        until=None,
        memo=memo() if memo_entries is None else memo_entries,
        stored_updated=stored_updated,
        **kw,
    )


def query(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlparse(call.request.url).query)


def body(call: Any) -> Any:
    return json.loads(call.request.body)


def cloud_routes(rsps: responses.RequestsMock, *, remote: bool = True) -> None:
    rsps.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    rsps.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_1.json"))
    rsps.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_2.json"))
    rsps.post(
        f"{CLOUD}/rest/api/3/issue/bulkfetch",
        json=fixture("issue_bulkfetch_one_good_one_malformed.json"),
    )
    rsps.post(
        f"{CLOUD}/rest/api/3/changelog/bulkfetch", json=fixture("changelog_bulkfetch_chk12.json")
    )
    rsps.post(
        f"{CLOUD}/rest/api/3/issue/bulkfetch",
        json=fixture("issue_bulkfetch_outside_scope_sec7.json"),
    )
    if remote:
        rsps.get(
            f"{CLOUD}/rest/api/2/issue/10042/remotelink", json=fixture("remote_links_chk12.json")
        )


def run(conn: JiraConnector, req: SyncRequest) -> list[Page]:
    return list(conn.pages(req))


def merged(pages: Sequence[Page]) -> dict[str, Any]:
    out: dict[str, Any] = {"items": [], "links": [], "events": [], "quarantined": [], "scopes": []}
    for page in pages:
        out["items"] += page.items
        out["links"] += page.links
        out["events"] += page.events
        out["quarantined"] += page.quarantined
        out["scopes"] += page.link_scopes
    return out


# -- Cloud: what goes out --------------------------------------------------------------------


@responses.activate
def test_cloud_incremental_sends_epoch_ms_jql_census_fields_tokens_and_basic_auth(
    env: None,
) -> None:
    cloud_routes(responses.mock)
    # PAY-3 is stored with the same `updated`: it must not be fetched again; CHK-12 was stored
    # after its remote link was added (09:00 on the 19th): its remote links are not read again
    stored = {
        "10050": datetime(2026, 11, 20, 12, 10, 45, 500000, tzinfo=UTC),
        "10042": datetime(2026, 11, 19, 10, 0, tzinfo=UTC),
    }
    pages = run(connector(), request(stored=stored))
    calls = responses.calls
    assert [urlparse(c.request.url).path for c in calls] == [
        "/rest/api/2/serverInfo",
        "/rest/api/3/search/jql",
        "/rest/api/3/issue/bulkfetch",
        "/rest/api/3/changelog/bulkfetch",
        "/rest/api/3/search/jql",
        # SEC-7, linked and outside the scope: one hop out; outside issues are read 100 a
        # request, so here once the walk has ended
        "/rest/api/3/issue/bulkfetch",
    ]  # no remote links: CHK-12's RemoteIssueLink change is older than its stored version
    first, second = query(calls[1]), query(calls[4])
    assert first["jql"] == [
        'project in ("CHK", "PAY", "PLAT", "MOB") AND updated >= 1795175100123 '
        "ORDER BY updated ASC, key ASC"
    ]
    assert (first["fields"], first["maxResults"]) == (["id,updated"], ["5000"])
    assert "nextPageToken" not in first
    assert second["nextPageToken"] == ["Ch0jU3RyaW5nJlEwaEwmJUludCZNVEF3TkRNPRAC"]
    assert body(calls[2])["issueIdsOrKeys"] == ["10042", "10043"]
    assert {
        "summary",
        "issuelinks",
        "comment",
        "customfield_10020",
        "customfield_10021",
        "customfield_10001",
        "customfield_10016",
    } <= set(body(calls[2])["fields"])
    assert body(calls[3]) == {"issueIdsOrKeys": ["10042", "10043"], "maxResults": 10000}
    assert body(calls[5])["issueIdsOrKeys"] == ["30007"]
    token = base64.b64encode(b"sync-bot@acme.example:s3cr3t-api-token").decode()
    assert all(c.request.headers["Authorization"] == f"Basic {token}" for c in calls)
    # no field discovery: the memo had the ids
    assert not any(c.request.url.endswith("/field") for c in calls)
    # cursors: the census page's last `updated`, then the run's start on the last page
    cursors = [p.cursor for p in pages if p.cursor is not None]
    assert cursors[0] == datetime(2026, 11, 20, 12, 1, tzinfo=UTC)
    assert cursors[-1] == STARTED


@responses.activate
def test_cloud_items_links_events_from_payloads(env: None) -> None:
    cloud_routes(responses.mock)
    # since the day before: CHK-12's remote link changed since, so its remote links are read
    stored = {"10050": datetime(2026, 11, 20, 12, 10, 45, 500000, tzinfo=UTC)}
    since = datetime(2026, 11, 19, tzinfo=UTC)
    got = merged(run(connector(), request(since=since, stored=stored)))
    assert any(c.request.url.endswith("/issue/10042/remotelink") for c in responses.calls)
    item, outside = got["items"]
    assert (outside.key, outside.in_scope, outside.container) == ("SEC-7", False, "SEC")
    assert (item.tracker_id, item.key, item.type, item.status, item.status_category) == (
        "10042",
        "CHK-12",
        "story",
        "Blocked",
        "in_progress",
    )
    assert item.created_at == datetime(2026, 10, 1, 16, 15, tzinfo=UTC)
    assert item.updated_at == datetime(2026, 11, 20, 11, 58, 11, 201000, tzinfo=UTC)
    assert (item.sprint_id, item.team_field, item.story_points) == (
        "8",
        "36885b3c-1bf0-4f85-a357-c5b858c31de4",
        5.0,
    )
    assert item.parent is not None
    assert (item.parent.key, item.parent.tracker_id) == ("CHK-1", "10001")
    assert item.flagged
    assert item.flag_reason == "Waiting for the PSP sandbox credentials"
    assert (item.labels, item.components, item.assignee) == (
        ("backend", "pci"),
        ("Payment page",),
        "Ana Costa",
    )
    # the malformed sibling is quarantined, not dropped silently, and not fatal
    [bad] = got["quarantined"]
    assert bad.key == "CHK-13"
    assert "created" in bad.reason
    links = {ln.link_key: ln for ln in got["links"]}
    assert "20004" not in links  # Relates is not a dependency
    assert (links["20001"].blocker.key, links["20001"].blocked.key) == ("PAY-3", "CHK-12")
    assert links["20001"].created_at == datetime(2026, 10, 21, 11, 0, tzinfo=UTC)
    assert (links["20002"].blocker.key, links["20002"].blocked.key) == ("CHK-12", "SEC-7")
    assert links["20002"].created_at == datetime(2026, 11, 20, 11, 58, 11, 201000, tzinfo=UTC)
    # "CHK-12 depends on PLAT-4": the reversed custom type makes PLAT-4 the blocker
    assert (links["20003"].blocker.key, links["20003"].blocked.key) == ("PLAT-4", "CHK-12")
    episode = links["history:10042:90005:0"]
    assert (episode.blocker.key, episode.blocked.key) == ("CHK-12", "MOB-9")
    assert (episode.created_at, episode.removed_at) == (
        datetime(2026, 10, 22, 11, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 15, 30, tzinfo=UTC),
    )
    gh = links["10042:10500"]
    assert (gh.origin, gh.blocker.tracker, gh.blocker.key, gh.blocked.key) == (
        "jira_remote_link",
        "github",
        "acme/payments-api#77",
        "CHK-12",
    )
    assert gh.created_at == datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    ghe = links["10042:10502"]  # GitHub Enterprise host, relationship "blocks"
    assert (ghe.blocker.key, ghe.blocked.key) == ("CHK-12", "web/storefront#12")
    assert "10042:10501" not in links  # Confluence "mentioned in": no dependency
    scopes = {(s.tracker_id, s.origin) for s in got["scopes"]}
    assert scopes == {("10042", "jira_link"), ("10042", "jira_remote_link")}
    events = {e.event_key: e for e in got["events"]}
    assert events["10042:90003:0"].field == "status"
    assert (events["10042:90003:0"].from_value, events["10042:90003:0"].to_value) == (
        "To Do",
        "In Progress",
    )
    assert events["10042:90003:1:+pci"].to_value == "pci"
    assert (events["10042:90007:0"].from_value, events["10042:90007:0"].to_value) == ("7", "7,8")
    assert events["10042:90001:0"].field == "parent"
    assert events["10042:90001:0"].to_value == "CHK-1"
    flag = events["10042:90008:0"]
    assert (flag.field, flag.from_value, flag.to_value, flag.detail) == (
        "flagged",
        "",
        "Impediment",
        "Waiting for the PSP sandbox credentials",
    )
    link_events = sorted((e.link_key, e.to_value, e.at) for e in got["events"] if e.field == "link")
    assert link_events == [
        ("20002", "added", datetime(2026, 11, 20, 11, 58, 11, 201000, tzinfo=UTC)),
        ("history:10042:90005:0", "added", datetime(2026, 10, 22, 11, 0, tzinfo=UTC)),
        ("history:10042:90005:0", "removed", datetime(2026, 10, 25, 15, 30, tzinfo=UTC)),
    ]  # the PAY-3 link's events come from PAY-3, its outward end


@responses.activate
def test_census_pager_stops_on_a_repeated_token_and_on_an_empty_page(env: None) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    looping = fixture("search_jql_census_page_1.json")
    stored = {
        "10042": datetime(2026, 11, 20, 11, 58, 11, 201000, tzinfo=UTC),
        "10043": datetime(2026, 11, 20, 12, 1, tzinfo=UTC),
    }
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=looping)
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=looping)  # the same token again
    pages = run(connector(), request(stored=stored))
    searches = [c for c in responses.calls if "search/jql" in c.request.url]
    assert len(searches) == 2
    assert sum(len(p.items) for p in pages) == 0  # everything already stored: nothing fetched

    responses.reset()
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json={"issues": [], "nextPageToken": "x"})
    run(connector(), request())
    assert sum("search/jql" in c.request.url for c in responses.calls) == 1


@responses.activate
def test_census_run_walks_the_whole_scope_and_reports_every_id(env: None) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_2.json"))
    stored = {"10050": datetime(2026, 11, 20, 12, 10, 45, 500000, tzinfo=UTC)}
    pages = run(connector(), request(stored=stored, census=True))
    jql = query(responses.calls[1])["jql"][0]
    assert "updated >=" not in jql  # a census lists everything, not only what changed
    census = [p.census for p in pages if p.census is not None]
    assert [(c.tracker_ids, c.complete) for c in census] == [(("10050",), False), ((), True)]


@responses.activate
def test_fields_are_discovered_once_and_memoised(env: None) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/field", json=fixture("fields_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/issueLinkType", json=fixture("issue_link_types.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json={"issues": []})
    pages = run(connector(), request(memo_entries={}))
    saved = json.loads(next(p.memo for p in pages if p.memo)[MEMO_KEY])
    assert saved["sprint"] == "customfield_10020"
    assert saved["flagged"] == "customfield_10021"
    assert saved["team"] == "customfield_10001"
    assert saved["story_points"] == "customfield_10016"  # by schema, not the "Story Points" name
    assert saved["epic_link"] == "customfield_10014"


@responses.activate
def test_a_stale_field_id_triggers_one_rediscovery(env: None) -> None:
    stale = json.loads(memo()[MEMO_KEY])
    stale["sprint"] = "customfield_99999"  # the Sprint field was recreated under a new id
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_2.json"))
    issue = fixture("issue_bulkfetch_one_good_one_malformed.json")["issues"][0]
    issue = {
        **issue,
        "id": "10050",
        "key": "PAY-3",
        "fields": {**issue["fields"], "issuelinks": []},
    }
    responses.post(f"{CLOUD}/rest/api/3/issue/bulkfetch", json={"issues": [issue]})
    responses.get(f"{CLOUD}/rest/api/3/field", json=fixture("fields_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/issueLinkType", json=fixture("issue_link_types.json"))
    responses.post(f"{CLOUD}/rest/api/3/changelog/bulkfetch", json={"issueChangeLogs": []})
    pages = run(connector(), request(memo_entries={MEMO_KEY: json.dumps(stale)}))
    paths = [urlparse(c.request.url).path for c in responses.calls]
    assert paths.count("/rest/api/3/field") == 1
    refetched = [
        body(c)["issueIdsOrKeys"] for c in responses.calls if "issue/bulkfetch" in c.request.url
    ]
    assert refetched[:2] == [["10050"], ["10050"]]  # the batch, again after rediscovery
    fixed = next(p.memo for p in pages if p.memo)
    assert json.loads(fixed[MEMO_KEY])["sprint"] == "customfield_10020"
    [item] = [i for p in pages for i in p.items if i.key == "PAY-3"]
    assert item.sprint_id == "8"


# -- errors ----------------------------------------------------------------------------------


@responses.activate
def test_rejected_token_is_one_line_auth_error_without_the_secret(env: None) -> None:
    responses.get(
        f"{CLOUD}/rest/api/2/serverInfo", json=fixture("error_unauthorized.json"), status=401
    )
    with pytest.raises(AuthError) as err:
        run(connector(), request())
    message = str(err.value)
    assert "HTTP 401 on /rest/api/2/serverInfo" in message
    assert "\n" not in message
    assert "s3cr3t" not in message
    assert "Basic" not in message


@responses.activate
def test_unknown_project_is_a_scope_error_naming_it(env: None) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(
        f"{CLOUD}/rest/api/3/search/jql", json=fixture("error_unknown_project.json"), status=400
    )
    with pytest.raises(ScopeError, match="'NOPE' does not exist"):
        run(connector(), request())


@responses.activate
def test_the_removed_search_answering_410_says_which_url_to_check(env: None) -> None:
    # a site (or a proxy in front of Cloud) that says "not Cloud" gets the Data Center search,
    # which Cloud removed: the line names the cause instead of promising a resume
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_dc.json"))
    removed = {"errorMessages": ["The requested API has been removed. Please migrate."]}
    responses.get(f"{CLOUD}/rest/api/2/search", json=removed, status=410)
    with pytest.raises(ScopeError) as err:
        run(connector(), request())
    message = str(err.value)
    assert "410 Gone on /rest/api/2/search" in message
    assert "check that url is the site itself" in message
    assert "resumes" not in message
    assert "\n" not in message
    assert len([c for c in responses.calls if "/search" in c.request.url]) == 1  # not retried


@responses.activate
def test_server_errors_after_retries_end_the_run(env: None) -> None:
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json={}, status=502)
    with pytest.raises(RetriesExhausted, match="HTTP 502"):
        run(connector(), request())


def test_missing_credential_variable_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JIRA_TOKEN", raising=False)
    with pytest.raises(AuthError, match="JIRA_TOKEN is not set"):
        run(connector(), request())


def test_client_is_built_without_library_retries_and_with_our_adapter(env: None) -> None:
    retry = Retry(total=3)
    settings = JiraSettings(
        url=CLOUD, token_env="JIRA_TOKEN", user_env="JIRA_USER", projects=("CHK",)
    )
    conn = JiraConnector("jira", settings, Transport(retry=retry, timeout=4.0))
    with responses.RequestsMock() as rsps:  # constructing the client makes no request
        session = conn.api.session
        assert not rsps.calls
    assert session.get_adapter("https://acme.atlassian.net").max_retries is retry  # type: ignore[attr-defined]
    assert session.get_adapter("http://x").max_retries is retry  # type: ignore[attr-defined]
    assert (session.max_retries, session.timeout) == (0, 4.0)  # type: ignore[attr-defined]


# -- Data Center -----------------------------------------------------------------------------


@responses.activate
def test_dc_orders_by_created_uses_bearer_and_completes_a_truncated_changelog(env: None) -> None:
    responses.get(f"{DC}/rest/api/2/serverInfo", json=fixture("server_info_dc.json"))
    responses.get(f"{DC}/rest/api/2/search", json=fixture("search_dc_census_page.json"))
    responses.get(
        f"{DC}/rest/api/2/search", json=fixture("search_dc_by_id_truncated_changelog.json")
    )
    responses.get(f"{DC}/rest/api/2/issue/10042", json=fixture("issue_dc_full_changelog.json"))
    sec7 = fixture("issue_bulkfetch_outside_scope_sec7.json")["issues"]
    responses.get(f"{DC}/rest/api/2/search", json={"startAt": 0, "total": 1, "issues": sec7})
    responses.get(f"{DC}/rest/api/2/issue/10042/remotelink", json=[])
    responses.post(f"{DC}/rest/api/2/search", json={"issues": []})
    pages = run(connector(cloud=False), request())
    calls = responses.calls
    census, by_id = query(calls[1]), query(calls[2])
    assert census["jql"] == [
        'project in ("CHK", "PAY", "PLAT", "MOB") AND updated >= 1795175100123 '
        "ORDER BY created ASC, key ASC"
    ]
    assert census["startAt"] == ["0"]
    assert census["fields"] == ["updated,created"]
    assert by_id["jql"] == ["id in (10042) ORDER BY created ASC, key ASC"]
    assert by_id["expand"] == ["changelog"]
    assert query(calls[3])["expand"] == ["changelog"]  # the per-issue GET that completes it
    assert all(c.request.headers["Authorization"] == "Bearer s3cr3t-api-token" for c in calls)
    got = merged(pages)
    item, outside = got["items"]
    assert (outside.key, outside.in_scope) == ("SEC-7", False)
    assert (item.sprint_id, item.flag_reason) == ("8", "Waiting for the PSP sandbox credentials")
    assert item.parent is not None
    assert item.parent.key == "CHK-1"  # Epic Link on Data Center
    keys = {e.event_key for e in got["events"]}
    assert "10042:90002:0" in keys  # the oldest histories, beyond the truncated expand
    assert not got["quarantined"]
    # offset paging over `created` is no watermark: the cursor only moves at the end
    assert [p.cursor for p in pages if p.cursor is not None] == [STARTED]


@responses.activate
def test_dc_splits_windows_before_the_result_limit(
    env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("connectors.jira.census.DC_WINDOW", 4)
    monkeypatch.setattr("connectors.jira.census.DC_CENSUS_PAGE", 2)

    def issue(n: int) -> dict[str, Any]:
        created = f"2026-10-0{n}T10:00:00.000+0000"
        return {
            "id": str(100 + n),
            "key": f"CHK-{n}",
            "fields": {"updated": created, "created": created},
        }

    def page(start: int, total: int, ns: list[int]) -> dict[str, Any]:
        return {"startAt": start, "maxResults": 2, "total": total, "issues": [issue(n) for n in ns]}

    responses.get(f"{DC}/rest/api/2/serverInfo", json=fixture("server_info_dc.json"))
    responses.get(f"{DC}/rest/api/2/search", json=page(0, 6, [1, 2]))
    responses.get(f"{DC}/rest/api/2/search", json=page(2, 6, [3, 4]))
    # new window from CHK-4's created (inclusive): CHK-4 again, skipped, then the rest
    responses.get(f"{DC}/rest/api/2/search", json=page(0, 3, [4, 5]))
    responses.get(f"{DC}/rest/api/2/search", json=page(2, 3, [6]))
    stored = {str(100 + n): datetime(2026, 10, n, 10, tzinfo=UTC) for n in range(1, 7)}
    pages = run(connector(cloud=False), request(stored=stored, census=True))
    jqls = [query(c)["jql"][0] for c in responses.calls if "/search" in c.request.url]
    assert "created >=" not in jqls[1]
    assert jqls[2].startswith(
        'project in ("CHK", "PAY", "PLAT", "MOB") AND created >= 1791108000000 ORDER BY'
    )
    listed = [i for p in pages if p.census for i in p.census.tracker_ids]
    assert listed == ["101", "102", "103", "104", "105", "106"]  # each id once


# -- pure parsers ----------------------------------------------------------------------------


def test_sprint_values_in_both_shapes_and_the_current_one() -> None:
    cloud = fixture("issue_bulkfetch_one_good_one_malformed.json")["issues"][0]["fields"][
        "customfield_10020"
    ]
    dc = fixture("search_dc_by_id_truncated_changelog.json")["issues"][0]["fields"][
        "customfield_10020"
    ]
    from_objects = [parse_sprint(v) for v in cloud]
    from_strings = [parse_sprint(v) for v in dc]
    assert [(s.tracker_id, s.state, s.board_id) for s in from_strings] == [
        ("7", "closed", "1"),
        ("8", "active", "1"),
    ]
    assert from_strings[1].name == "CHK Sprint 8, cards"
    assert from_strings[1].completed is None
    assert from_strings[0].start == from_objects[0].start == datetime(2026, 10, 19, 8, tzinfo=UTC)
    current = current_sprint(from_objects)
    assert current is not None
    assert current.tracker_id == "8"
    closed_only = [s for s in from_objects if s.state == "closed"]
    assert current_sprint(closed_only) == closed_only[0]


@pytest.mark.parametrize(
    ("issuetype", "expected"),
    [
        ({"name": "Epic", "hierarchyLevel": 1}, "epic"),
        ({"name": "Initiative", "hierarchyLevel": 2}, "feature"),
        ({"name": "Story", "hierarchyLevel": 0}, "story"),
        ({"name": "Sub-task", "hierarchyLevel": -1}, "task"),
        ({"name": "Bug", "hierarchyLevel": 0}, "bug"),
        ({"name": "Kaizen", "hierarchyLevel": 0}, "other"),
    ],
    ids=lambda v: v["name"] if isinstance(v, dict) else v,
)
def test_issue_types(issuetype: dict[str, Any], expected: str) -> None:
    assert item_type(issuetype) == expected


def test_github_urls_and_remote_directions() -> None:
    ref = github_ref("https://github.com/acme/web/issues/12")
    assert ref is not None
    assert (ref.tracker, ref.key) == ("github", "acme/web#12")
    assert github_ref("https://github.com/acme/web/pull/12") is None
    assert github_ref("https://gitlab.example/acme/web/-/issues/12") is None
    assert remote_direction("is blocked by") == "gh_blocks"
    assert remote_direction("Depends on") == "gh_blocks"
    assert remote_direction("blocks") == "jira_blocks"
    assert remote_direction("mentioned in") is None


def stored_pages(pages: Iterator[Page]) -> int:
    return sum(len(p.items) for p in pages)
