"""PI objectives from Jira: issue type, business value fields found by name, committed field,
read by the real connector from ``responses``-mocked Cloud payloads (shapes of ``fixtures/``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses
from urllib3.util import Retry

from connectors.base import Transport
from connectors.jira import MEMO_KEY, FieldMap, JiraConnector, JiraSettings
from tests.jira.test_jira_connector import CLOUD, PROJECTS, fixture, merged, request, run

OBJECTIVE_FIELDS = [
    {"id": "customfield_10050", "key": "customfield_10050", "name": "Business Value",
     "custom": True, "schema": {"type": "number", "custom":
     "com.atlassian.jira.plugin.system.customfieldtypes:float", "customId": 10050}},
    {"id": "customfield_10051", "key": "customfield_10051", "name": "Actual Business Value",
     "custom": True, "schema": {"type": "option", "custom":
     "com.atlassian.jira.plugin.system.customfieldtypes:select", "customId": 10051}},
    {"id": "customfield_10052", "key": "customfield_10052", "name": "Committed",
     "custom": True, "schema": {"type": "array", "items": "option", "custom":
     "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes", "customId": 10052}},
]  # fmt: skip


def connector(**objectives: Any) -> JiraConnector:
    settings = JiraSettings(
        url=CLOUD,
        token_env="JIRA_TOKEN",
        user_env="JIRA_USER",
        projects=PROJECTS,
        blocks_link_types=("Blocks", "Dependency"),
        **objectives,
    )
    return JiraConnector("jira", settings, Transport(retry=Retry(total=0), timeout=7.5))


def field_memo() -> dict[str, str]:
    fields = FieldMap.discover(
        fixture("fields_cloud.json") + OBJECTIVE_FIELDS,
        fixture("issue_link_types.json")["issueLinkTypes"],
    )
    return {MEMO_KEY: fields.to_memo()}


def routes(issue_fields: dict[str, Any]) -> None:
    bulk = copy.deepcopy(fixture("issue_bulkfetch_one_good_one_malformed.json"))
    bulk["issues"][0]["fields"].update(issue_fields)
    responses.get(f"{CLOUD}/rest/api/2/serverInfo", json=fixture("server_info_cloud.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_1.json"))
    responses.get(f"{CLOUD}/rest/api/3/search/jql", json=fixture("search_jql_census_page_2.json"))
    responses.post(f"{CLOUD}/rest/api/3/issue/bulkfetch", json=bulk)
    responses.post(
        f"{CLOUD}/rest/api/3/changelog/bulkfetch", json=fixture("changelog_bulkfetch_chk12.json")
    )
    responses.post(
        f"{CLOUD}/rest/api/3/issue/bulkfetch",
        json=fixture("issue_bulkfetch_outside_scope_sec7.json"),
    )
    # CHK-12 is new to the connector and its history shows a remote link: read on the first load
    responses.get(
        f"{CLOUD}/rest/api/2/issue/10042/remotelink", json=fixture("remote_links_chk12.json")
    )


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_USER", "sync-bot@acme.example")
    monkeypatch.setenv("JIRA_TOKEN", "s3cr3t-api-token")


def first_item(conn: JiraConnector) -> Any:
    got = merged(run(conn, request(memo_entries=field_memo())))
    return next(i for i in got["items"] if i.key == "CHK-12")


@responses.activate
def test_an_objective_by_issue_type_with_values_from_named_fields() -> None:
    routes({
        "issuetype": {"id": "10100", "name": "PI Objective", "subtask": False,
                      "hierarchyLevel": 0},
        "customfield_10050": 8.0,
        "customfield_10051": {"self": f"{CLOUD}/rest/api/3/customFieldOption/3", "value": "7",
                              "id": "3"},
        "customfield_10052": [{"value": "Committed", "id": "5"}],
    })  # fmt: skip
    item = first_item(connector(objective_issue_type="PI Objective", committed_field="Committed"))
    assert (item.objective, item.business_value, item.actual_business_value, item.committed) == (
        True, 8.0, 7.0, True,
    )  # fmt: skip
    asked = json.loads(responses.calls[2].request.body)["fields"]
    assert {"customfield_10050", "customfield_10051", "customfield_10052"} <= set(asked)


@responses.activate
def test_an_objective_by_label_uncommitted_by_label() -> None:
    routes({"labels": ["pi-objective", "uncommitted"], "customfield_10050": 3})
    item = first_item(connector(objective_label="PI-Objective"))
    assert (item.objective, item.business_value, item.committed) == (True, 3.0, False)


@responses.activate
def test_without_objective_settings_nothing_is_asked_or_marked() -> None:
    routes({"issuetype": {"id": "10100", "name": "PI Objective"}, "customfield_10050": 8})
    item = first_item(connector())
    assert (item.objective, item.business_value) == (False, None)
    asked = json.loads(responses.calls[2].request.body)["fields"]
    assert "customfield_10050" not in asked
