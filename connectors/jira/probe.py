"""Keys that stored links name but nothing stored has, asked of Jira one at a time.

"Blocked by ATL-18" in a GitHub body, after ATL-18 moved to a project outside the scope, names a
key no synced issue has, and the moved issue's changelog (which records the rename) is never
read. Jira answers ``GET issue/ATL-18`` with the *current* issue (``api-facts.md`` §3, moved
issues): its id gets ATL-18 as an alias, and an issue outside the scope is stored one hop out,
as linked issues are. An issue inside the scope is left to the census (storing it here, without
its history, would make the census skip it). Keys Jira does not know (404: another site's, a
typo, deleted) are noted in the memo and asked again on full sweeps only. On Cloud the keys
are asked 100 a request (``issue/bulkfetch`` places moved keys too); only a chunk whose
answer holds a moved issue has its missing keys asked one at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.base import Alias, Page, Quarantined, SyncRequest
from connectors.errors import SkippableError, Vanished
from connectors.jira.api import JiraApi
from connectors.jira.batch import Batch
from connectors.jira.reader import IssueReader
from connectors.jira.settings import BULK, KEY_RE
from connectors.jira.values import _comments

PROBE_LIMIT = 100  # keys asked one at a time per sync: the rest wait for the next one
BULK_PROBE_LIMIT = 2000  # keys asked 100 a request (Cloud) per sync


def probe_keys(
    api: JiraApi,
    reader: IssueReader,
    fields: Sequence[str],
    request: SyncRequest,
    cloud: bool,
) -> Iterator[Page]:
    """Pages of aliases (and one-hop items) for the unresolved keys Jira can place."""
    keys = [
        key
        for key in request.unresolved()
        if KEY_RE.fullmatch(key) and (f"probe:{key}" not in request.memo or request.full_sweep)
    ]
    batch = Batch()
    if cloud:  # bulkfetch places keys (moved ones too) 100 a request; a closer look where needed
        keys = _bulk(api, reader, fields, request, keys[:BULK_PROBE_LIMIT], batch)
    version = "3" if cloud else "2"
    for key in keys[:PROBE_LIMIT]:
        _ask(api, version, key, fields, reader, request, batch)
        if len(batch.aliases) + len(batch.items) >= BULK:
            yield batch.page()
            batch = Batch()
    if batch.aliases or batch.items or batch.memo or batch.quarantined:
        yield batch.page()


def _bulk(
    api: JiraApi,
    reader: IssueReader,
    fields: Sequence[str],
    request: SyncRequest,
    keys: Sequence[str],
    batch: Batch,
) -> list[str]:
    """Keys placed by ``issue/bulkfetch``; returns those it cannot tell about. An answer under
    the key asked is placed here. A key missing from the answer is unknown (bulkfetch omits
    those silently) unless the answer holds an issue under a key nobody asked for: one of
    the chunk's keys moved, and only a GET of each missing key tells which."""
    closer: list[str] = []
    for start in range(0, len(keys), BULK):
        chunk = keys[start : start + BULK]
        data = api.post(
            "/rest/api/3/issue/bulkfetch", {"issueIdsOrKeys": chunk, "fields": list(fields)}
        )
        raws = data.get("issues") if isinstance(data, dict) else None
        by_key = {str(r.get("key")): r for r in raws or [] if isinstance(r, dict)}
        missing = [key for key in chunk if key not in by_key]
        for key in chunk:
            if key in by_key:
                _note(key, _placed(by_key[key], key, reader, batch), request, batch)
        if set(by_key) - set(chunk):
            closer.extend(missing)
        else:
            batch.memo.update({f"probe:{key}": "not found by bulkfetch" for key in missing})
    return closer


def _ask(
    api: JiraApi,
    version: str,
    key: str,
    fields: Sequence[str],
    reader: IssueReader,
    request: SyncRequest,
    batch: Batch,
) -> None:
    """One key asked with ``GET issue/{key}`` (a moved key answers with the current issue)."""
    try:
        raw = api.get(
            f"/rest/api/{version}/issue/{key}", {"fields": ",".join(fields)}, per_issue=True
        )
    except Vanished as exc:
        batch.memo[f"probe:{key}"] = str(exc)[:200]
        return
    _note(key, _placed(raw, key, reader, batch), request, batch)


def _note(key: str, placed: bool, request: SyncRequest, batch: Batch) -> None:
    """A key that said nothing new is not asked again until a full sweep."""
    memo_key = f"probe:{key}"
    if not placed:
        batch.memo[memo_key] = "known"
    elif memo_key in request.memo:
        batch.memo[memo_key] = None


def _placed(raw: object, asked: str, reader: IssueReader, batch: Batch) -> bool:
    """Record what the answer says; False when it says nothing new (nothing to resolve)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
        return False
    key, inside = raw["key"], reader.in_scope(raw["key"])
    if key == asked and inside:
        return False  # in the scope under this key: the census brings it
    if not inside:
        try:
            item, sprints = reader.item(raw, _comments(raw), in_scope=False)
        except (SkippableError, KeyError, TypeError, AttributeError, ValueError) as exc:
            batch.quarantined.append(Quarantined(key, str(exc)[:500]))
            return False
        batch.items.append(item)
        batch.sprints.update({s.tracker_id: s for s in sprints})
    if key != asked:
        batch.aliases.append(Alias(str(raw["id"]), asked))
    return True
