"""Jira connector (Cloud and Data Center): issues, links, sprints and full history as pages.

How it reads (``api-facts.md`` §1-8 say why each step is needed):

* **Cloud** — a census over the scope with ``GET /rest/api/3/search/jql`` (``fields=id,updated``,
  5000 a page, ``nextPageToken``; ordered ``updated ASC`` so each page is a safe watermark), then
  ``POST /issue/bulkfetch`` (100 ids) for the ids whose ``updated`` differs from what is stored
  (``request.stored_updated``: reruns and resumes skip stored work), then
  ``POST /changelog/bulkfetch`` for their full, oldest-first history (``expand=changelog`` is
  truncated).
* **Data Center** — the same census idea over ``/rest/api/2/search`` with ``startAt``, ordered
  ``created ASC, key ASC`` (offset paging over ``updated`` skips rows) and split into windows by
  ``created`` before the 10,000-result limit; changed issues are read with ``expand=changelog``,
  and a truncated changelog (``total > len(histories)``) is completed with a per-issue GET.
* Incremental JQL bounds are **epoch-milliseconds** literals (``updated >= 1732877091000``): they
  carry no timezone and no minute truncation, unlike ``"yyyy-MM-dd HH:mm"`` strings, which Jira
  reads in the API user's profile timezone.
* Custom field ids (Sprint, Flagged, Team, Story Points, Epic/Parent Link) and link types are
  discovered by schema once and kept in the connector memo; a miss triggers one rediscovery.

Link direction: for every type named in ``blocks_link_types`` the issue on the *outward* side
("X blocks Y": ``outwardIssue`` Y seen on X) is the blocker, unless the type's outward phrase
means the opposite ("depends on", "is blocked by", "requires", "needs"), in which case the outward
side is the blocked one. Remote links to GitHub issues become cross-tracker links when their
``relationship`` says "blocks" (the Jira issue blocks the GitHub one) or "is blocked by"/"depends
on"/"requires" (the GitHub issue blocks the Jira one); other relationships ("mentioned in",
"relates to") are not dependencies and are skipped.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
from jira import JIRA, JIRAError
from requests.adapters import HTTPAdapter

from connectors.base import (
    Census,
    Event,
    ItemRef,
    ItemType,
    Link,
    LinkScope,
    Page,
    Quarantined,
    Sprint,
    StatusCategory,
    SyncRequest,
    Transport,
    WorkItem,
)
from connectors.errors import AuthError, FatalError, RetriesExhausted, ScopeError, SkippableError
from connectors.objectives import from_jira

CENSUS_PAGE = 5000  # search/jql returns up to 5000 ids a page when only id/updated are asked
BULK = 100  # issue/bulkfetch takes at most 100 ids
CHANGELOG_PAGE = 10000  # changelog/bulkfetch maxResults ceiling
DC_CENSUS_PAGE = 1000  # jira.search.views.default.max default on Data Center
DC_WINDOW = 10000  # Data Center search fails at startAt >= 10,000 (max_result_window)
MEMO_KEY = "jira.fields.v1"
FLAG_COMMENT_WINDOW = 300.0  # seconds between a flag change and its "(flag) Flag added" comment

SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
TEAM_SCHEMAS = (
    "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
    "com.atlassian.teams:rm-teams-custom-field-team",
)
STORY_POINT_SCHEMAS = ("com.pyxis.greenhopper.jira:jsw-story-points",)
STORY_POINT_NAMES = ("story points", "story point estimate")
EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
PARENT_LINK_SCHEMA = "com.atlassian.jpo:jpo-custom-field-parent"
FLAGGED_SCHEMA = "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"

PARENT_FIELDS = frozenset(
    {"IssueParentAssociation", "Epic Link", "Parent Link", "Parent", "parent"}
)
REMOTE_LINK_FIELDS = frozenset({"RemoteIssueLink", "RemoteWorkItemLink"})
REVERSED_PHRASES = ("depends on", "is blocked by", "blocked by", "requires", "needs")
KEY_RE = re.compile(r"\b[A-Z][A-Z0-9_]*-\d+\b")
GITHUB_ISSUE_RE = re.compile(
    r"^https?://(?P<host>[^/\s]+)/(?P<owner>[^/\s]+)/(?P<repo>[^/\s]+)/issues/(?P<num>\d+)/?"
    r"(?:[?#]\S*)?$"
)
ORDER_BY_RE = re.compile(r"\s+order\s+by\s+.*$", re.I | re.S)
SPRINT_STRING_RE = re.compile(r"\[(?P<body>.*)\]\s*$", re.S)
CATEGORY: Mapping[str, StatusCategory] = {
    "new": "todo",
    "undefined": "todo",
    "indeterminate": "in_progress",
    "done": "done",
}


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """The keys of a ``[[sources]]`` table with ``kind = "jira"``."""

    url: str
    token_env: str
    user_env: str | None = None  # Cloud: e-mail + API token (basic); absent: Data Center PAT
    projects: tuple[str, ...] = ()
    jql: str | None = None
    blocks_link_types: tuple[str, ...] = ("Blocks",)
    # PI objectives (connectors.objectives): by issue type or label; values by field name
    objective_issue_type: str | None = None
    objective_label: str | None = None
    business_value_field: str = "Business Value"
    actual_business_value_field: str = "Actual Business Value"
    committed_field: str | None = None
    uncommitted_label: str = "uncommitted"

    @property
    def reads_objectives(self) -> bool:
        return bool(self.objective_issue_type or self.objective_label)

    def objective_field_names(self) -> tuple[str, ...]:
        names = (self.business_value_field, self.actual_business_value_field, self.committed_field)
        return tuple(n for n in names if n) if self.reads_objectives else ()

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"url: {self.url!r} is not an http(s) URL")
        if bool(self.projects) == bool(self.jql):
            raise ValueError('projects: set exactly one of projects = [...] or jql = "..."')
        if not self.blocks_link_types:
            raise ValueError('blocks_link_types: name at least one link type, e.g. ["Blocks"]')

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"jira_projects": self.projects or None}


# --------------------------------------------------------------------------------------------
# Small parsers (pure functions: unit-tested on their own)
# --------------------------------------------------------------------------------------------


def parse_time(value: Any, what: str = "date") -> datetime:
    """Jira timestamps (``2026-04-10T12:00:00.000+0000``) → aware UTC, else skippable."""
    if not isinstance(value, str) or not value:
        raise SkippableError(f"{what}: expected a timestamp, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SkippableError(f"{what}: unparseable timestamp {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise SkippableError(f"{what}: timestamp {value[:40]!r} has no offset")
    return parsed.astimezone(UTC)


def maybe_time(value: Any, what: str = "date") -> datetime | None:
    if value in (None, "", "<null>"):
        return None
    return parse_time(value, what)


def epoch_ms(moment: datetime) -> int:
    """The JQL literal for an instant: epoch milliseconds carry no timezone and no truncation."""
    return int(moment.timestamp() * 1000)


def parse_sprint(value: Any) -> Sprint:
    """One Sprint field entry: a Cloud object, or an old Server ``…Sprint@…[id=…,…]`` string."""
    if isinstance(value, dict):
        board = value.get("boardId", value.get("originBoardId"))
        return Sprint(
            tracker_id=str(value["id"]),
            name=str(value.get("name") or value["id"]),
            state=(str(value["state"]).lower() if value.get("state") else None),
            start=maybe_time(value.get("startDate"), "sprint startDate"),
            end=maybe_time(value.get("endDate"), "sprint endDate"),
            completed=maybe_time(value.get("completeDate"), "sprint completeDate"),
            board_id=str(board) if board is not None else None,
        )
    if isinstance(value, str):
        match = SPRINT_STRING_RE.search(value)
        if match is None:
            raise SkippableError(f"sprint: unrecognised value {value[:60]!r}")
        pairs = (part.split("=", 1) for part in re.split(r",(?=[A-Za-z]+=)", match["body"]))
        attrs = {k: v for k, v in (p for p in pairs if len(p) == 2)}
        if "id" not in attrs:
            raise SkippableError(f"sprint: no id in {value[:60]!r}")
        board = attrs.get("rapidViewId")
        return Sprint(
            tracker_id=attrs["id"],
            name=attrs.get("name") or attrs["id"],
            state=(attrs.get("state") or "").lower() or None,
            start=maybe_time(attrs.get("startDate"), "sprint startDate"),
            end=maybe_time(attrs.get("endDate"), "sprint endDate"),
            completed=maybe_time(attrs.get("completeDate"), "sprint completeDate"),
            board_id=board if board not in (None, "<null>") else None,
        )
    raise SkippableError(f"sprint: unexpected {type(value).__name__}")


def current_sprint(sprints: Sequence[Sprint]) -> Sprint | None:
    """The item's sprint now: the active one, else the next future one, else the last closed."""
    for state in ("active", "future"):
        found = [s for s in sprints if s.state == state]
        if found:
            return found[0] if state == "active" else min(found, key=_sprint_order)
    return max(sprints, key=_sprint_order) if sprints else None


def _sprint_order(sprint: Sprint) -> tuple[datetime, int]:
    moment = sprint.start or sprint.end or datetime.min.replace(tzinfo=UTC)
    return moment, int(sprint.tracker_id) if sprint.tracker_id.isdigit() else 0


def item_type(issuetype: Mapping[str, Any]) -> ItemType:
    """Issue type → our vocabulary; ``hierarchyLevel`` decides for renamed or custom types."""
    name = str(issuetype.get("name") or "").lower()
    level = issuetype.get("hierarchyLevel")
    if name == "epic" or level == 1:
        return "epic"
    if name in ("feature", "capability", "initiative") or (isinstance(level, int) and level > 1):
        return "feature"
    if name in ("story", "user story"):
        return "story"
    if name in ("bug", "defect", "incident"):
        return "bug"
    if name in ("task", "sub-task", "subtask", "technical task", "spike") or level == -1:
        return "task"
    return "other"


def adf_text(body: Any) -> str:
    """Plain text of a comment body: wiki markup (v2) as is, Atlassian Document Format flattened."""
    if isinstance(body, str):
        return body
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "text":
                parts.append(str(node.get("text", "")))
            elif kind == "emoji":
                attrs = node.get("attrs") or {}
                parts.append(str(attrs.get("text") or attrs.get("shortName") or ""))
            elif kind == "hardBreak":
                parts.append("\n")
            for child in node.get("content") or ():
                walk(child)
            if kind in ("paragraph", "heading"):
                parts.append("\n")
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(body)
    return "".join(parts).strip()


def flag_reason(text: str) -> str | None:
    """The reason in a "(flag) Flag added" comment: whatever follows the marker line."""
    lines = text.strip().splitlines()
    if not lines or "flag added" not in lines[0].lower():
        return None
    reason = "\n".join(line for line in lines[1:]).strip()
    return reason or None


def github_ref(url: str) -> ItemRef | None:
    """A GitHub (or GHE) issue URL → ItemRef; None for any other URL."""
    match = GITHUB_ISSUE_RE.match(url.strip())
    if match is None:
        return None
    key = f"{match['owner']}/{match['repo']}#{match['num']}"
    return ItemRef(tracker="github", key=key, url=url.strip())


def remote_direction(relationship: str) -> str | None:
    """Who blocks whom per a remote link's relationship text; None: not a dependency."""
    text = relationship.lower()
    if any(p in text for p in ("is blocked by", "blocked by", "depends on", "requires")):
        return "gh_blocks"
    if "blocks" in text:
        return "jira_blocks"
    return None


# --------------------------------------------------------------------------------------------
# Discovered site configuration (memoised)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinkType:
    name: str
    inward: str
    outward: str

    @property
    def reversed(self) -> bool:
        """True when the outward phrase means "is blocked by" (the outward side is blocked)."""
        outward = self.outward.lower()
        return any(outward.startswith(p) for p in REVERSED_PHRASES)


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Site-specific custom field ids and link types, discovered by schema."""

    sprint: str | None = None
    flagged: str | None = None
    team: str | None = None
    story_points: str | None = None
    epic_link: str | None = None
    parent_link: str | None = None
    link_types: tuple[LinkType, ...] = ()
    named: tuple[tuple[str, str], ...] = ()  # (folded name, id) of every custom field

    def id_named(self, name: str | None) -> str | None:
        """A custom field's id by its name (case-insensitive), as objectives configure them."""
        folded = (name or "").casefold()
        return next((fid for n, fid in self.named if n == folded), None) if folded else None

    def custom_ids(self) -> list[str]:
        ids = (
            self.sprint,
            self.flagged,
            self.team,
            self.story_points,
            self.epic_link,
            self.parent_link,
        )
        return [i for i in ids if i]

    def to_memo(self) -> str:
        data = {
            "sprint": self.sprint,
            "flagged": self.flagged,
            "team": self.team,
            "story_points": self.story_points,
            "epic_link": self.epic_link,
            "parent_link": self.parent_link,
            "link_types": [[t.name, t.inward, t.outward] for t in self.link_types],
            "named": [list(pair) for pair in self.named],
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_memo(cls, text: str | None) -> FieldMap | None:
        if not text:
            return None
        try:
            data = json.loads(text)
            types = tuple(LinkType(str(n), str(i), str(o)) for n, i, o in data["link_types"])
            return cls(
                sprint=data.get("sprint"),
                flagged=data.get("flagged"),
                team=data.get("team"),
                story_points=data.get("story_points"),
                epic_link=data.get("epic_link"),
                parent_link=data.get("parent_link"),
                link_types=types,
                named=tuple((str(n), str(i)) for n, i in data.get("named", [])),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a memo from an older layout: rediscover

    @classmethod
    def discover(cls, fields: Iterable[Mapping[str, Any]], link_types: Iterable[Any]) -> FieldMap:
        found: dict[str, str] = {}
        named: list[tuple[str, str]] = []
        for fld in fields:
            schema = fld.get("schema") or {}
            custom = str(schema.get("custom") or "")
            name = str(fld.get("name") or "").lower()
            fid = str(fld.get("id") or "")
            if not fid:
                continue
            if fid.startswith("customfield_"):
                named.append((name.casefold(), fid))
            if custom == SPRINT_SCHEMA:
                found.setdefault("sprint", fid)
            elif custom in TEAM_SCHEMAS:
                found.setdefault("team", fid)
            elif name == "flagged" and (custom == FLAGGED_SCHEMA or schema.get("type") == "array"):
                found.setdefault("flagged", fid)
            elif custom in STORY_POINT_SCHEMAS:
                found["story_points"] = fid  # the schema beats a field merely named so
            elif name in STORY_POINT_NAMES and schema.get("type") == "number":
                found.setdefault("story_points", fid)
            elif custom == EPIC_LINK_SCHEMA:
                found.setdefault("epic_link", fid)
            elif custom == PARENT_LINK_SCHEMA:
                found.setdefault("parent_link", fid)
        types = tuple(
            LinkType(str(t["name"]), str(t.get("inward") or ""), str(t.get("outward") or ""))
            for t in link_types
            if isinstance(t, Mapping) and t.get("name")
        )
        return cls(link_types=types, named=tuple(named), **found)


# --------------------------------------------------------------------------------------------
# HTTP: the jira client, our retry adapter, errors mapped to connector errors
# --------------------------------------------------------------------------------------------


class JiraApi:
    """The ``jira.JIRA`` client with our retry layer mounted; raw JSON calls where it lacks them."""

    def __init__(self, name: str, settings: JiraSettings, transport: Transport) -> None:
        self.name = name
        self.base = settings.url.rstrip("/")
        self.transport = transport
        self.responses = 0
        self.rate_limit_remaining: int | None = None
        token = _secret(name, settings.token_env)
        auth: dict[str, Any] = (
            {"basic_auth": (_secret(name, settings.user_env), token)}
            if settings.user_env
            else {"token_auth": token}
        )
        # get_server_info=False: the constructor would call serverInfo before our adapter is
        # mounted (unretried, untimed); max_retries=0: ResilientSession's retries have gaps.
        self.client = JIRA(
            server=self.base,
            get_server_info=False,
            max_retries=0,
            timeout=transport.timeout,
            logging=False,
            **auth,
        )
        self.session: requests.Session = self.client._session
        adapter = HTTPAdapter(max_retries=transport.retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.hooks["response"].append(self._observe)

    def _observe(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.responses += 1
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is not None and remaining.isdigit():
            self.rate_limit_remaining = int(remaining)
        self.transport.on_response(response)

    @property
    def requests(self) -> int:
        """HTTP attempts: responses seen plus attempts retried inside urllib3."""
        stats = getattr(self.transport.retry, "stats", None)
        return self.responses + int(getattr(stats, "retries", 0) or 0)

    def server_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call(self.client.server_info, "/rest/api/2/serverInfo")
        self.client.deploymentType = info.get("deploymentType")  # lets cloud_api helpers work
        return info

    def remote_links(self, issue_id: str) -> list[dict[str, Any]]:
        path = f"/rest/api/2/issue/{issue_id}/remotelink"
        links = self._call(lambda: self.client.remote_links(issue_id), path)
        return [link.raw for link in links]

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = self.base + path
        return self._call(lambda: self.session.get(url, params=params).json(), path)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        url = self.base + path
        data = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        return self._call(lambda: self.session.post(url, data=data, headers=headers).json(), path)

    def _call(self, fn: Any, path: str) -> Any:
        """Run one request; failures become one-line connector errors (never ``str(JIRAError)``:
        it prints the request headers, credentials included)."""
        try:
            return fn()
        except JIRAError as exc:
            raise self._error(exc.status_code, path, exc.response) from None
        except RetriesExhausted:
            raise
        except requests.RequestException as exc:
            raise RetriesExhausted(
                f"jira source {self.name!r}: lost the connection on {path} "
                f"({type(exc).__name__}); the next sync resumes where this one stopped"
            ) from None
        except ValueError:
            raise FatalError(
                f"jira source {self.name!r}: {path} did not answer JSON; check that url points "
                "at the Jira site (not a login page or proxy)"
            ) from None

    def _error(self, status: int | None, path: str, response: Any) -> FatalError:
        who = f"jira source {self.name!r}"
        if status in (401, 403):
            return AuthError(
                f"{who}: Jira rejected the credentials (HTTP {status} on {path}); check the "
                "token (and user e-mail for Cloud) in the environment variables the config names"
            )
        if status in (400, 404):
            detail = _jira_messages(response)
            return ScopeError(
                f"{who}: Jira rejected the scope (HTTP {status} on {path}: {detail}); check "
                "projects / jql in the config"
            )
        return RetriesExhausted(
            f"{who}: HTTP {status} on {path} after retries; the next sync resumes where this one "
            "stopped"
        )


def _secret(source: str, env: str | None) -> str:
    if not env:
        raise AuthError(f"jira source {source!r}: no credential variable configured")
    try:
        return os.environ[env]
    except KeyError:
        raise AuthError(
            f"jira source {source!r}: environment variable {env} is not set; export it"
        ) from None


def _jira_messages(response: Any) -> str:
    try:
        body = response.json()
        messages = list(body.get("errorMessages") or []) + list((body.get("errors") or {}).values())
        return "; ".join(str(m) for m in messages)[:300] or "no detail"
    except Exception:  # a non-JSON error page: the status line says enough
        return "no detail"


# --------------------------------------------------------------------------------------------
# Issue → records
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Batch:
    """Records of one page under construction; links deduped by key."""

    items: list[WorkItem] = field(default_factory=list)
    links: dict[str, Link] = field(default_factory=dict)
    scopes: list[LinkScope] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    sprints: dict[str, Sprint] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    remote_ids: list[tuple[str, str]] = field(default_factory=list)  # (issue id, key) to fetch
    outside: dict[str, str] = field(default_factory=dict)  # linked id → key, outside the scope
    remote_times: dict[str, datetime] = field(default_factory=dict)  # "issue:remote id" → added

    def page(self, **extra: Any) -> Page:
        return Page(
            items=self.items,
            links=list(self.links.values()),
            link_scopes=self.scopes,
            events=self.events,
            sprints=list(self.sprints.values()),
            quarantined=self.quarantined,
            **extra,
        )


@dataclass(frozen=True, slots=True)
class LinkChange:
    """One ``Link`` changelog item, oriented: ``outward`` <type.outward> ``inward``."""

    event_key: str
    at: datetime
    added: bool
    other_key: str
    ltype: LinkType
    self_outward: bool


class IssueReader:
    """Turns raw issue JSON and its histories into records; one per run."""

    def __init__(self, source: str, settings: JiraSettings, fields: FieldMap, base: str) -> None:
        self.source = source
        self.settings = settings
        self.fields = fields
        self.base = base
        wanted = set(settings.blocks_link_types)
        self.blocks_types = {t.name: t for t in fields.link_types if t.name in wanted}

    def ref(self, key: str, tracker_id: str | None = None) -> ItemRef:
        return ItemRef(
            tracker="jira",
            key=key,
            url=f"{self.base}/browse/{key}",
            tracker_id=tracker_id,
            source=self.source,
        )

    def in_scope(self, key: str) -> bool:
        """Only knowable for project scopes; a JQL scope treats every linked issue as inside."""
        if not self.settings.projects:
            return True
        return key.rsplit("-", 1)[0] in self.settings.projects

    # -- the item ---------------------------------------------------------------------------

    def item(
        self, raw: Mapping[str, Any], comments: Sequence[tuple[datetime, str]], in_scope: bool
    ) -> tuple[WorkItem, list[Sprint]]:
        iid, key = str(raw["id"]), raw.get("key")
        fields = raw.get("fields")
        if not isinstance(key, str) or not isinstance(fields, Mapping):
            raise SkippableError("issue has no key or fields")
        status = _mapping(fields, "status")
        category = _mapping(status, "statusCategory").get("key")
        project = _mapping(fields, "project").get("key") or key.rsplit("-", 1)[0]
        sprints = self._sprints(fields)
        current = current_sprint(sprints)
        flagged_value = fields.get(self.fields.flagged) if self.fields.flagged else None
        flagged = bool(flagged_value)
        summary = fields.get("summary")
        if not isinstance(summary, str):
            raise SkippableError("summary: missing or not text")
        if not isinstance(status.get("name"), str):
            raise SkippableError("status: no name")
        assignee = fields.get("assignee")
        item = WorkItem(
            tracker_id=iid,
            key=key,
            url=f"{self.base}/browse/{key}",
            title=summary,
            type=item_type(_mapping(fields, "issuetype")),
            status=status["name"],
            status_category=CATEGORY.get(str(category), "todo"),
            created_at=parse_time(fields.get("created"), "created"),
            updated_at=parse_time(fields.get("updated"), "updated"),
            container=str(project),
            resolved_at=maybe_time(fields.get("resolutiondate"), "resolutiondate"),
            assignee=_assignee(assignee),
            labels=tuple(str(x) for x in _list(fields, "labels")),
            components=tuple(str(c.get("name")) for c in _list(fields, "components")),
            team_field=self._team(fields),
            sprint_id=current.tracker_id if current else None,
            parent=self._parent(fields),
            flagged=flagged,
            flag_reason=_latest_reason(comments) if flagged else None,
            story_points=self._points(fields),
            in_scope=in_scope,
            **self._objective(fields),
        )
        return item, sprints

    def _objective(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The objective facts of an issue (``connectors.objectives``), as record fields."""
        s = self.settings
        if not s.reads_objectives:
            return {}
        ids = [self.fields.id_named(n) for n in (s.business_value_field,
               s.actual_business_value_field, s.committed_field)]  # fmt: skip
        planned, actual, committed = (fields.get(i) if i else None for i in ids)
        facts = from_jira(
            str(_mapping(fields, "issuetype").get("name") or ""),
            [str(x) for x in _list(fields, "labels")],
            objective_issue_type=s.objective_issue_type,
            objective_label=s.objective_label,
            planned=planned,
            actual=actual,
            committed=committed,
            has_committed_field=ids[2] is not None,
            uncommitted_label=s.uncommitted_label,
        )
        return {"objective": facts.objective, "business_value": facts.business_value,
                "actual_business_value": facts.actual_business_value,
                "committed": facts.committed}  # fmt: skip

    def _sprints(self, fields: Mapping[str, Any]) -> list[Sprint]:
        value = fields.get(self.fields.sprint) if self.fields.sprint else None
        if value is None:
            return []
        if not isinstance(value, list):
            raise SkippableError(f"sprint field: expected a list, got {type(value).__name__}")
        return [parse_sprint(v) for v in value]

    def _team(self, fields: Mapping[str, Any]) -> str | None:
        value = fields.get(self.fields.team) if self.fields.team else None
        if isinstance(value, Mapping):
            return str(value.get("id")) if value.get("id") is not None else None
        return str(value) if value not in (None, "") else None

    def _points(self, fields: Mapping[str, Any]) -> float | None:
        value = fields.get(self.fields.story_points) if self.fields.story_points else None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SkippableError(f"story points: expected a number, got {type(value).__name__}")
        return float(value)

    def _parent(self, fields: Mapping[str, Any]) -> ItemRef | None:
        parent = fields.get("parent")
        if isinstance(parent, Mapping) and isinstance(parent.get("key"), str):
            pid = parent.get("id")
            return self.ref(parent["key"], str(pid) if pid is not None else None)
        for fid in (self.fields.epic_link, self.fields.parent_link):
            value = fields.get(fid) if fid else None
            if isinstance(value, Mapping):  # Advanced Roadmaps: {"data": {"key": ...}}
                value = (value.get("data") or value).get("key")
            if isinstance(value, str) and value:
                return self.ref(value)
        return None

    # -- links ------------------------------------------------------------------------------

    def links(self, raw: Mapping[str, Any], changes: Sequence[LinkChange], batch: Batch) -> None:
        """Current blocks links (with history times) and closed history-only episodes."""
        iid, key = str(raw["id"]), str(raw["key"])
        live_pairs: set[tuple[str, str, bool]] = set()
        for entry in _list(raw["fields"], "issuelinks"):
            ltype = self.blocks_types.get(str(_mapping(entry, "type").get("name")))
            if ltype is None:
                continue
            self_outward = "outwardIssue" in entry
            other = entry.get("outwardIssue") if self_outward else entry.get("inwardIssue")
            if not isinstance(other, Mapping) or not other.get("key") or not entry.get("id"):
                raise SkippableError("issuelinks: entry without id or linked issue")
            other_key, other_id = str(other["key"]), str(other.get("id") or "") or None
            pair = (other_key, ltype.name, self_outward)
            live_pairs.add(pair)
            mine = [c for c in changes if (c.other_key, c.ltype.name, c.self_outward) == pair]
            adds = [c.at for c in mine if c.added]
            link_key = str(entry["id"])
            batch.links[link_key] = self._link(
                link_key,
                ltype,
                self_outward,
                self.ref(key, iid),
                self.ref(other_key, other_id),
                created=max(adds) if adds else None,
                removed=None,
            )
            if self._speaks_for_link(self_outward, other_key):
                batch.events.extend(self._link_events(iid, mine, link_key))
            if other_id and not self.in_scope(other_key):
                batch.outside[other_id] = other_key
        self._episodes(iid, key, changes, live_pairs, batch)

    def _episodes(
        self,
        iid: str,
        key: str,
        changes: Sequence[LinkChange],
        live: set[tuple[str, str, bool]],
        batch: Batch,
    ) -> None:
        """Links added and later removed (no longer in ``issuelinks``): rows from history."""
        opened: dict[tuple[str, str, bool], LinkChange] = {}
        for change in changes:
            pair = (change.other_key, change.ltype.name, change.self_outward)
            if pair in live or not self._speaks_for_link(change.self_outward, change.other_key):
                continue
            if change.added:
                opened[pair] = change
                continue
            start = opened.pop(pair, None)
            if start is None:
                continue  # removal of a link added before the history we can see
            link_key = f"history:{start.event_key}"
            batch.links[link_key] = self._link(
                link_key,
                change.ltype,
                change.self_outward,
                self.ref(key, iid),
                self.ref(change.other_key),
                created=start.at,
                removed=change.at,
            )
            batch.events.extend(self._link_events(iid, [start, change], link_key))
        # Still-open episodes without a live link: the other end moved (new key) or the link
        # type was renamed; the live link (if any) is reported from the current links instead.

    def _speaks_for_link(self, self_outward: bool, other_key: str) -> bool:
        """Both ends carry a link's history; only the outward end reports it (or the inward
        one when the outward end is outside the scope), so events are not doubled."""
        return self_outward or not self.in_scope(other_key)

    def _link(
        self,
        link_key: str,
        ltype: LinkType,
        self_outward: bool,
        me: ItemRef,
        other: ItemRef,
        *,
        created: datetime | None,
        removed: datetime | None,
    ) -> Link:
        outward, inward = (me, other) if self_outward else (other, me)
        blocker, blocked = (inward, outward) if ltype.reversed else (outward, inward)
        return Link(
            link_key=link_key,
            origin="jira_link",
            blocker=blocker,
            blocked=blocked,
            created_at=created,
            removed_at=removed,
        )

    def _link_events(self, iid: str, changes: Iterable[LinkChange], link_key: str) -> list[Event]:
        return [
            Event(
                event_key=c.event_key,
                item_tracker_id=iid,
                at=c.at,
                field="link",
                to_value="added" if c.added else "removed",
                link_key=link_key,
                link_origin="jira_link",
            )
            for c in changes
        ]

    def remote_links(
        self, iid: str, key: str, remotes: Sequence[Mapping[str, Any]], batch: Batch
    ) -> None:
        """GitHub issues among the remote links become cross-tracker blocks links."""
        me = self.ref(key, iid)
        for remote in remotes:
            url = str(_mapping(remote, "object").get("url") or "")
            gh = github_ref(url)
            direction = remote_direction(str(remote.get("relationship") or ""))
            if gh is None or direction is None or remote.get("id") is None:
                continue
            rid = str(remote["id"])
            blocker, blocked = (gh, me) if direction == "gh_blocks" else (me, gh)
            link_key = f"{iid}:{rid}"
            batch.links[link_key] = Link(
                link_key=link_key,
                origin="jira_remote_link",
                blocker=blocker,
                blocked=blocked,
                created_at=batch.remote_times.get(link_key),
            )
        batch.scopes.append(LinkScope(iid, "jira_remote_link", "either"))

    # -- history ----------------------------------------------------------------------------

    def history(
        self,
        iid: str,
        histories: Iterable[Mapping[str, Any]],
        comments: Sequence[tuple[datetime, str]],
        since: datetime | None,
        batch: Batch,
    ) -> tuple[list[LinkChange], bool]:
        """Events of one issue (oldest first); returns its link changes and whether a remote
        link changed at or after ``since`` (then its remote links are fetched)."""
        ordered = sorted(
            ((parse_time(h.get("created"), "history created"), h) for h in histories),
            key=lambda pair: (pair[0], _int(pair[1].get("id"))),
        )
        link_changes: list[LinkChange] = []
        remote_changed = False
        seen: set[str] = set()
        for at, hist in ordered:
            hid = str(hist.get("id"))
            if hid in seen:
                continue  # the two changelog sources may overlap
            seen.add(hid)
            for index, item in enumerate(hist.get("items") or ()):
                ekey = f"{iid}:{hid}:{index}"
                name = str(item.get("field") or "")
                if name == "Link":
                    change = self._link_change(ekey, at, item)
                    if change is not None:
                        link_changes.append(change)
                elif name in REMOTE_LINK_FIELDS:
                    remote_changed = remote_changed or since is None or at >= since
                    if item.get("to"):
                        batch.remote_times[f"{iid}:{item['to']}"] = at
                else:
                    batch.events.extend(self._field_events(ekey, iid, at, name, item, comments))
        return link_changes, remote_changed

    def _field_events(
        self,
        ekey: str,
        iid: str,
        at: datetime,
        name: str,
        item: Mapping[str, Any],
        comments: Sequence[tuple[datetime, str]],
    ) -> list[Event]:
        fstr, tstr = item.get("fromString"), item.get("toString")
        if name == "status":
            return [Event(ekey, iid, at, "status", _s(fstr), _s(tstr))]
        if name == "Flagged":
            to_value = _s(tstr) or ""
            reason = _reason_near(comments, at) if to_value else None
            return [Event(ekey, iid, at, "flagged", _s(fstr) or "", to_value, detail=reason)]
        if name == "Sprint":
            return [Event(ekey, iid, at, "sprint", _ids(item.get("from")), _ids(item.get("to")))]
        if name in PARENT_FIELDS:
            return [Event(ekey, iid, at, "parent", _key_in(fstr), _key_in(tstr))]
        if name == "labels":
            before, after = set((fstr or "").split()), set((tstr or "").split())
            added = [
                Event(f"{ekey}:+{x}", iid, at, "label", None, x) for x in sorted(after - before)
            ]
            gone = [
                Event(f"{ekey}:-{x}", iid, at, "label", x, None) for x in sorted(before - after)
            ]
            return added + gone
        return []

    def _link_change(self, ekey: str, at: datetime, item: Mapping[str, Any]) -> LinkChange | None:
        added = item.get("to") is not None
        other = item.get("to") if added else item.get("from")
        text = str(item.get("toString") if added else item.get("fromString") or "")
        if not isinstance(other, str) or not other:
            return None
        phrase = text.removeprefix("This issue").strip()
        phrase = phrase[: -len(other)].strip() if phrase.endswith(other) else phrase
        for ltype in self.blocks_types.values():
            if phrase == ltype.outward or phrase == ltype.inward:
                return LinkChange(ekey, at, added, other, ltype, phrase == ltype.outward)
        return None


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise SkippableError(f"{key}: expected an object, got {type(value).__name__}")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SkippableError(f"{key}: expected a list, got {type(value).__name__}")
    return value


def _assignee(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    name = value.get("displayName") or value.get("name") or value.get("accountId")
    return str(name) if name else None


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _ids(value: Any) -> str | None:
    """Sprint ids as stored in the changelog ("12, 13") → "12,13"."""
    if value in (None, ""):
        return None
    return ",".join(part.strip() for part in str(value).split(",") if part.strip())


def _key_in(value: Any) -> str | None:
    if value in (None, ""):
        return None
    match = KEY_RE.search(str(value))
    return match.group(0) if match else str(value)


def _comments(raw: Mapping[str, Any]) -> list[tuple[datetime, str]]:
    fields = raw.get("fields") if isinstance(raw.get("fields"), Mapping) else {}
    block = fields.get("comment") if isinstance(fields, Mapping) else None
    found: list[tuple[datetime, str]] = []
    for comment in (block or {}).get("comments") or () if isinstance(block, Mapping) else ():
        try:
            found.append((parse_time(comment.get("created"), "comment"), adf_text(comment["body"])))
        except (SkippableError, KeyError, TypeError):
            continue  # a broken comment only costs a flag reason
    return found


def _reason_near(comments: Sequence[tuple[datetime, str]], at: datetime) -> str | None:
    near = [
        (abs((c_at - at).total_seconds()), reason)
        for c_at, text in comments
        if (reason := flag_reason(text)) is not None
    ]
    near = [pair for pair in near if pair[0] <= FLAG_COMMENT_WINDOW]
    return min(near)[1] if near else None


def _latest_reason(comments: Sequence[tuple[datetime, str]]) -> str | None:
    reasons = [(at, r) for at, text in comments if (r := flag_reason(text)) is not None]
    return max(reasons)[1] if reasons else None


# --------------------------------------------------------------------------------------------
# The connector
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CensusEntry:
    tracker_id: str
    key: str
    updated: datetime | None


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
        self._hop_ids: set[str] = set()  # fetched one hop out this run

    @property
    def api(self) -> JiraApi:
        if self._api is None:
            self._api = JiraApi(self.name, self.settings, self.transport)
        return self._api

    def stats(self) -> Mapping[str, Any]:
        if self._api is None:
            return {"requests": 0, "rate_limit_remaining": None}
        return {
            "requests": self._api.requests,
            "rate_limit_remaining": self._api.rate_limit_remaining,
        }

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
        self._hop_ids = set()
        self._request = request
        self._rediscovered = bool(memo)
        full = request.census or request.full_sweep or (request.since is None)
        walk = self._cloud_walk if cloud else self._dc_walk
        done = 0
        for page in walk(request, full):
            done += len(page.items)
            page.progress = (done, None)
            if self._memo:
                page.memo = {**self._memo, **page.memo}
                self._memo = {}
            yield page
        end = min(request.until, request.started_at) if request.until else request.started_at
        yield Page(cursor=end, memo=self._memo, progress=(done, done))

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
        return [
            e
            for e in entries
            if e.updated is None
            or stored.get(e.tracker_id) != e.updated
            or e.tracker_id in self._hop_ids
        ]

    def _census_pages(
        self,
        request: SyncRequest,
        full: bool,
        census_walk: Iterator[list[CensusEntry]],
        fetch: Callable[[Sequence[CensusEntry], SyncRequest], Batch],
        by_updated: bool,
    ) -> Iterator[Page]:
        """Census pages → record pages of ≤100 changed issues. When the walk is ordered by
        ``updated``, each page's cursor is the ``updated`` of the last census entry it covers:
        every earlier entry is then stored (fetched now, or unchanged since it was stored)."""
        census = self._wants_census(request, full)
        for entries in census_walk:
            changed = {e.tracker_id for e in self._changed(request, entries)}
            todo: list[CensusEntry] = []
            sweep: list[CensusEntry] = []
            for index, entry in enumerate(entries):
                if entry.tracker_id in changed:
                    todo.append(entry)
                elif request.full_sweep:
                    sweep.append(entry)
                last = index == len(entries) - 1
                if len(todo) < BULK and len(sweep) < BULK and not last:
                    continue
                batch = fetch(todo, request) if todo else Batch()
                for swept in sweep:
                    self._fetch_remote(swept.tracker_id, swept.key, batch)
                extra: dict[str, Any] = {}
                if by_updated and entry.updated is not None:
                    extra["cursor"] = entry.updated
                if last and census:
                    extra["census"] = Census(tuple(e.tracker_id for e in entries))
                yield batch.page(**extra)
                todo, sweep = [], []
        if census:
            yield Page(census=Census((), complete=True))

    # -- Cloud --------------------------------------------------------------------------------

    def _cloud_walk(self, request: SyncRequest, full: bool) -> Iterator[Page]:
        jql = self._jql(request, full, "updated ASC, key ASC")
        return self._census_pages(
            request, full, self._cloud_census(jql), self._cloud_fetch, by_updated=True
        )

    def _cloud_census(self, jql: str) -> Iterator[list[CensusEntry]]:
        token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"jql": jql, "fields": "id,updated", "maxResults": CENSUS_PAGE}
            if token:
                params["nextPageToken"] = token
            data = self.api.get("/rest/api/3/search/jql", params)
            issues = data.get("issues") or [] if isinstance(data, Mapping) else []
            if not issues:
                return
            yield [_census_entry(raw) for raw in issues]
            token = data.get("nextPageToken")
            if not token or token in seen:  # absent/null ends; a repeated token would loop
                return
            seen.add(token)

    def _issue_fields(self) -> list[str]:
        base = [
            "summary",
            "status",
            "issuetype",
            "created",
            "updated",
            "resolutiondate",
            "assignee",
            "labels",
            "components",
            "parent",
            "issuelinks",
            "project",
            "comment",
        ]
        wanted = [self._fields.id_named(n) for n in self.settings.objective_field_names()]
        return base + self._fields.custom_ids() + [i for i in wanted if i]

    def _cloud_fetch(self, todo: Sequence[CensusEntry], request: SyncRequest) -> Batch:
        ids = [e.tracker_id for e in todo]
        issues = self._bulkfetch(ids)
        if issues and self._stale_fields(issues) and self._rediscover(cloud=True):
            issues = self._bulkfetch(ids)
        histories = self._changelogs([str(i.get("id")) for i in issues])
        batch = Batch()
        for raw in issues:
            self._read_issue(raw, histories.get(str(raw.get("id")), []), request, batch)
        self._one_hop(batch, cloud=True)
        return batch

    def _bulkfetch(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        body = {"issueIdsOrKeys": list(ids), "fields": self._issue_fields()}
        data = self.api.post("/rest/api/3/issue/bulkfetch", body)
        issues = data.get("issues") if isinstance(data, Mapping) else None
        return [i for i in issues or [] if isinstance(i, dict)]

    def _changelogs(self, ids: Sequence[str]) -> dict[str, list[Mapping[str, Any]]]:
        found: dict[str, list[Mapping[str, Any]]] = {i: [] for i in ids}
        if not ids:
            return found
        token: str | None = None
        seen: set[str] = set()
        while True:
            body: dict[str, Any] = {"issueIdsOrKeys": list(ids), "maxResults": CHANGELOG_PAGE}
            if token:
                body["nextPageToken"] = token
            data = self.api.post("/rest/api/3/changelog/bulkfetch", body)
            logs = data.get("issueChangeLogs") or [] if isinstance(data, Mapping) else []
            for log in logs:
                found.setdefault(str(log.get("issueId")), []).extend(
                    log.get("changeHistories") or []
                )
            token = data.get("nextPageToken") if isinstance(data, Mapping) else None
            if not logs or not token or token in seen:
                return found
            seen.add(token)

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
        request: SyncRequest,
        batch: Batch,
        in_scope: bool = True,
    ) -> None:
        """One issue → records, or a quarantine entry; the rest of the page goes on."""
        label = str(raw.get("key") or raw.get("id") or "?")
        mark = (len(batch.items), len(batch.events), len(batch.links), len(batch.scopes))
        try:
            comments = _comments(raw)
            item, sprints = self._reader.item(raw, comments, in_scope)
            changes, remote_changed = self._reader.history(
                item.tracker_id, histories, comments, request.since, batch
            )
            self._reader.links(raw, changes, batch)
        except (SkippableError, KeyError, TypeError, AttributeError, ValueError) as exc:
            self._rollback(batch, mark)
            reason = str(exc) if isinstance(exc, SkippableError) else f"{type(exc).__name__}: {exc}"
            batch.quarantined.append(Quarantined(label, reason[:500]))
            return
        batch.items.append(item)
        batch.scopes.append(LinkScope(item.tracker_id, "jira_link", "either"))
        for sprint in sprints:
            batch.sprints[sprint.tracker_id] = sprint
        if remote_changed or request.full_sweep:
            self._fetch_remote(item.tracker_id, item.key, batch)

    @staticmethod
    def _rollback(batch: Batch, mark: tuple[int, int, int, int]) -> None:
        del batch.items[mark[0] :]
        del batch.events[mark[1] :]
        del batch.scopes[mark[3] :]
        # links is a dict: a half-read issue only ever adds keys it owns
        for key in list(batch.links)[mark[2] :]:
            del batch.links[key]

    def _fetch_remote(self, iid: str, key: str, batch: Batch) -> None:
        remotes = self.api.remote_links(iid)
        self._reader.remote_links(iid, key, remotes, batch)

    def _one_hop(self, batch: Batch, cloud: bool) -> None:
        """Linked issues outside the scope, not stored yet: fetch them once, as in_scope=False."""
        stored_ids = {i.tracker_id for i in batch.items}
        wanted = [i for i in batch.outside if i not in stored_ids and i not in self._hop_ids]
        if not wanted:
            return
        known = self._stored(wanted)
        wanted = [i for i in wanted if i not in known]
        for start in range(0, len(wanted), BULK):
            chunk = wanted[start : start + BULK]
            self._hop_ids.update(chunk)
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

    def _stored(self, ids: Sequence[str]) -> Mapping[str, datetime]:
        return self._request.stored_updated(ids)

    # -- Data Center --------------------------------------------------------------------------

    def _dc_walk(self, request: SyncRequest, full: bool) -> Iterator[Page]:
        jql = self._jql(request, full, "created ASC, key ASC")
        return self._census_pages(
            request, full, self._dc_census(jql), self._dc_fetch, by_updated=False
        )

    def _dc_census(self, jql: str) -> Iterator[list[CensusEntry]]:
        for issues in self._dc_search(jql, ["updated"], None, DC_CENSUS_PAGE):
            yield [_census_entry(raw) for raw in issues]

    def _dc_search(
        self, jql: str, fields: Sequence[str], expand: str | None, page_size: int
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
            data = self.api.get("/rest/api/2/search", params)
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
                        f"jira source {self.name!r}: over {DC_WINDOW} issues created in the same "
                        "millisecond; narrow the scope with jql"
                    )
                lower, start = tail_ms, 0

    def _dc_fetch(self, todo: Sequence[CensusEntry], request: SyncRequest) -> Batch:
        ids = [e.tracker_id for e in todo]
        issues = self._dc_by_ids(ids, changelog=True)
        if issues and self._stale_fields(issues) and self._rediscover(cloud=False):
            issues = self._dc_by_ids(ids, changelog=True)
        batch = Batch()
        for raw in issues:
            histories = self._dc_histories(raw, batch)
            self._read_issue(raw, histories, request, batch)
        self._one_hop(batch, cloud=False)
        return batch

    def _dc_by_ids(self, ids: Sequence[str], changelog: bool) -> list[dict[str, Any]]:
        jql = "id in (" + ", ".join(ids) + ") ORDER BY created ASC, key ASC"
        found: list[dict[str, Any]] = []
        for issues in self._dc_search(
            jql, self._issue_fields(), "changelog" if changelog else None, BULK
        ):
            found.extend(issues)
        return found

    def _dc_histories(self, raw: Mapping[str, Any], batch: Batch) -> list[Mapping[str, Any]]:
        """``expand=changelog`` histories; truncated ones completed from a per-issue GET."""
        log = raw.get("changelog") if isinstance(raw.get("changelog"), Mapping) else {}
        histories = list((log or {}).get("histories") or [])
        total = _int((log or {}).get("total"))
        if total <= len(histories):
            return histories
        full = self.api.get(
            f"/rest/api/2/issue/{raw.get('id')}", {"expand": "changelog", "fields": "created"}
        )
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
