"""Who changed what (for stalled work): authors on Jira events, activity and comment events.

Payloads are the real Cloud shapes (changelog histories with ``author{accountId,
displayName}``, comments in ``fields.comment``), served through ``responses``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import responses

from tests.jira.test_jira_connector import (
    CLOUD,
    cloud_routes,
    connector,
    env,
    fixture,
    merged,
    request,
    run,
)

__all__ = ["env"]  # the fixture, used by name
AUTOMATION = {
    "self": f"{CLOUD}/rest/api/3/user?accountId=557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
    "accountId": "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
    "displayName": "Automation for Jira",
    "active": True,
    "accountType": "app",
}


def changelog_with_an_automation_edit() -> dict[str, object]:
    data = copy.deepcopy(fixture("changelog_bulkfetch_chk12.json"))
    data["issueChangeLogs"][0]["changeHistories"].append(
        {
            "id": "90011",
            "author": AUTOMATION,
            "created": "2026-11-20T11:59:00.000+0000",
            "items": [
                {
                    "field": "description",
                    "fieldtype": "jira",
                    "fieldId": "description",
                    "from": None,
                    "fromString": "old text",
                    "to": None,
                    "toString": "new text",
                },
                {
                    "field": "assignee",
                    "fieldtype": "jira",
                    "fieldId": "assignee",
                    "from": "5b10ac8d82e05b22cc7d4ef5",
                    "fromString": "Ana Costa",
                    "to": None,
                    "toString": None,
                },
            ],
        }
    )
    return data


@responses.activate
def test_events_name_their_author_and_unkept_fields_become_activity(env: None) -> None:
    cloud_routes(responses.mock)
    responses.mock.replace(
        responses.POST,
        f"{CLOUD}/rest/api/3/changelog/bulkfetch",
        json=changelog_with_an_automation_edit(),
    )
    stored = {"10050": datetime(2026, 11, 20, 12, 10, 45, 500000, tzinfo=UTC)}
    got = merged(run(connector(), request(since=datetime(2026, 11, 19, tzinfo=UTC), stored=stored)))
    events = {e.event_key: e for e in got["events"]}
    status = events["10042:90003:0"]
    assert (status.author, status.author_name) == ("5b10ac8d82e05b22cc7d4ef5", "Ana Costa")
    assert events["10042:90003:1:+pci"].author == "5b10ac8d82e05b22cc7d4ef5"
    edit = events["10042:90011:activity"]
    assert (edit.field, edit.detail, edit.at) == (
        "activity",
        "assignee, description",
        datetime(2026, 11, 20, 11, 59, tzinfo=UTC),
    )
    assert (edit.author, edit.author_name) == (AUTOMATION["accountId"], "Automation for Jira")
    # link-only and remote-link-only histories say nothing about activity
    activity = sorted(k for k, e in events.items() if e.field == "activity")
    assert activity == ["10042:90011:activity", "10042:comment:11001", "10042:comment:11002"]
    comment = events["10042:comment:11002"]
    assert (comment.detail, comment.author, comment.author_name, comment.at) == (
        "comment",
        None,  # the payload names no account id, only who
        "Ben Okafor",
        datetime(2026, 11, 19, 8, 0, tzinfo=UTC),
    )
