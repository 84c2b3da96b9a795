"""The issues walk: repositories merged by ``updated_at``, keyset pages, record pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import (
    Census,
    Page,
    Quarantined,
    SyncRequest,
    WorkItem,
)
from connectors.errors import RetriesExhausted, ScopeError, SkippableError
from connectors.github.batch import (
    _Batch,
    _RepoStream,
)
from connectors.github.relations import (
    RelationReader,
)
from connectors.github.settings import (
    PER_PAGE,
)
from connectors.github.values import (
    _int,
    _iso,
    _key_of,
    _reason,
    _updated,
)


class IssueWalk(RelationReader):
    """Every repository's changed issues as record pages, oldest update first."""

    # -- the issues walk ----------------------------------------------------------------------

    def _walk(self, request: SyncRequest, seen: set[str], census: bool) -> Iterator[Page]:
        since = request.since.astimezone(UTC) if request.since else None
        until = request.until.astimezone(UTC) if request.until else None
        streams = [_RepoStream(repo, since, until) for repo in self.settings.repos]
        chunk: list[tuple[str, datetime, dict[str, Any]]] = []
        done = 0
        for repo, at, raw in self._merged(streams):
            chunk.append((repo, at, raw))
            if len(chunk) == PER_PAGE:
                done += len(chunk)
                yield self._issues_page(request, chunk, seen, census, done)
                chunk = []
        if chunk:
            done += len(chunk)
            yield self._issues_page(request, chunk, seen, census, done)

    def _merged(self, streams: list[_RepoStream]) -> Iterator[tuple[str, datetime, dict[str, Any]]]:
        """All repositories' issues in one ``updated_at`` order (so page cursors hold for all)."""
        while True:
            for stream in streams:
                while not stream.buffer and not stream.done:
                    self._fetch(stream)
            live = [s for s in streams if s.buffer]
            if not live:
                return
            stream = min(live, key=lambda s: (s.buffer[0][0], s.repo))
            at, raw = stream.buffer.popleft()
            yield stream.repo, at, raw

    def _fetch(self, stream: _RepoStream) -> None:
        params: dict[str, Any] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": PER_PAGE,
            "page": stream.page,
        }
        if stream.since is not None:
            params["since"] = _iso(stream.since)
        resp = self._get(f"/repos/{stream.repo}/issues", params)
        if resp.status in (404, 410):
            what = "has issues disabled" if resp.status == 410 else "was not found"
            raise ScopeError(
                f"github source {self.name!r}: repository {stream.repo} {what} (or is not "
                f"visible to the token in ${self.settings.token_env}); fix repos in the config"
            )
        if resp.status != 200 or not isinstance(resp.data, list):
            raise RetriesExhausted(
                f"github source {self.name!r}: GET /repos/{stream.repo}/issues answered "
                f"{resp.status}; the next sync resumes where this one stopped"
            )
        elements: list[dict[str, Any]] = [e for e in resp.data if isinstance(e, dict)]
        floor = stream.since or datetime(1970, 1, 1, tzinfo=UTC)
        dated = [(_updated(e) or floor, e) for e in elements]
        newest = max((at for at, _ in dated), default=floor)
        for at, raw in dated:
            if stream.until is not None and at > stream.until:
                stream.done = True
                continue
            if stream.seen.get(_int(raw.get("id"))) == raw.get("updated_at"):
                continue  # re-read at the keyset edge: already yielded
            stream.buffer.append((at, raw))
        if len(elements) < PER_PAGE:
            stream.done = True
            return
        edge = newest - timedelta(seconds=1)
        if stream.since is None or edge > stream.since:
            stream.since, stream.page, stream.seen = edge, 1, {}
        else:  # a whole page within one second: fall back to offsets for that second
            stream.page += 1
        for at, raw in dated:
            if at >= stream.since:
                stream.seen[_int(raw.get("id"))] = str(raw.get("updated_at"))

    def _issues_page(
        self,
        request: SyncRequest,
        chunk: list[tuple[str, datetime, dict[str, Any]]],
        seen: set[str],
        census: bool,
        done: int,
    ) -> Page:
        batch = _Batch()
        issues: list[tuple[str, dict[str, Any], WorkItem]] = []
        for repo, _at, raw in chunk:
            if "pull_request" in raw:
                continue  # PRs share the issues list and id space (trap 17)
            try:
                item = self._work_item(raw, batch)
            except (SkippableError, KeyError, TypeError, ValueError) as exc:
                batch.quarantined.append(Quarantined(_key_of(repo, raw), _reason(exc)))
                continue
            issues.append((repo, raw, item))
            batch.items.append(item)
            seen.add(item.tracker_id)
        stored = (
            request.stored_updated([item.tracker_id for _, _, item in issues]) if issues else {}
        )
        for repo, raw, item in issues:
            changed = stored.get(item.tracker_id) != item.updated_at
            self._relations(batch, repo, raw, item, changed)
        ids = [i.tracker_id for _, _, i in issues]
        cursor = max(at for _, at, _ in chunk)
        page = batch.page(cursor=cursor, progress=(done, None))
        if census:
            page.census = Census(tuple(ids))
        return page
