"""Jira changelogs read in full: Cloud's bulk endpoint; Data Center's truncated ones completed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectors.base import Gone, Quarantined
from connectors.errors import Vanished
from connectors.jira.api import JiraApi
from connectors.jira.batch import Batch
from connectors.jira.settings import CHANGELOG_PAGE
from connectors.jira.values import _int


def bulk_changelogs(api: JiraApi, ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
    """Cloud ``changelog/bulkfetch``: the full, oldest-first history of each id."""
    found: dict[str, list[Mapping[str, Any]]] = {i: [] for i in ids}
    if not ids:
        return found
    token: str | None = None
    seen: set[str] = set()
    while True:
        body: dict[str, Any] = {"issueIdsOrKeys": list(ids), "maxResults": CHANGELOG_PAGE}
        if token:
            body["nextPageToken"] = token
        data = api.post("/rest/api/3/changelog/bulkfetch", body)
        logs = data.get("issueChangeLogs") or [] if isinstance(data, Mapping) else []
        for log in logs:
            found.setdefault(str(log.get("issueId")), []).extend(log.get("changeHistories") or [])
        token = data.get("nextPageToken") if isinstance(data, Mapping) else None
        if not logs or not token or token in seen:
            return found
        seen.add(token)


def dc_histories(api: JiraApi, raw: Mapping[str, Any], batch: Batch) -> list[Mapping[str, Any]]:
    """``expand=changelog`` histories; truncated ones completed from a per-issue GET."""
    log = raw.get("changelog") if isinstance(raw.get("changelog"), Mapping) else {}
    histories = list((log or {}).get("histories") or [])
    total = _int((log or {}).get("total"))
    if total <= len(histories):
        return histories
    try:
        full = api.get(
            f"/rest/api/2/issue/{raw.get('id')}",
            {"expand": "changelog", "fields": "created"},
            per_issue=True,
        )
    except Vanished as exc:  # deleted since the search listed it: keep what we read, mark it
        batch.gone.append(Gone(str(raw.get("id")), str(exc)))
        return histories
    more = (full.get("changelog") or {}) if isinstance(full, Mapping) else {}
    histories = list(more.get("histories") or histories)
    if _int(more.get("total")) > len(histories):
        batch.quarantined.append(
            Quarantined(
                str(raw.get("key")),
                f"changelog incomplete: {len(histories)} of {more.get('total')} histories "
                "readable; the oldest transitions are missing",
            )
        )
    return histories
