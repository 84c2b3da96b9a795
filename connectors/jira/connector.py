"""The Jira connector: census, bulk reads and one-hop fetches turned into record pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, ClassVar

from connectors.base import LinkScope, Page, Quarantined, SyncRequest, Transport
from connectors.errors import FatalError, SkippableError
from connectors.jira.api import JiraApi
from connectors.jira.batch import Batch
from connectors.jira.census import CensusEntry, cloud_census, dc_census, dc_search
from connectors.jira.changelog import bulk_changelogs, dc_histories
from connectors.jira.fields import FieldMap
from connectors.jira.history import comment_events
from connectors.jira.hops import OneHop
from connectors.jira.pipeline import Chunk, chunk_entries, record_pages
from connectors.jira.pool import each
from connectors.jira.probe import probe_keys
from connectors.jira.reader import IssueReader
from connectors.jira.settings import BULK, ISSUE_FIELDS, MEMO_KEY, ORDER_BY_RE, JiraSettings
from connectors.jira.sweep import (
    Deferred,
    Pacer,
    RemoteLinks,
    SweepState,
    shows_remote_link,
    sweep_pages,
    sweep_state,
)
from connectors.jira.values import _comments, epoch_ms


class JiraConnector:
    """Yields pages of Jira records; see the module docstring for the reading strategy."""

    kind: ClassVar[str] = "jira"
    Settings: ClassVar[type[Any]] = JiraSettings

    def __init__(self, name: str, settings: JiraSettings, transport: Transport) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport
        self._api: JiraApi | None = None
        self._rediscovered = False

    @property
    def api(self) -> JiraApi:
        if self._api is None:
            self._api = JiraApi(self.name, self.settings, self.transport)
        return self._api

    def stats(self) -> Mapping[str, Any]:
        api = self._api
        remaining = api.rate_limit_remaining if api else None
        return {"requests": api.requests if api else 0, "rate_limit_remaining": remaining}

    # -- entry point ------------------------------------------------------------------------

    def pages(self, request: SyncRequest) -> Iterator[Page]:
        info = self.api.server_info()
        cloud = info.get("deploymentType") == "Cloud"
        fields = FieldMap.from_memo(request.memo.get(MEMO_KEY))
        memo: dict[str, str | None] = {}
        if fields is None or self._types_missing(fields):
            fields = self._discover(cloud)
            memo[MEMO_KEY] = fields.to_memo()
        self._fields = fields
        self._memo = memo
        self._reader = IssueReader(self.name, self.settings, fields, self.api.base)
        self._request = request
        self._rediscovered = bool(memo)
        self._remotes = RemoteLinks(self.api, self.settings.concurrency)
        self._scope_ids: list[tuple[str, str]] | None = None  # (id, key) when a census ran
        self._stored_at: Mapping[str, datetime] = {}
        self._hops = OneHop(request.stored_updated)
        self._sweep_at = self._sweep_due(request)
        # a first load reads no remote links: the sweep pass right after it reads them, the
        # issues whose history shows one first (``connectors.jira.sweep``)
        self._first = Deferred() if request.since is None and self._sweep_at else None
        full = request.census or (request.since is None)
        walk = self._cloud_walk if cloud else self._dc_walk
        done = 0
        for page in chain(walk(request, full), self._hop_tail(cloud)):
            done += len(page.items)
            page.progress = (done, None)
            if self._memo:
                page.memo = {**self._memo, **page.memo}
                self._memo = {}
            yield page
        # the walk read everything up to the window's end; sync.cursor.advance caps it at the start
        yield Page(
            cursor=request.until or request.started_at, memo=self._memo, progress=(done, done)
        )
        yield from self._sweep(request, cloud)
        # last: the sweep's remote links may name keys nothing stored has yet
        yield from probe_keys(self.api, self._reader, self._issue_fields(), request, cloud)

    def _sweep_due(self, request: SyncRequest) -> SweepState | None:
        """The remote-link sweep pass this run does, if any; not in a backfill of a window
        (it reloads a slice: sweeping the scope is not its job)."""
        state = sweep_state(request.memo, request.full_sweep, request.started_at)
        window = request.mode == "backfill" and not request.census
        return None if state is None or (window and not request.full_sweep) else state

    def _sweep(self, request: SyncRequest, cloud: bool) -> Iterator[Page]:
        """The remote-link sweep pass (``connectors.jira.sweep``), after the run's data."""
        state = self._sweep_at
        if state is None:
            return
        first = (self._first or Deferred()).all(request.memo)
        scope, self._scope_ids = self._scope_ids, None
        if scope is None:  # no census this run: list the scope's ids (5000 a request)
            jql = self._jql(request, True, "created ASC, key ASC")
            walk = cloud_census(self.api, jql) if cloud else dc_census(self.api, self.name, jql)
            scope = [(e.tracker_id, e.key) for entries in walk for e in entries]
        cap = None if request.mode == "backfill" else self.settings.sweep_per_run
        pacer = Pacer(self.api, self.settings.rate_limit_reserve, cap)
        yield from sweep_pages(scope, state, self._remotes, self._reader, pacer, first)

    def _types_missing(self, fields: FieldMap) -> bool:
        known = {t.name for t in fields.link_types}
        if self.settings.reads_objectives and not fields.named:  # a memo from before objectives
            return True
        return any(name not in known for name in self.settings.blocks_link_types)

    def _discover(self, cloud: bool) -> FieldMap:
        version = "3" if cloud else "2"
        fields = self.api.get(f"/rest/api/{version}/field")
        types = self.api.get(f"/rest/api/{version}/issueLinkType")
        if not isinstance(fields, list) or not isinstance(types, Mapping):
            raise FatalError(f"jira source {self.name!r}: unexpected field or link type listing")
        return FieldMap.discover(fields, types.get("issueLinkTypes") or [])

    def _rediscover(self, cloud: bool) -> bool:
        """Field ids went stale (a field was recreated): discover again, once per run."""
        if self._rediscovered:
            return False
        self._rediscovered = True
        self._fields = self._discover(cloud)
        self._memo[MEMO_KEY] = self._fields.to_memo()
        self._reader = IssueReader(self.name, self.settings, self._fields, self.api.base)
        return True

    def _jql(self, request: SyncRequest, full: bool, order: str) -> str:
        scope = (
            "project in (" + ", ".join(f'"{p}"' for p in self.settings.projects) + ")"
            if self.settings.projects
            else f"({ORDER_BY_RE.sub('', self.settings.jql or '')})"  # ours is the only ORDER BY
        )
        clauses = [scope]
        if request.since is not None and not full:
            clauses.append(f"updated >= {epoch_ms(request.since)}")
        if request.until is not None:
            clauses.append(f"updated < {epoch_ms(request.until)}")
        return " AND ".join(clauses) + f" ORDER BY {order}"

    def _wants_census(self, request: SyncRequest, full: bool) -> bool:
        """A walk over the whole scope (no window) lists every visible id: a census."""
        return full and request.until is None and (request.census or request.since is None)

    # -- shared: from a census page to record pages -----------------------------------------

    def _changed(self, request: SyncRequest, entries: Sequence[CensusEntry]) -> list[CensusEntry]:
        stored = request.stored_updated([e.tracker_id for e in entries])
        self._stored_at = stored  # for this census page's reads (remote links: see _since)
        return [
            e
            for e in entries
            if e.updated is None
            or stored.get(e.tracker_id) != e.updated
            or e.tracker_id in self._hops.fetched
        ]

    def _census_pages(
        self,
        request: SyncRequest,
        full: bool,
        census_walk: Iterator[list[CensusEntry]],
        get: Callable[[list[list[str]]], list[Any]],
        read: Callable[[list[str], Any, SyncRequest], Batch],
        by_updated: bool,
    ) -> Iterator[Page]:
        """Census pages → record pages (``connectors.jira.pipeline``)."""
        census = self._wants_census(request, full)
        scope: list[tuple[str, str]] | None = [] if census else None
        self._scope_ids = scope  # the sweep pass reuses the census

        def chunks(entries: Sequence[CensusEntry]) -> list[Chunk]:
            if scope is not None:
                scope.extend((e.tracker_id, e.key) for e in entries)
            return chunk_entries(entries, {e.tracker_id for e in self._changed(request, entries)})

        return record_pages(
            census_walk,
            chunks,
            get,
            lambda ids, payload: read(ids, payload, request),
            by_updated=by_updated,
            census=census,
        )

    # -- Cloud --------------------------------------------------------------------------------

    def _cloud_walk(self, request: SyncRequest, full: bool) -> Iterator[Page]:
        jql = self._jql(request, full, "updated ASC, key ASC")
        walk = cloud_census(self.api, jql)
        return self._census_pages(
            request, full, walk, self._cloud_get, self._cloud_read, by_updated=True
        )

    def _issue_fields(self) -> list[str]:
        wanted = [self._fields.id_named(n) for n in self.settings.objective_field_names()]
        return [*ISSUE_FIELDS, *self._fields.custom_ids(), *(i for i in wanted if i)]

    def _cloud_get(self, pages: list[list[str]]) -> list[Any]:
        """The bulk reads of a group of pages (``connectors.jira.pipeline``): one changelog read
        for all their ids, their bulkfetches in the pool, the remote links histories ask for."""
        fields = self._issue_fields()
        fetched = each(lambda ids: self._bulkfetch(ids, fields), pages, self.settings.concurrency)
        histories = bulk_changelogs(self.api, [i for ids in pages for i in ids])
        payloads = []
        for ids, issues in zip(pages, fetched, strict=True):
            mine = {i: histories.pop(i, []) for i in ids}  # each page's own: freed with it
            payloads.append((fields, issues, mine, self._ahead(issues, mine)))
        return payloads

    def _ahead(
        self, issues: Sequence[Mapping[str, Any]], histories: Mapping[str, Any]
    ) -> dict[str, Any]:
        if self._first is not None:
            return {}  # the sweep pass reads them
        links = [
            i
            for i in map(str, (r.get("id") for r in issues))
            if shows_remote_link(histories.get(i, ()), self._since(i))
        ]
        return self._remotes.ahead(links)

    def _cloud_read(self, ids: list[str], payload: Any, request: SyncRequest) -> Batch:
        asked, issues, histories, ready = payload
        stale = issues and self._stale_fields(issues) and self._rediscover(cloud=True)
        if stale or asked != self._issue_fields():  # (fetched ahead, before a rediscovery)
            issues = self._bulkfetch(ids)
        batch = Batch()
        for raw in issues:
            self._read_issue(raw, histories.get(str(raw.get("id")), []), batch)
        self._remote_links(batch, ready)
        self._one_hop(batch, cloud=True)
        return batch

    def _bulkfetch(
        self, ids: Sequence[str], fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        body = {"issueIdsOrKeys": list(ids), "fields": fields or self._issue_fields()}
        data = self.api.post("/rest/api/3/issue/bulkfetch", body)
        issues = data.get("issues") if isinstance(data, Mapping) else None
        return [i for i in issues or [] if isinstance(i, dict)]

    def _stale_fields(self, issues: Sequence[Mapping[str, Any]]) -> bool:
        """Jira returns a requested, existing field (null when empty); a custom id absent from
        every issue of the batch means that field was deleted or recreated under a new id."""
        ids = self._fields.custom_ids()
        fields: list[Mapping[str, Any]] = [
            f for i in issues if isinstance(f := i.get("fields"), Mapping)
        ]
        return bool(ids and fields) and any(all(fid not in f for f in fields) for fid in ids)

    def _read_issue(
        self,
        raw: Mapping[str, Any],
        histories: Sequence[Mapping[str, Any]],
        batch: Batch,
        in_scope: bool = True,
    ) -> None:
        """One issue → records, or a quarantine entry; the rest of the page goes on."""
        label = str(raw.get("key") or raw.get("id") or "?")
        mark = batch.mark()
        try:
            comments = _comments(raw)
            item, sprints = self._reader.item(raw, comments, in_scope)
            changes, remote_changed = self._reader.history(
                item.tracker_id, histories, comments, self._since(item.tracker_id), batch
            )
            batch.events.extend(comment_events(item.tracker_id, raw))
            self._reader.links(raw, changes, batch)
        except (SkippableError, KeyError, TypeError, AttributeError, ValueError) as exc:
            batch.rollback(mark)
            reason = str(exc) if isinstance(exc, SkippableError) else f"{type(exc).__name__}: {exc}"
            batch.quarantined.append(Quarantined(label, reason[:500]))
            return
        batch.items.append(item)
        batch.scopes.append(LinkScope(item.tracker_id, "jira_link", "either"))
        for sprint in sprints:
            batch.sprints[sprint.tracker_id] = sprint
        if remote_changed:  # its history shows a remote link: read them now, not in the sweep
            batch.remote_ids.append((item.tracker_id, item.key))

    def _since(self, iid: str) -> datetime | None:
        """Remote links are read when the history shows one after the stored version of the
        issue (any, for a new one; that version saw changes up to its ``updated``); the
        others come from the sweep pass."""
        stored_at = self._stored_at.get(iid)
        return stored_at + timedelta(microseconds=1) if stored_at else None

    def _remote_links(self, batch: Batch, ready: Mapping[str, Any] | None = None) -> None:
        """The remote links the page's histories ask for: read now, or (a first load) noted
        for the sweep pass with the times the histories give them."""
        if self._first is not None:
            self._first.note(batch)
        else:
            self._remotes.fetch(batch.remote_ids, self._reader, batch, ready)

    def _hop_tail(self, cloud: bool) -> Iterator[Page]:
        """The outside issues still waiting when the walk ends, in a page before the cursor's."""
        batch = Batch()
        self._one_hop(batch, cloud, flush=True)
        if batch.items or batch.quarantined:
            yield batch.page()

    def _one_hop(self, batch: Batch, cloud: bool, flush: bool = False) -> None:
        """Linked issues outside the scope, not stored yet: fetched once, as in_scope=False,
        100 a request (``OneHop`` gathers them over pages; their links wait for them)."""
        stored_ids = {i.tracker_id for i in batch.items}
        self._hops.want(i for i in batch.outside if i not in stored_ids)
        for chunk in self._hops.ready(flush):
            raws = self._bulkfetch(chunk) if cloud else self._dc_by_ids(chunk, changelog=False)
            for raw in raws:
                label = str(raw.get("key") or raw.get("id"))
                try:
                    item, sprints = self._reader.item(raw, _comments(raw), in_scope=False)
                except (SkippableError, KeyError, TypeError, AttributeError, ValueError) as exc:
                    batch.quarantined.append(Quarantined(label, str(exc)[:500]))
                    continue
                batch.items.append(item)
                for sprint in sprints:
                    batch.sprints[sprint.tracker_id] = sprint

    # -- Data Center --------------------------------------------------------------------------

    def _dc_walk(self, request: SyncRequest, full: bool) -> Iterator[Page]:
        jql = self._jql(request, full, "created ASC, key ASC")
        walk = dc_census(self.api, self.name, jql)
        return self._census_pages(
            request, full, walk, self._dc_get, self._dc_read, by_updated=False
        )

    def _dc_get(self, pages: list[list[str]]) -> list[Any]:
        fields = self._issue_fields()
        found = each(
            lambda ids: self._dc_by_ids(ids, changelog=True), pages, self.settings.concurrency
        )
        return [(fields, issues) for issues in found]

    def _dc_read(self, ids: list[str], payload: Any, request: SyncRequest) -> Batch:
        asked, issues = payload
        stale = issues and self._stale_fields(issues) and self._rediscover(cloud=False)
        if stale or asked != self._issue_fields():  # (fetched ahead, before a rediscovery)
            issues = self._dc_by_ids(ids, changelog=True)
        batch = Batch()
        # truncated changelogs are completed per issue, in the pool; each call notes what it
        # found (gone, incomplete) in a batch of its own, merged here in issue order
        notes = [Batch() for _ in issues]
        logs = each(
            lambda n: dc_histories(self.api, issues[n], notes[n]),
            range(len(issues)),
            self.settings.concurrency,
        )
        for raw, note, histories in zip(issues, notes, logs, strict=True):
            batch.gone.extend(note.gone)
            batch.quarantined.extend(note.quarantined)
            self._read_issue(raw, histories, batch)
        self._remote_links(batch)
        self._one_hop(batch, cloud=False)
        return batch

    def _dc_by_ids(self, ids: Sequence[str], changelog: bool) -> list[dict[str, Any]]:
        jql = "id in (" + ", ".join(ids) + ") ORDER BY created ASC, key ASC"
        found: list[dict[str, Any]] = []
        for issues in dc_search(
            self.api, self.name, jql, self._issue_fields(), "changelog" if changelog else None, BULK
        ):
            found.extend(issues)
        return found
