"""GitHub connector (github.com and Enterprise Server): issues, sub-issues, dependencies, history.

How it reads (``api-facts.md`` sections 9 to 12, traps 15 to 21):

* **Issues**: ``GET /repos/{o}/{r}/issues`` with ``state=all&sort=updated&direction=asc``,
  ``since`` and ``per_page=100`` per repository, pull requests dropped (the ``pull_request``
  key). Pages are walked by *keyset*: the next request re-asks with ``since`` = the page's
  newest ``updated_at`` minus one second (``since`` has second resolution and may be
  exclusive), dropping what was already seen, so an issue updated mid-walk cannot shift an
  unseen one past an offset (trap 10). Offset paging is only used when a whole page shares
  one second. Repositories are merged by ``updated_at``, so a page's cursor (its newest
  ``updated_at``) promises every repository is stored up to there. Nothing is filtered
  ``> cursor`` (trap 18); upserts dedupe.
* **Changed issues only** (``SyncRequest.stored_updated``) get the extra calls: timeline
  (label, close/reopen and dependency events), ``sub_issues`` where ``sub_issues_summary.total``
  says there are any, ``dependencies/blocked_by`` where ``total_blocked_by`` does (trap 19).
* **Dependency sweep**: adding or removing a dependency does not bump ``updated_at`` (trap 15).
  Every ``dependency_sweep_minutes`` (or on ``full_sweep``) the open issues are walked with
  ``If-None-Match`` per list page, then ``blocked_by`` is re-read with ``If-None-Match`` for
  every open issue that has (or had) blockers. A 304 costs no rate limit. A changed list comes
  with a ``LinkScope`` so removed dependencies close. Open issues that vanished from the open
  list are re-fetched: 301 → ``Move``, 410/404 → ``Gone``. ETags live in the connector memo,
  written in the page that stores the links they describe.
* **PyGithub** provides auth, base URL (GHES ``/api/v3``), the retry layer and exceptions; the
  JSON is parsed here. PyGithub's ``PaginatedList`` objects complete themselves with one extra
  GET per issue whenever a key is absent (``issue.pull_request`` on every real issue,
  ``raw_data`` always) and never send ``If-None-Match``, so lists are read through
  ``gh.requester.requestJson``.
* **Rate limits**: ``x-ratelimit-remaining``/``reset`` are read from every response; below
  ``rate_limit_reserve`` the remaining requests are spread until the reset, every wait capped by
  the retry layer's ``max_wait``. 429s, 5xx and 403s with ``Retry-After`` or remaining 0 are
  retried by ``connectors.http.BudgetRetry``; a 403 whose *body* says "secondary rate limit"
  (no header to go by) is retried here.

Status: ``open``/``closed`` (raw), category ``done`` when closed (also ``not_planned``),
``in_progress`` when open and assigned, else ``todo``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import github
from github import Auth

from connectors.base import (
    Census,
    Event,
    Gone,
    ItemRef,
    ItemType,
    Link,
    LinkScope,
    Move,
    Page,
    Quarantined,
    Sprint,
    StatusCategory,
    SyncRequest,
    Transport,
    WorkItem,
)
from connectors.errors import AuthError, RetriesExhausted, ScopeError, SkippableError
from connectors.objectives import from_labels

REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
API_ISSUE = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<number>\d+)$")
PER_PAGE = 100
ITEM_TYPES: dict[str, ItemType] = {
    "epic": "epic",
    "feature": "feature",
    "enhancement": "feature",
    "story": "story",
    "user story": "story",
    "task": "task",
    "bug": "bug",
}
JIRA_KEY = r"[A-Z][A-Z0-9_]+-\d+"
REFERENCE = re.compile(
    rf"(?P<jurl>https?://[^\s)\]>]+?/browse/(?P<jkey>{JIRA_KEY}))(?![\w-])"
    r"|(?P<gurl>https?://[^\s)\]>]+?/(?P<grepo>[\w.-]+/[\w.-]+)/issues/(?P<gnum>\d+))(?!\d)"
    rf"|(?<![\w/.#-])(?P<key>{JIRA_KEY})(?![\w-])"
    r"|(?<![\w/])(?P<repo>[\w.-]+/[\w.-]+)?#(?P<num>\d+)(?!\d)"
)
SENTENCE_END = re.compile(r"\n|[.;](?:\s|$)")


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "github"``."""

    token_env: str
    repos: tuple[str, ...]
    base_url: str = "https://api.github.com"  # GitHub Enterprise Server: https://HOST/api/v3
    text_references: bool = False  # read "blocked by ABC-12" / "depends on o/r#7" in bodies
    reference_patterns: tuple[str, ...] = (r"blocked\s+by", r"depends\s+on")
    dependency_sweep_minutes: int = 60  # re-read blocked_by of open issues this often
    rate_limit_reserve: int = 200  # below this many requests left, spread the rest until reset
    objective_label: str | None = None  # PI objectives: issues carrying this label
    business_value_prefix: str = "bv:"  # "bv:8": planned business value
    actual_business_value_prefix: str = "bv-actual:"  # "bv-actual:7": actual business value
    uncommitted_label: str = "uncommitted"  # marks an uncommitted objective

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("https://", "http://")):
            raise ValueError(f"base_url: {self.base_url!r} is not an http(s) URL")
        if not self.repos:
            raise ValueError('repos: list at least one repository, e.g. ["acme/web"]')
        for repo in self.repos:
            if not REPO.match(repo):
                raise ValueError(f"repos: {repo!r} is not owner/name")
        for pattern in self.reference_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"reference_patterns: {pattern!r} is not a regular expression ({exc})"
                ) from None

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"github_repos": self.repos}


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    data: Any
    redirected_to: str | None = None


@dataclass(slots=True)
class _RepoStream:
    """One repository's issues, sorted by ``updated_at``, fetched by keyset pages."""

    repo: str
    since: datetime | None
    until: datetime | None
    page: int = 1
    buffer: deque[tuple[datetime, dict[str, Any]]] = field(default_factory=deque)
    seen: dict[int, str] = field(default_factory=dict)  # id → updated_at at the since edge
    done: bool = False


@dataclass(slots=True)
class _Episode:
    """A dependency's latest added/removed instants from the timeline."""

    ref: ItemRef
    added: datetime | None = None
    removed: datetime | None = None


@dataclass(slots=True)
class _Batch:
    """The records of one page under construction."""

    items: list[WorkItem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    scopes: list[LinkScope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sprints: dict[str, Sprint] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    gone: list[Gone] = field(default_factory=list)
    memo: dict[str, str | None] = field(default_factory=dict)
    outside: dict[str, WorkItem] = field(default_factory=dict)  # one hop out, by tracker id

    def page(self, **extra: Any) -> Page:
        # a parent link is met from both ends (child's parent_issue_url, parent's sub_issues)
        links = {(ln.origin, ln.link_key): ln for ln in self.links}
        return Page(
            items=[*self.outside.values(), *self.items],
            links=list(links.values()),
            link_scopes=self.scopes,
            events=self.events,
            sprints=list(self.sprints.values()),
            quarantined=self.quarantined,
            moves=self.moves,
            gone=self.gone,
            memo=self.memo,
            **extra,
        )


class GitHubConnector:
    kind: ClassVar[str] = "github"
    Settings: ClassVar[type[Any]] = GitHubSettings

    def __init__(self, name: str, settings: GitHubSettings, transport: Transport) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport
        self._scope = {r.lower() for r in settings.repos}
        self._patterns = [re.compile(p, re.IGNORECASE) for p in settings.reference_patterns]
        self._max_wait = float(transport.max_wait)
        self._sleep: Callable[[float], None] = getattr(transport.retry, "sleeper", time.sleep)
        self._attempts = max(int(getattr(transport.retry, "total", 5) or 5), 1)
        self._requests = 0
        self._not_modified = 0
        self._throttled = 0.0
        self._remaining: int | None = None
        self._reset: float | None = None
        self._redirect: str | None = None
        self._memo: dict[str, str] = {}
        self._gh: Any = None

    # -- the Protocol -------------------------------------------------------------------------

    def pages(self, request: SyncRequest) -> Iterator[Page]:
        self._connect()
        self._memo = dict(request.memo)
        seen: set[str] = set()  # issues listed this run: not "vanished" for the sweep
        full_walk = request.since is None and request.until is None
        pages: Iterator[Page] = self._walk(request, seen, request.census and full_walk)
        if request.census and not full_walk:
            pages = itertools.chain(pages, self._census_walk())
        last: Page | None = None
        for page in pages:  # held back one page: the last census page says "complete"
            if last is not None:
                yield last
            last = page
        if request.census:
            if last is not None and last.census is not None:
                last.census = Census(last.census.tracker_ids, complete=True)
            else:
                if last is not None:
                    yield last
                last = Page(census=Census((), complete=True))
        if last is not None:
            yield last
        if request.mode == "incremental" and self._sweep_due(request, full_walk):
            yield from self._sweep(request, seen)

    def stats(self) -> Mapping[str, Any]:
        retry_stats = getattr(self.transport.retry, "stats", None)
        retried = int(getattr(retry_stats, "retries", 0) or 0)
        return {
            "requests": self._requests + retried,
            "rate_limit_remaining": self._remaining,
            "not_modified": self._not_modified,
            "throttled_seconds": round(self._throttled, 3),
        }

    # -- HTTP ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        if self._gh is not None:
            return
        token = os.environ.get(self.settings.token_env, "")
        if not token.strip():
            raise AuthError(
                f"github source {self.name!r}: environment variable "
                f"{self.settings.token_env} is empty or unset; export a token with Issues: read"
            )
        self._gh = github.Github(
            base_url=self.settings.base_url.rstrip("/"),
            auth=Auth.Token(token.strip()),
            retry=self.transport.retry,
            timeout=max(1, math.ceil(self.transport.timeout)),  # PyGithub asserts an int
            per_page=PER_PAGE,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        requester = self._gh.requester
        # PyGithub has no response hook: give its per-host connection class one, on this
        # requester only (name-mangled attribute, checked by the unit tests on upgrade).
        base = requester._Requester__connectionClass
        hook = self._on_response

        class Hooked(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.session.hooks["response"].append(hook)

        requester._Requester__connectionClass = Hooked

    def _on_response(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        self._requests += 1
        status = int(response.status_code)
        if status == 304:
            self._not_modified += 1
        if status in (301, 302, 307, 308) and response.headers.get("location"):
            self._redirect = str(response.headers["location"])
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and str(remaining).isdigit():
            self._remaining = int(remaining)
        reset = response.headers.get("x-ratelimit-reset")
        if reset is not None and str(reset).isdigit():
            self._reset = float(reset)
        self.transport.on_response(response)
        return response

    def _pace(self) -> None:
        """Spread the last ``rate_limit_reserve`` requests until the reset instead of hitting 0."""
        remaining, reset = self._remaining, self._reset
        if remaining is None or reset is None or remaining >= self.settings.rate_limit_reserve:
            return
        left = reset - time.time()
        if left <= 0:
            return
        if remaining == 0 and left + 1 > self._max_wait:
            raise RetriesExhausted(
                f"github source {self.name!r}: rate limit spent until "
                f"{datetime.fromtimestamp(reset, UTC):%H:%M:%S} UTC, longer than the "
                f"{self._max_wait:.0f}s wait cap; the next sync resumes where this one stopped"
            )
        wait = min(left + 1 if remaining == 0 else left / remaining, self._max_wait)
        if wait > 0:
            self._throttled += wait
            self._sleep(wait)

    def _get(
        self, path: str, params: Mapping[str, Any] | None = None, etag: str | None = None
    ) -> _Response:
        """One GET: 2xx/304 returned, rate limits retried, 401/403 → AuthError, others returned."""
        headers = {"Accept": "application/vnd.github+json"}
        if etag:
            headers["If-None-Match"] = etag
        for attempt in range(self._attempts + 1):
            self._pace()
            self._redirect = None
            status, resp_headers, body = self._gh.requester.requestJson(
                "GET", path, dict(params or {}), dict(headers)
            )
            data = _json(body)
            wait = self._secondary_wait(status, resp_headers, data, attempt)
            if wait is None:
                break
            if attempt == self._attempts:
                raise RetriesExhausted(
                    f"github source {self.name!r}: still rate limited on {path} after "
                    f"{attempt + 1} attempts; the next sync resumes where this one stopped"
                )
            self._throttled += wait
            self._sleep(wait)
        if status == 401:
            raise AuthError(
                f"github source {self.name!r}: GitHub rejected the token (401) on GET {path}; "
                f"check the token in ${self.settings.token_env}"
            )
        if status >= 500 or status == 429:
            raise RetriesExhausted(
                f"github source {self.name!r}: GET {path} answered {status} after retries; "
                "the next sync resumes where this one stopped"
            )
        if status == 403:
            raise AuthError(
                f"github source {self.name!r}: access denied (403) on GET {path}; give the "
                f"token in ${self.settings.token_env} Issues: read on that repository"
            )
        return _Response(status, resp_headers, data, self._redirect)

    def _secondary_wait(
        self, status: int, headers: Mapping[str, Any], data: Any, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying a rate-limited answer the retry layer handed back."""
        if status not in (403, 429):
            return None
        message = str(data.get("message", "")) if isinstance(data, dict) else ""
        retry_after = str(headers.get("retry-after", "")).strip()
        remaining = str(headers.get("x-ratelimit-remaining", ""))
        if retry_after.isdigit():
            wait = float(retry_after)
        elif remaining == "0" and str(headers.get("x-ratelimit-reset", "")).isdigit():
            wait = float(headers["x-ratelimit-reset"]) - time.time() + 1
        elif status == 429 or "rate limit" in message.lower():
            wait = 60.0 * 2**attempt  # GitHub: at least a minute, then exponential
        else:
            return None
        if remaining == "0" and wait > self._max_wait:
            raise RetriesExhausted(
                f"github source {self.name!r}: rate limit spent for {wait:.0f}s, longer than the "
                f"{self._max_wait:.0f}s wait cap; the next sync resumes where this one stopped"
            )
        return max(0.0, min(wait, self._max_wait))

    def _list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        etag: str | None = None,
        first: _Response | None = None,
    ) -> tuple[_Response, list[Any]]:
        """A paged list: the first response (for its status/ETag) and all elements."""
        if first is None:
            first = self._get(path, {"per_page": PER_PAGE, **(params or {})}, etag)
        if first.status != 200:
            return first, []
        elements = list(first.data) if isinstance(first.data, list) else []
        page, current = 1, first
        while _has_next(current.headers) and len(elements) < 10_000:
            page += 1
            current = self._get(path, {"per_page": PER_PAGE, **(params or {}), "page": page})
            if current.status != 200 or not isinstance(current.data, list):
                break
            elements.extend(current.data)
        return first, elements

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

    def _relations(
        self, batch: _Batch, repo: str, raw: dict[str, Any], item: WorkItem, changed: bool
    ) -> None:
        """Links and history of one listed issue; the extra requests only when it changed."""
        me = self._ref(item.key, item.url, item.tracker_id)
        batch.scopes.append(LinkScope(item.tracker_id, "github_sub_issue", "blocked"))
        if item.parent is not None:
            batch.links.append(_parent_link(item.parent, me))
        if self.settings.text_references:
            batch.links.extend(self._text_links(raw, repo, me))
            batch.scopes.append(LinkScope(item.tracker_id, "text_reference", "blocked"))
        if not changed:
            return
        blockers: dict[str, str] = {}
        summary = raw.get("issue_dependencies_summary")
        if isinstance(summary, dict):
            blockers = self._dependencies(
                batch, repo, raw, me, int(summary.get("total_blocked_by") or 0)
            )
        subs = raw.get("sub_issues_summary")
        if isinstance(subs, dict):
            self._sub_issues(batch, repo, raw, me, int(subs.get("total") or 0))
        self._timeline(batch, repo, int(raw["number"]), me, blockers)

    def _dependencies(
        self, batch: _Batch, repo: str, raw: dict[str, Any], me: ItemRef, total: int
    ) -> dict[str, str]:
        """blocked_by of one changed issue (conditional); returns blocker key → blocker id."""
        if total == 0:
            batch.scopes.append(LinkScope(str(me.tracker_id), "github_dependency", "blocked"))
            if f"etag:blocked_by:{me.tracker_id}" in self._memo:
                self._set_memo(batch, f"etag:blocked_by:{me.tracker_id}", None)
            return {}
        return self._blocked_by(batch, repo, int(raw["number"]), me)[0]

    def _blocked_by(
        self, batch: _Batch, repo: str, number: int, me: ItemRef, first: _Response | None = None
    ) -> tuple[dict[str, str], bool]:
        """blocked_by with the memo ETag: (blocker key → id, whether the list changed).

        The memo keeps the ETag and the blockers it names, so a 304 still knows the ids.
        """
        memo_key = f"etag:blocked_by:{me.tracker_id}"
        stored = _memo_json(self._memo.get(memo_key))
        known = {str(k): str(v) for k, v in (stored.get("blockers") or {}).items()}
        first, blockers = self._list(
            f"/repos/{repo}/issues/{number}/dependencies/blocked_by",
            etag=stored.get("etag"),
            first=first,
        )
        if first.status == 304:
            return known, False
        if first.status != 200:
            return known, False  # 404: no dependencies feature (older GHES); 410: gone
        found: dict[str, str] = {}
        for blocker in blockers:
            ref = self._issue_ref(blocker, batch)
            if ref is None or ref.tracker_id is None:
                continue
            found[ref.key.lower()] = ref.tracker_id
            batch.links.append(
                Link(f"{ref.tracker_id}>{me.tracker_id}", "github_dependency", ref, me)
            )
        batch.scopes.append(LinkScope(str(me.tracker_id), "github_dependency", "blocked"))
        etag = first.headers.get("etag")
        value = {"etag": etag, "key": me.key, "blockers": found}
        self._set_memo(batch, memo_key, json.dumps(value, separators=(",", ":")) if etag else None)
        return found, True

    def _sub_issues(
        self, batch: _Batch, repo: str, raw: dict[str, Any], me: ItemRef, total: int
    ) -> None:
        if total > 0:
            first, children = self._list(f"/repos/{repo}/issues/{int(raw['number'])}/sub_issues")
            if first.status != 200:
                return
            for child in children:
                ref = self._issue_ref(child, batch)
                if ref is not None:
                    batch.links.append(_parent_link(me, ref))
        batch.scopes.append(LinkScope(str(me.tracker_id), "github_sub_issue", "blocker"))

    def _timeline(
        self, batch: _Batch, repo: str, number: int, me: ItemRef, blockers: dict[str, str]
    ) -> None:
        """Label, status and dependency history from the issue timeline."""
        first, events = self._list(f"/repos/{repo}/issues/{number}/timeline")
        if first.status != 200:
            return
        item_id = str(me.tracker_id)
        episodes: dict[str, _Episode] = {}
        current = {f"{bid}>{me.tracker_id}" for bid in blockers.values()}
        ids = dict(blockers)  # grows with blockers removed since, fetched for their ids
        for ev in events:
            if not isinstance(ev, dict):
                continue
            kind, at = ev.get("event"), _dt(ev.get("created_at"))
            if at is None or not isinstance(kind, str):
                continue
            key = f"tl:{ev.get('id') or ev.get('node_id') or f'{item_id}:{kind}:{_iso(at)}'}"
            if kind in ("labeled", "unlabeled"):
                name = (ev.get("label") or {}).get("name")
                if name:
                    added = kind == "labeled"
                    batch.events.append(
                        Event(
                            key,
                            item_id,
                            at,
                            "label",
                            None if added else name,
                            name if added else None,
                        )
                    )
            elif kind in ("closed", "reopened"):
                closing = kind == "closed"
                before, after = ("open", "closed") if closing else ("closed", "open")
                reason = ev.get("state_reason") if closing else None
                batch.events.append(Event(key, item_id, at, "status", before, after, reason))
            elif kind in ("blocked_by_added", "blocked_by_removed"):
                self._dependency_event(batch, ev, key, at, me, ids, episodes)
        self._apply_episodes(batch, me, current, episodes)

    def _dependency_event(
        self,
        batch: _Batch,
        ev: dict[str, Any],
        key: str,
        at: datetime,
        me: ItemRef,
        blockers: dict[str, str],
        episodes: dict[str, _Episode],
    ) -> None:
        """``blocked_by`` in a timeline event is an issue *reference* (number, repository; GHSpec
        ``nullable-issue-reference``), no database id: find the id among the current blockers,
        else fetch that blocker once."""
        reference = ev.get("blocked_by") or {}
        repository = reference.get("repository") or {}
        repo, number = repository.get("full_name"), reference.get("number")
        if not isinstance(repo, str) or not isinstance(number, int):
            return
        blocker_key = f"{repo}#{number}"
        blocker_id = blockers.get(blocker_key.lower())
        if blocker_id is None:
            resp = self._get(f"/repos/{repo}/issues/{number}")
            ref = self._issue_ref(resp.data, batch) if isinstance(resp.data, dict) else None
            if resp.status != 200 or ref is None or ref.tracker_id is None:
                return
            blocker_id = blockers[blocker_key.lower()] = ref.tracker_id
        link_key = f"{blocker_id}>{me.tracker_id}"
        added = ev["event"] == "blocked_by_added"
        batch.events.append(
            Event(
                key,
                str(me.tracker_id),
                at,
                "link",
                to_value="added" if added else "removed",
                link_key=link_key,
                link_origin="github_dependency",
            )
        )
        html = repository.get("html_url")
        ref = self._ref(blocker_key, f"{html}/issues/{number}" if html else None, blocker_id)
        episode = episodes.setdefault(link_key, _Episode(ref))
        if added:
            episode.added, episode.removed = at, None
        else:
            episode.removed = at

    def _apply_episodes(
        self, batch: _Batch, me: ItemRef, current: set[str], episodes: dict[str, _Episode]
    ) -> None:
        """Current links get ``created_at`` from history; removed ones their removal."""
        in_page = {
            ln.link_key: i
            for i, ln in enumerate(batch.links)
            if ln.origin == "github_dependency" and ln.blocked.tracker_id == me.tracker_id
        }
        for link_key, ep in episodes.items():
            if link_key in in_page and ep.added is not None and ep.removed is None:
                old = batch.links[in_page[link_key]]
                batch.links[in_page[link_key]] = Link(
                    link_key, old.origin, old.blocker, old.blocked, created_at=ep.added
                )
            elif link_key not in current and ep.removed is not None:
                batch.links.append(
                    Link(
                        link_key,
                        "github_dependency",
                        ep.ref,
                        me,
                        created_at=ep.added,
                        removed_at=ep.removed,
                    )
                )

    # -- records ------------------------------------------------------------------------------

    def _work_item(self, raw: dict[str, Any], batch: _Batch, in_scope: bool = True) -> WorkItem:
        number, tracker_id = raw["number"], raw["id"]
        if not isinstance(number, int) or not isinstance(tracker_id, int):
            raise SkippableError("id and number must be integers")
        repo = _repo_of(raw)
        created, updated = _dt(raw.get("created_at")), _dt(raw.get("updated_at"))
        if created is None or updated is None:
            raise SkippableError("created_at/updated_at missing or not ISO-8601")
        state = raw.get("state")
        if state not in ("open", "closed"):
            raise SkippableError(f"state {state!r} is neither open nor closed")
        labels = tuple(
            str(lb["name"] if isinstance(lb, dict) else lb) for lb in raw.get("labels") or ()
        )
        assignees = [a.get("login") for a in raw.get("assignees") or () if isinstance(a, dict)]
        assignee = (raw.get("assignee") or {}).get("login") or (assignees[0] if assignees else None)
        category: StatusCategory = (
            "done" if state == "closed" else "in_progress" if assignee else "todo"
        )
        sprint_id = None
        milestone = raw.get("milestone")
        if isinstance(milestone, dict) and milestone.get("id") is not None:
            sprint = _sprint(milestone)
            batch.sprints[sprint.tracker_id] = sprint
            sprint_id = sprint.tracker_id
        parent = None
        if raw.get("parent_issue_url"):
            parent = self._api_ref(str(raw["parent_issue_url"]), str(raw.get("html_url", "")))
        issue_type = (
            (raw.get("type") or {}).get("name") if isinstance(raw.get("type"), dict) else None
        )
        facts = from_labels(
            labels,
            objective_label=self.settings.objective_label,
            planned_prefix=self.settings.business_value_prefix,
            actual_prefix=self.settings.actual_business_value_prefix,
            uncommitted_label=self.settings.uncommitted_label,
        )
        return WorkItem(
            tracker_id=str(tracker_id),
            key=f"{repo}#{number}",
            url=str(raw.get("html_url") or ""),
            title=str(raw.get("title") or ""),
            type=_item_type(issue_type, labels),
            status=state,
            status_category=category,
            created_at=created,
            updated_at=updated,
            container=repo,
            resolved_at=_dt(raw.get("closed_at")) if state == "closed" else None,
            assignee=assignee,
            labels=labels,
            sprint_id=sprint_id,
            parent=parent,
            in_scope=in_scope,
            objective=facts.objective,
            business_value=facts.business_value,
            actual_business_value=facts.actual_business_value,
            committed=facts.committed,
        )

    def _issue_ref(self, raw: dict[str, Any], batch: _Batch) -> ItemRef | None:
        """A ref to an issue object met through a relation; one hop out it is stored too."""
        try:
            repo = _repo_of(raw)
            if repo.lower() not in self._scope and "pull_request" not in raw:
                item = self._work_item(raw, batch, in_scope=False)
                batch.outside[item.tracker_id] = item
            return self._ref(f"{repo}#{int(raw['number'])}", raw.get("html_url"), str(raw["id"]))
        except (SkippableError, KeyError, TypeError, ValueError):
            return None

    def _ref(self, key: str, url: str | None, tracker_id: str | None = None) -> ItemRef:
        repo = key.split("#", 1)[0].lower()
        own = tracker_id is not None or repo in self._scope
        return ItemRef("github", key, url or None, tracker_id, self.name if own else None)

    def _api_ref(self, api_url: str, html_hint: str) -> ItemRef:
        """``parent_issue_url`` (an API URL) as a ref by key; the html URL by analogy."""
        match = API_ISSUE.search(api_url)
        if match is None:
            raise SkippableError(f"parent_issue_url {api_url!r} is not an issue URL")
        repo, number = match["repo"], match["number"]
        html = _html_base(html_hint)
        return self._ref(f"{repo}#{number}", f"{html}/{repo}/issues/{number}" if html else None)

    def _text_links(self, raw: dict[str, Any], repo: str, me: ItemRef) -> list[Link]:
        """Body text like "blocked by ABC-12" or "depends on o/r#7": that item blocks this one."""
        body = raw.get("body")
        if not isinstance(body, str) or not body:
            return []
        html = _html_base(str(raw.get("html_url") or ""))
        links: dict[str, Link] = {}
        for pattern in self._patterns:
            for lead in pattern.finditer(body):
                tail = body[lead.end() :]
                stop = SENTENCE_END.search(tail)
                for ref in self._references(
                    tail[: stop.start() if stop else len(tail)], repo, html
                ):
                    if ref.key.lower() == me.key.lower():
                        continue
                    link_key = f"{ref.tracker}:{ref.key}>{me.tracker_id}"
                    links[link_key] = Link(link_key, "text_reference", ref, me)
        return list(links.values())

    def _references(self, text: str, repo: str, html: str) -> Iterator[ItemRef]:
        for m in REFERENCE.finditer(text):
            if m["jkey"]:
                yield ItemRef("jira", m["jkey"], m["jurl"])
            elif m["gurl"]:
                yield self._ref(f"{m['grepo']}#{m['gnum']}", m["gurl"])
            elif m["key"]:
                yield ItemRef("jira", m["key"])
            elif m["num"]:
                target = m["repo"] or repo
                yield self._ref(
                    f"{target}#{m['num']}", f"{html}/{target}/issues/{m['num']}" if html else None
                )

    def _set_memo(self, batch: _Batch, key: str, value: str | None) -> None:
        batch.memo[key] = value
        if value is None:
            self._memo.pop(key, None)
        else:
            self._memo[key] = value

    # -- census -------------------------------------------------------------------------------

    def _census_walk(self) -> Iterator[Page]:
        """Every issue id in scope (sorted by creation, stable under updates), 100 a page."""
        for repo in self.settings.repos:
            page = 1
            while True:
                params = {"state": "all", "sort": "created", "direction": "asc", "page": page}
                resp = self._get(f"/repos/{repo}/issues", {"per_page": PER_PAGE, **params})
                if resp.status == 404:
                    raise ScopeError(f"github source {self.name!r}: repository {repo} not found")
                data = resp.data if resp.status == 200 and isinstance(resp.data, list) else []
                ids = tuple(
                    str(e["id"])
                    for e in data
                    if isinstance(e, dict)
                    and "pull_request" not in e
                    and isinstance(e.get("id"), int)
                )
                yield Page(census=Census(ids))
                if len(data) < PER_PAGE:
                    break
                page += 1

    # -- dependency sweep ---------------------------------------------------------------------

    def _sweep_due(self, request: SyncRequest, full_walk: bool) -> bool:
        if request.full_sweep:
            return True
        last = _dt(self._memo.get("sweep:last"))
        if last is None:
            return not full_walk  # a full walk just read every dependency
        return request.started_at - last >= timedelta(
            minutes=self.settings.dependency_sweep_minutes
        )

    def _sweep(self, request: SyncRequest, seen: set[str]) -> Iterator[Page]:
        """Re-read blocked_by of open issues with blockers; find open issues that vanished."""
        batch = _Batch()
        for repo in self.settings.repos:
            previous, current, candidates = self._open_walk(repo, batch)
            for tracker_id, number in candidates:
                me = self._ref(f"{repo}#{number}", None, tracker_id)
                found = self._sweep_one(batch, repo, number, me)
                if found is not None:  # the dependencies changed: their history too
                    self._timeline(batch, repo, number, me, found)
                if len(batch.scopes) + len(batch.moves) + len(batch.gone) >= PER_PAGE:
                    yield batch.page()
                    batch = _Batch()
            for tracker_id in sorted(set(previous) - set(current) - seen):
                self._classify(batch, tracker_id, repo, previous[tracker_id])
        batch.memo["sweep:last"] = _iso(request.started_at)
        yield batch.page()

    def _open_walk(
        self, repo: str, batch: _Batch
    ) -> tuple[dict[str, int], dict[str, int], list[tuple[str, int]]]:
        """Open issues by creation order, each list page conditional on its stored ETag.

        Returns (open ids → numbers at the last sweep, open ids now, (id, number) to re-read).
        """
        previous: dict[str, int] = {}
        current: dict[str, int] = {}
        candidates: list[tuple[str, int]] = []
        page = 1
        while True:
            memo_key = f"sweep:{repo}:{page}"
            stored = _memo_json(self._memo.get(memo_key))
            old_rows = [r for r in stored.get("open", []) if isinstance(r, list) and len(r) == 3]
            previous.update({str(r[0]): int(r[1]) for r in old_rows})
            params = {"state": "open", "sort": "created", "direction": "asc", "page": page}
            resp = self._get(
                f"/repos/{repo}/issues", {"per_page": PER_PAGE, **params}, stored.get("etag")
            )
            if resp.status == 304:
                rows, count = old_rows, int(stored.get("n", 0))
            elif resp.status == 200 and isinstance(resp.data, list):
                rows = [
                    [e["id"], e["number"], _total_blocked_by(e)]
                    for e in resp.data
                    if isinstance(e, dict)
                    and "pull_request" not in e
                    and isinstance(e.get("id"), int)
                    and isinstance(e.get("number"), int)
                ]
                count = len(resp.data)
                value = {"etag": resp.headers.get("etag"), "n": count, "open": rows}
                self._set_memo(batch, memo_key, json.dumps(value, separators=(",", ":")))
            else:
                return previous, current, candidates  # unknown repo state: sweep it next time
            for tracker_id, number, total in rows:
                current[str(tracker_id)] = int(number)
                if total > 0 or f"etag:blocked_by:{tracker_id}" in self._memo:
                    candidates.append((str(tracker_id), int(number)))
            if count < PER_PAGE:
                break
            page += 1
        stale = page + 1
        while f"sweep:{repo}:{stale}" in self._memo:  # the open list got shorter
            old = _memo_json(self._memo.get(f"sweep:{repo}:{stale}"))
            previous.update({str(r[0]): int(r[1]) for r in old.get("open", []) if len(r) == 3})
            self._set_memo(batch, f"sweep:{repo}:{stale}", None)
            stale += 1
        return previous, current, candidates

    def _sweep_one(
        self, batch: _Batch, repo: str, number: int, me: ItemRef
    ) -> dict[str, str] | None:
        """One conditional blocked_by read: the blockers when they changed, else None."""
        path = f"/repos/{repo}/issues/{number}/dependencies/blocked_by"
        etag = _memo_json(self._memo.get(f"etag:blocked_by:{me.tracker_id}")).get("etag")
        probe = self._get(path, {"per_page": PER_PAGE}, etag)
        if probe.status == 304:
            return None
        if probe.redirected_to or probe.status in (404, 410):
            self._classify(batch, str(me.tracker_id), repo, number)
            return None
        found, changed = self._blocked_by(batch, repo, number, me, first=probe)
        return found if changed else None

    def _classify(self, batch: _Batch, tracker_id: str, repo: str, number: int) -> None:
        """An issue that left the open list without an update we saw: moved, gone or closed."""
        resp = self._get(f"/repos/{repo}/issues/{number}")
        memo_key = f"etag:blocked_by:{tracker_id}"
        if resp.status in (404, 410):
            reason = "deleted (410)" if resp.status == 410 else "not found or not visible (404)"
            batch.gone.append(Gone(tracker_id, reason))
        elif resp.status == 200 and isinstance(resp.data, dict):
            try:
                new_repo = _repo_of(resp.data)
            except SkippableError:
                return
            new_key = f"{new_repo}#{resp.data.get('number')}"
            if resp.redirected_to or new_key.lower() != f"{repo}#{number}".lower():
                batch.moves.append(Move(tracker_id, new_key, resp.data.get("html_url")))
            else:
                return  # still here (closed, or reopened elsewhere in the list)
        else:
            return
        if memo_key in self._memo:
            self._set_memo(batch, memo_key, None)


# -- parsing helpers ---------------------------------------------------------------------------


def _json(body: str) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _has_next(headers: Mapping[str, Any]) -> bool:
    return 'rel="next"' in str(headers.get("link", ""))


def _dt(value: Any) -> datetime | None:
    """GitHub timestamps (``2026-03-01T10:00:00Z``) as aware UTC; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def _updated(raw: dict[str, Any]) -> datetime | None:
    return _dt(raw.get("updated_at"))


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: Any) -> int:
    return value if isinstance(value, int) else -1


def _repo_of(raw: dict[str, Any]) -> str:
    url = raw.get("repository_url")
    if isinstance(url, str) and "/repos/" in url:
        repo = url.rsplit("/repos/", 1)[1].strip("/")
        if REPO.match(repo):
            return repo
    repository = raw.get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("full_name"), str):
        return str(repository["full_name"])
    raise SkippableError("repository_url missing: cannot tell the issue's repository")


def _key_of(repo: str, raw: dict[str, Any]) -> str:
    number = raw.get("number")
    return f"{repo}#{number}" if isinstance(number, int) else f"{repo}#?"


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} missing"
    return str(exc) or type(exc).__name__


def _html_base(html_url: str) -> str:
    """``https://github.com/o/r/issues/5`` → ``https://github.com``."""
    match = re.match(r"^(https?://.+?)/[^/]+/[^/]+/(?:issues|pull)/\d+", html_url)
    return match[1] if match else ""


def _item_type(issue_type: str | None, labels: Iterable[str]) -> ItemType:
    for name in (issue_type, *labels):
        if name and name.strip().lower() in ITEM_TYPES:
            return ITEM_TYPES[name.strip().lower()]
    return "other"


def _sprint(milestone: dict[str, Any]) -> Sprint:
    return Sprint(
        tracker_id=str(milestone["id"]),
        name=str(milestone.get("title") or milestone["id"]),
        state=milestone.get("state"),
        end=_dt(milestone.get("due_on")),
        completed=_dt(milestone.get("closed_at")),
    )


def _parent_link(parent: ItemRef, child: ItemRef) -> Link:
    # keyed by the parent's key: a child's parent_issue_url names no database id
    return Link(
        f"{parent.key}>{child.tracker_id}", "github_sub_issue", parent, child, kind="parent"
    )


def _total_blocked_by(raw: dict[str, Any]) -> int:
    summary = raw.get("issue_dependencies_summary")
    if isinstance(summary, dict):
        return int(summary.get("total_blocked_by") or 0)
    return 0


def _memo_json(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
