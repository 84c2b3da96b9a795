"""Census walks: the id/updated listing of a Jira scope, on Cloud and on Data Center."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.errors import FatalError, SkippableError
from connectors.jira.api import (
    JiraApi,
)
from connectors.jira.settings import (
    CENSUS_PAGE,
    DC_CENSUS_PAGE,
    DC_WINDOW,
)
from connectors.jira.values import (
    _int,
    epoch_ms,
    parse_time,
)


@dataclass(frozen=True, slots=True)
class CensusEntry:
    """One issue as a census lists it: enough to tell whether it changed since stored."""

    tracker_id: str
    key: str
    updated: datetime | None


def cloud_census(api: JiraApi, jql: str) -> Iterator[list[CensusEntry]]:
    """Cloud ``search/jql`` by ``nextPageToken``, ids and ``updated`` only."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"jql": jql, "fields": "id,updated", "maxResults": CENSUS_PAGE}
        if token:
            params["nextPageToken"] = token
        data = api.get("/rest/api/3/search/jql", params)
        issues = data.get("issues") or [] if isinstance(data, Mapping) else []
        if not issues:
            return
        yield [_census_entry(raw) for raw in issues]
        token = data.get("nextPageToken")
        if not token or token in seen:  # absent/null ends; a repeated token would loop
            return
        seen.add(token)


def dc_census(api: JiraApi, source: str, jql: str) -> Iterator[list[CensusEntry]]:
    for issues in dc_search(api, source, jql, ["updated"], None, DC_CENSUS_PAGE):
        yield [_census_entry(raw) for raw in issues]


def dc_search(
    api: JiraApi, source: str, jql: str, fields: Sequence[str], expand: str | None, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """Offset paging in windows: before startAt reaches 10,000, restart from the last
    ``created`` seen (epoch ms, inclusive) and skip the ids already read at that instant."""
    where, _, order = jql.partition(" ORDER BY ")
    lower: int | None = None
    tail: set[str] = set()
    tail_ms: int | None = None
    start = 0
    wanted = ",".join([*fields, "created"])
    while True:
        query = where if lower is None else f"{where} AND created >= {lower}"
        params: dict[str, Any] = {
            "jql": f"{query} ORDER BY {order or 'created ASC, key ASC'}",
            "startAt": start,
            "maxResults": page_size,
            "fields": wanted,
        }
        if expand:
            params["expand"] = expand
        data = api.get("/rest/api/2/search", params)
        issues = [i for i in (data.get("issues") or []) if isinstance(i, dict)]
        fresh = []
        for raw in issues:
            iid = str(raw.get("id"))
            created = _created_ms(raw)
            if created is not None and created == lower and iid in tail:
                continue
            if created is not None and created != tail_ms:
                tail, tail_ms = set(), created
            tail.add(iid)
            fresh.append(raw)
        if fresh:
            yield fresh
        total = _int(data.get("total"))
        start += len(issues)
        if not issues or start >= total:
            return
        if start + page_size > DC_WINDOW:
            if tail_ms is None or tail_ms == lower:
                raise FatalError(
                    f"jira source {source!r}: over {DC_WINDOW} issues created in the same "
                    "millisecond; narrow the scope with jql"
                )
            lower, start = tail_ms, 0


def _census_entry(raw: Mapping[str, Any]) -> CensusEntry:
    fields = raw.get("fields") if isinstance(raw.get("fields"), Mapping) else {}
    try:
        updated = parse_time((fields or {}).get("updated"), "updated")
    except SkippableError:
        updated = None  # fetched in full, where it is quarantined with its reason
    return CensusEntry(str(raw.get("id")), str(raw.get("key") or raw.get("id")), updated)


def _created_ms(raw: Mapping[str, Any]) -> int | None:
    fields = raw.get("fields") if isinstance(raw.get("fields"), Mapping) else {}
    try:
        return epoch_ms(parse_time((fields or {}).get("created"), "created"))
    except SkippableError:
        return None
