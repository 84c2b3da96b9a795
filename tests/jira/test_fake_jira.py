"""The fake Jira behaves like Jira where connectors go wrong, so e2e results mean something."""

from __future__ import annotations

from datetime import UTC, datetime

from sync.sandbox.jira import FakeJira, ms

SCOPE = 'project in ("CHK", "PAY", "PLAT", "MOB", "SRCH")'


def page_through(fake: FakeJira, jql: str) -> list[str]:
    params: dict[str, object] = {"jql": jql, "fields": "id,updated", "maxResults": 5000}
    status, body, _ = fake._search_jql(params)
    ids = [i["id"] for i in body["issues"]]
    while body.get("nextPageToken"):
        status, body, _ = fake._search_jql({**params, "nextPageToken": body["nextPageToken"]})
        assert status == 200
        ids += [i["id"] for i in body["issues"]]
    return ids


def test_token_paging_lists_every_id_once_past_one_page() -> None:
    fake = FakeJira(issues=12_000)
    ids = page_through(fake, f"{SCOPE} ORDER BY updated ASC, key ASC")
    assert len(ids) == len(set(ids)) == 10_000


def test_minute_strings_are_read_in_the_users_zone_and_epoch_ms_exactly() -> None:
    fake = FakeJira(issues=30, time_zone="Asia/Kolkata")
    target = fake.resolve("PAY-2")
    assert target
    at = datetime(2026, 11, 20, 12, 0, 40, tzinfo=UTC)
    fake.update(target, status="Done", at=ms(at))
    # 12:00 UTC is 17:30 in Kolkata: the same minute, written as the user's local time
    assert [i for _, i in fake.search_rows('project = PAY AND updated >= "2026-11-20 17:30"')] == [
        target
    ]
    assert fake.search_rows('project = PAY AND updated >= "2026-11-20 17:31"') == []
    assert fake.search_rows(f"project = PAY AND updated >= {ms(at) + 1}") == []


def test_data_center_refuses_offsets_past_the_result_window() -> None:
    fake = FakeJira(issues=50, cloud=False, max_result_window=20)
    status, body, _ = fake._search_dc({"jql": SCOPE, "startAt": 20, "maxResults": 10})
    assert status == 400
    assert "Result window is too large" in body["errorMessages"][0]


def test_bulkfetch_silently_omits_deleted_issues_and_resolves_moved_keys() -> None:
    fake = FakeJira(issues=40)
    gone, moved = fake.resolve("CHK-2"), fake.resolve("PAY-2")
    assert gone
    assert moved
    fake.delete(gone)
    new_key = fake.move(moved, "MOB")
    status, body, _ = fake._bulkfetch(
        {"issueIdsOrKeys": [str(gone), "PAY-2"], "fields": ["summary"]}
    )
    assert status == 200
    assert [(i["id"], i["key"]) for i in body["issues"]] == [(str(moved), new_key)]
    assert body["issueErrors"] == []


def test_data_center_expand_changelog_is_truncated_newest_first() -> None:
    fake = FakeJira(issues=20, cloud=False)
    target = fake.resolve("CHK-1")
    assert target
    for n in range(105):
        fake.update(target, add_label=f"l{n}", at=ms(datetime(2026, 11, 1, tzinfo=UTC)) + n * 1000)
    _, body, _ = fake._search_dc({"jql": "key = CHK-1", "expand": "changelog"})
    log = body["issues"][0]["changelog"]
    assert log["total"] > len(log["histories"]) == 100
    assert log["histories"][0]["created"] > log["histories"][-1]["created"]
