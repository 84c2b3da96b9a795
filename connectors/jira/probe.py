"""Keys that stored links name but nothing stored has, asked of Jira one at a time.

"Blocked by ATL-18" in a GitHub body, after ATL-18 moved to a project outside the scope, names a
key no synced issue has, and the moved issue's changelog (which records the rename) is never
read. Jira answers ``GET issue/ATL-18`` with the *current* issue (``api-facts.md`` §3, moved
issues): its id gets ATL-18 as an alias, and an issue outside the scope is stored one hop out,
as linked issues are. An issue inside the scope is left to the census (storing it here, without
its history, would make the census skip it). Keys Jira does not know (404: another site's, a
typo, deleted) are noted in the memo and asked again on full sweeps only.
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

PROBE_LIMIT = 100  # keys asked per sync: the rest wait for the next one


def probe_keys(
    api: JiraApi,
    reader: IssueReader,
    fields: Sequence[str],
    request: SyncRequest,
    cloud: bool,
) -> Iterator[Page]:
    """Pages of aliases (and one-hop items) for the unresolved keys Jira can place."""
    batch, asked, version = Batch(), 0, "3" if cloud else "2"
    for key in request.unresolved():
        memo_key = f"probe:{key}"
        if not KEY_RE.fullmatch(key) or asked >= PROBE_LIMIT:
            continue
        if memo_key in request.memo and not request.full_sweep:
            continue
        asked += 1
        try:
            raw = api.get(
                f"/rest/api/{version}/issue/{key}", {"fields": ",".join(fields)}, per_issue=True
            )
        except Vanished as exc:
            batch.memo[memo_key] = str(exc)[:200]
            continue
        if not _placed(raw, key, reader, batch):
            batch.memo[memo_key] = "known"
        elif memo_key in request.memo:
            batch.memo[memo_key] = None
        if len(batch.aliases) + len(batch.items) >= BULK:
            yield batch.page()
            batch = Batch()
    if batch.aliases or batch.items or batch.memo or batch.quarantined:
        yield batch.page()


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
