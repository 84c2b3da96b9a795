"""The connector contract: typed records, pages, and the Protocol every connector implements.

A connector knows its tracker's API and nothing of our database. It yields `Page`s; the sync
engine (``sync.engine``) stores each page's records together with the cursor it reaches in one
transaction. Records are frozen, slotted dataclasses with aware UTC datetimes: no dict leaves a
connector.

Vocabulary
----------
* ``tracker_id``: the tracker's stable id (Jira issue id, GitHub issue database id), as a string.
* ``key``: the human key (``CHK-12``, ``acme/web#7``); it may change (Jira project moves).
* ``ItemRef``: points at an item that may or may not be synced (yet): by tracker id when the
  connector knows it, else by key and url. The engine resolves refs to stored items, also later,
  when the item arrives from another source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

SyncMode = Literal["incremental", "backfill"]
StatusCategory = Literal["todo", "in_progress", "done"]
ItemType = Literal["epic", "feature", "story", "task", "bug", "other"]
LinkOrigin = Literal[
    "jira_link", "jira_remote_link", "github_dependency", "github_sub_issue", "text_reference"
]
LinkKind = Literal["blocks", "parent"]
LinkRole = Literal["blocker", "blocked", "either", "own"]

# Event fields (the vocabulary reports replay for --as-of):
#   status   from/to = raw status names
#   flagged  from/to = "" (not flagged) or the flag value ("Impediment"); reason in `detail`
#   label    to = label added, or from = label removed
#   sprint   from/to = tracker sprint ids (comma-separated when several)
#   parent   from/to = parent keys
#   link     to = "added" or "removed"; link_key + link_origin name the Link it belongs to
#   activity any other change by a person or bot (an edit, a comment); what in `detail`
# Every event may name its `author` (stable account id or login) and `author_name` (display).
EventField = Literal["status", "flagged", "label", "sprint", "parent", "link", "activity"]


def _check_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A pointer at a work item, possibly in another tracker or not synced yet.

    ``tracker`` is the tracker kind ("jira", "github"). ``source`` is set when the connector
    knows the item belongs to its own source; otherwise the engine resolves by key/url.
    """

    tracker: str
    key: str
    url: str | None = None
    tracker_id: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Sprint:
    """A tracker sprint (Jira sprint, GitHub milestone)."""

    tracker_id: str
    name: str
    state: str | None = None  # future / active / closed (Jira), open / closed (GitHub)
    start: datetime | None = None
    end: datetime | None = None
    completed: datetime | None = None
    board_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end", "completed"):
            _check_aware(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class WorkItem:
    tracker_id: str
    key: str
    url: str
    title: str
    type: ItemType
    status: str
    status_category: StatusCategory
    created_at: datetime
    updated_at: datetime
    container: str  # Jira project key / GitHub "owner/repo": what team rules match on
    resolved_at: datetime | None = None
    assignee: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    team_field: str | None = None  # Jira Team field value (id), when the site has one
    sprint_id: str | None = None  # current tracker sprint id (see Sprint)
    parent: ItemRef | None = None
    flagged: bool = False
    flag_reason: str | None = None
    story_points: float | None = None
    in_scope: bool = True  # False: fetched one hop out, outside the configured scope
    # PI objectives (``connectors.objectives``): business values as the tracker states them
    objective: bool = False
    business_value: float | None = None
    actual_business_value: float | None = None
    committed: bool = True

    def __post_init__(self) -> None:
        for name in ("created_at", "updated_at", "resolved_at"):
            _check_aware(name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class Link:
    """A directed link: ``blocker`` blocks ``blocked`` (or, kind="parent", blocker is the parent).

    ``link_key`` is unique per (source, origin): the Jira link id, or "blockerId>blockedId" for
    GitHub dependencies. ``created_at`` comes from history when the tracker has it, else None and
    the engine uses "first seen"; a text reference carries the ``updated_at`` of the read that
    saw it (the engine dates one met on its item's first read from the item's creation).
    ``removed_at`` set means the tracker's history shows the removal.
    """

    link_key: str
    origin: LinkOrigin
    blocker: ItemRef
    blocked: ItemRef
    kind: LinkKind = "blocks"
    created_at: datetime | None = None
    removed_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_aware("created_at", self.created_at)
        _check_aware("removed_at", self.removed_at)


@dataclass(frozen=True, slots=True)
class LinkScope:
    """Asserts that the page's links of ``origin`` touching item ``tracker_id`` in ``role`` are
    complete: any stored link of that origin/item/role not in the page is gone (engine sets
    ``removed_at``). ``own``: the links kept *on* this item (a Jira remote link lives on one
    issue, its ``link_key`` starts with ``tracker_id:``), whichever end the item is; another
    issue's remote link naming this one is not in its scope."""

    tracker_id: str
    origin: LinkOrigin
    role: LinkRole = "either"


@dataclass(frozen=True, slots=True)
class Event:
    """One change in an item's history. ``event_key`` is unique within the source (idempotency)."""

    event_key: str
    item_tracker_id: str
    at: datetime
    field: EventField
    from_value: str | None = None
    to_value: str | None = None
    detail: str | None = None
    link_key: str | None = None
    link_origin: LinkOrigin | None = None
    author: str | None = None
    author_name: str | None = None

    def __post_init__(self) -> None:
        _check_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record the connector could not parse: stored with its reason; the page goes on."""

    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class Census:
    """Tracker ids seen in a full scope walk. ``complete`` on the last census page lets the engine
    mark in-scope items never listed as missing (and clear ``missing`` on those listed)."""

    tracker_ids: tuple[str, ...]
    complete: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    """An item that now lives elsewhere (GitHub transfer 301; Jira move is just a new key)."""

    tracker_id: str
    new_key: str | None = None
    new_url: str | None = None


@dataclass(frozen=True, slots=True)
class Alias:
    """An earlier key of item ``tracker_id`` (a Jira ``Key`` changelog item after a project
    move): links and references naming it resolve to the item. ``at``: when it was renamed."""

    tracker_id: str
    key: str
    at: datetime | None = None

    def __post_init__(self) -> None:
        _check_aware("at", self.at)


@dataclass(frozen=True, slots=True)
class Gone:
    """An item the tracker says is deleted or invisible (410/404): marked missing, history kept."""

    tracker_id: str
    reason: str


@dataclass(slots=True)
class Page:
    """What a connector yields: records plus the cursor they reach.

    ``cursor``: the watermark this page reaches (None: no advance; unsorted streams advance only at
    the end). ``memo``: connector memo entries to persist with the page (value None deletes), e.g.
    ETags or discovered field ids: stored in the same transaction as the records they describe.
    ``progress``: (done, total or None) for progress bars.
    """

    items: Sequence[WorkItem] = ()
    links: Sequence[Link] = ()
    link_scopes: Sequence[LinkScope] = ()
    events: Sequence[Event] = ()
    sprints: Sequence[Sprint] = ()
    quarantined: Sequence[Quarantined] = ()
    census: Census | None = None
    moves: Sequence[Move] = ()
    gone: Sequence[Gone] = ()
    aliases: Sequence[Alias] = ()
    cursor: datetime | None = None
    memo: Mapping[str, str | None] = field(default_factory=dict)
    progress: tuple[int, int | None] | None = None
    # history (current state first): items stored without their history, and items whose
    # history is now in; until then their dates are provisional
    history_deferred: Sequence[str] = ()
    history_read: Sequence[str] = ()


def _nothing_pending(_limit: int) -> Sequence[tuple[str, str]]:
    return ()


def _no_keys() -> Sequence[str]:
    return ()


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """What the engine asks of a connector for one run.

    ``since``: fetch what changed at or after this instant (already lookback-adjusted, UTC); None
    means everything. ``until``: upper bound for backfill windows. ``memo``: persisted memo
    entries (read-only view). ``stored_updated``: for a batch of tracker ids, the ``updated_at``
    already stored, so unchanged items are not fetched again (this is how a rerun resumes cheaply).
    ``census``: walk the whole scope and yield Census pages this run. ``history_pending``: up
    to ``limit`` stored items (tracker id, key) whose history a first pass deferred.
    ``census``: walk the whole scope and yield Census pages this run. ``unresolved``: keys of
    this tracker kind that stored links name but no stored item (nor an old key of one) has:
    a connector may ask its tracker what they are now (a transferred issue's old URL answers
    301) and yield an ``Alias``.
    """

    mode: SyncMode
    started_at: datetime
    since: datetime | None
    until: datetime | None
    memo: Mapping[str, str]
    stored_updated: Callable[[Sequence[str]], Mapping[str, datetime]]
    census: bool = False
    full_sweep: bool = False
    history_pending: Callable[[int], Sequence[tuple[str, str]]] = _nothing_pending
    unresolved: Callable[[], Sequence[str]] = _no_keys


def _ignore(_response: Any) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Transport:
    """HTTP settings the engine hands every connector (the engine owns retries and budgets).

    ``retry`` is a ``connectors.http.BudgetRetry`` (a ``urllib3`` ``Retry``) that both client
    libraries accept, with the libraries' own retries off; ``timeout`` is seconds per request;
    ``max_wait`` the longest single wait allowed (below the sync interval) for connectors that
    pace themselves (GitHub's rate-limit budget); ``on_response`` an optional observer.
    """

    retry: Any
    timeout: float
    max_wait: float = 60.0
    on_response: Callable[[Any], None] = _ignore


@runtime_checkable
class Connector(Protocol):
    """One class per tracker kind, registered in the ``trainyard.connectors`` entry-point group."""

    kind: ClassVar[str]
    Settings: ClassVar[type[Any]]  # frozen dataclass of the source's config keys

    def __init__(self, name: str, settings: Any, transport: Transport) -> None: ...

    def pages(self, request: SyncRequest) -> Iterator[Page]: ...

    def stats(self) -> Mapping[str, Any]:
        """Counters for the run record: {"requests": int, "rate_limit_remaining": int | None}."""
        ...
