"""Jira history and remote links that name other issues by key (issue 10 §3).

A project move leaves a ``Key`` item in the moved issue's changelog (``fromString`` the old key,
``from``/``to`` null): it becomes an ``Alias``. A remote link to a Jira browse URL (this site's,
or another's) becomes a blocks link by key, which the engine resolves, old keys included.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import Alias, ItemRef
from connectors.jira.batch import Batch
from connectors.jira.fields import FieldMap
from connectors.jira.history import read_history
from connectors.jira.reader import IssueReader
from connectors.jira.settings import JiraSettings
from connectors.jira.values import jira_ref

FIXTURES = Path(__file__).parent / "fixtures"
BASE = "https://acme.atlassian.net"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def reader() -> IssueReader:
    fields = FieldMap.discover(
        fixture("fields_cloud.json"), fixture("issue_link_types.json")["issueLinkTypes"]
    )
    settings = JiraSettings(url=BASE, token_env="T", projects=("PAY", "CHK"))
    return IssueReader("jira", settings, fields, BASE)


def remote(rid: int, url: str, relationship: str = "is blocked by") -> dict[str, Any]:
    return {
        "id": rid,
        "self": f"{BASE}/rest/api/3/issue/10033/remotelink/{rid}",
        "globalId": url,
        "application": {},
        "relationship": relationship,
        "object": {"url": url, "title": url.rsplit("/", 1)[-1], "status": {"resolved": False}},
    }


def test_a_key_item_in_the_changelog_is_an_alias_of_the_moved_issue() -> None:
    history = {
        "id": "10500",
        "author": {"displayName": "Ana Costa"},
        "created": "2026-11-02T09:30:00.000+0100",
        "items": [
            {
                "field": "Key",
                "fieldtype": "jira",
                "from": None,
                "fromString": "CHK-18",
                "to": None,
                "toString": "PAY-33",
            },
            {
                "field": "project",
                "fieldtype": "jira",
                "from": "10000",
                "fromString": "Checkout",
                "to": "10001",
                "toString": "Payments",
            },
        ],
    }
    batch = Batch()
    read_history("10033", [history], [], None, batch, reader().blocks_types.values())
    assert batch.aliases == [Alias("10033", "CHK-18", datetime(2026, 11, 2, 8, 30, tzinfo=UTC))]
    # a move is no status, flag, sprint, label or parent change; only someone's activity
    assert [(e.field, e.detail) for e in batch.events] == [("activity", "project")]


def test_remote_links_to_jira_browse_urls_become_links_by_key() -> None:
    batch = Batch()
    reader().remote_links(
        "10033",
        "PAY-33",
        [
            remote(1, f"{BASE}/browse/CHK-18"),  # this site, maybe an old key
            remote(2, "https://partner.atlassian.net/browse/OPS-4", "blocks"),  # another site
            remote(3, f"{BASE}/browse/PAY-33"),  # itself: says nothing
            remote(4, f"{BASE}/wiki/spaces/PAY/pages/1"),  # not an issue
        ],
        batch,
    )
    links = {ln.link_key: ln for ln in batch.links.values()}
    assert sorted(links) == ["10033:1", "10033:2"]
    mine = links["10033:1"]
    assert mine.blocker == ItemRef("jira", "CHK-18", f"{BASE}/browse/CHK-18", source="jira")
    assert mine.blocked.key == "PAY-33"
    other = links["10033:2"]
    assert (other.blocker.key, other.blocked.key) == ("PAY-33", "OPS-4")
    assert other.blocked.source is None  # resolved by key across Jira sources


def test_jira_browse_urls_with_a_context_path_and_query() -> None:
    base = "https://jira.acme.example/jira"
    found = jira_ref(f"{base}/browse/CHK-18?focusedCommentId=1", base, "dc")
    assert found == ItemRef(
        "jira", "CHK-18", f"{base}/browse/CHK-18?focusedCommentId=1", source="dc"
    )
    assert jira_ref("https://github.com/acme/web/issues/7", base, "dc") is None
