"""A loopback fake of Jira Cloud and Data Center: deterministic data, real HTTP, injectable faults.

``FakeJira`` is a ``ThreadingHTTPServer`` on 127.0.0.1 (random port) serving the endpoints the
connector uses, shaped like the real APIs (``api-facts.md`` §1-8):

* ``/rest/api/{2,3}/serverInfo`` (``deploymentType`` Cloud or DataCenter), ``/myself`` (with a
  configurable ``timeZone``), ``/field``, ``/issueLinkType``;
* Cloud: ``GET|POST /rest/api/3/search/jql`` (``nextPageToken``; up to 5000 a page when only
  ``id``/``key``/``updated`` are asked, else 100; default ``fields=id``), ``POST /issue/bulkfetch``
  (≤100, ascending id, invisible ids silently omitted), ``POST /changelog/bulkfetch`` (oldest
  first, paged by token); the old ``/search`` answers 410;
* Data Center: ``/rest/api/2/search`` with ``startAt``/``total``, ``maxResults`` ≤ 1000, failing at
  ``startAt`` ≥ ``max_result_window`` (10,000), ``expand=changelog`` truncated to the newest 100
  histories (``total`` tells), old ``Sprint@…[…]`` strings with ``sprint_strings=True``;
* ``GET /issue/{idOrKey}`` (full changelog with ``expand=changelog``), ``/issue/{id}/remotelink``,
  ``/issue/{id}/comment`` (offset paged).

JQL subset: ``project in (...)``/``=``, ``id``/``key in (...)``, ``updated``/``created`` with
``>= > <= < =`` against epoch-ms numbers *or* ``"yyyy-MM-dd HH:mm"`` / ``"yyyy/MM/dd HH:mm"`` /
``"yyyy-MM-dd"`` strings, which are read — like Jira — in the API user's timezone with minute
precision; ``AND``/``OR``/parentheses; ``ORDER BY`` updated/created/key/id ASC|DESC.

Data: five in-scope teams' projects (CHK, PAY, PLAT, MOB, SRCH) and one outside project (SEC),
issues generated lazily from the seed (only a compact spine of ids and times is held, so 100,000
issues are cheap), epics with children, sprints, Blocks links (some removed again, some to SEC),
a "Relates" type that is no dependency, a custom reversed "Dependency" type, remote links to
GitHub issues, flags with "(flag) Flag added" comments, and full changelogs.

Tests mutate through ``update``, ``flag``, ``add_link``, ``remove_link``, ``move``, ``delete``,
``restore``, ``add_remote_link``, ``malform``; inject faults with ``fault(...)``; and read the
request log in ``requests``. ``/__fake/*`` control endpoints let a benchmark drive a server that
runs in another process.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

DAY = 86_400_000
MINUTE = 60_000
HOUR = 3_600_000
DEFAULT_ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
SPRINT_DAYS = 14


@dataclass(frozen=True)
class ProjectSpec:
    key: str
    name: str
    team: str  # Team field id (Atlassian teams are uuids)
    components: tuple[str, ...]
    people: tuple[str, ...]
    repo: str  # the GitHub repository this team links issues of


PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec(
        "CHK",
        "Checkout",
        "36885b3c-1bf0-4f85-a357-c5b858c31de4",
        ("Cart", "Payment page"),
        ("Ana Costa", "Ben Okafor", "Chloé Martin"),
        "acme/checkout-web",
    ),
    ProjectSpec(
        "PAY",
        "Payments",
        "5d1c2f4e-8a3b-4c6d-9e0f-1a2b3c4d5e6f",
        ("Ledger", "Refunds"),
        ("Dmitri Volkov", "Eva Lindqvist", "Farah Haddad"),
        "acme/payments-api",
    ),
    ProjectSpec(
        "PLAT",
        "Platform",
        "7e2d3f5a-9b4c-4d7e-8f1a-2b3c4d5e6f70",
        ("CI", "Kubernetes"),
        ("Gustavo Reyes", "Hana Suzuki", "Ivan Petrov"),
        "acme/platform",
    ),
    ProjectSpec(
        "MOB",
        "Mobile",
        "8f3e4a6b-0c5d-4e8f-9a2b-3c4d5e6f7081",
        ("iOS", "Android"),
        ("Jia Li", "Kofi Mensah", "Lena Schmidt"),
        "acme/mobile-app",
    ),
    ProjectSpec(
        "SRCH",
        "Search",
        "9a4f5b7c-1d6e-4f9a-8b3c-4d5e6f708192",
        ("Indexing", "Ranking"),
        ("Mateo Rossi", "Nadia Karim", "Oskar Nowak"),
        "acme/search",
    ),
    ProjectSpec(
        "SEC",
        "Security",
        "0b5a6c8d-2e7f-4a0b-9c4d-5e6f708192a3",
        ("AppSec",),
        ("Priya Nair", "Quentin Dubois"),
        "acme/security",
    ),
)
IN_SCOPE = ("CHK", "PAY", "PLAT", "MOB", "SRCH")

STATUSES: dict[str, tuple[str, str]] = {  # name -> (id, category key)
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "In Review": ("10001", "indeterminate"),
    "Blocked": ("10002", "indeterminate"),
    "Done": ("10003", "done"),
}
CATEGORY_NAMES = {
    "new": ("2", "To Do"),
    "indeterminate": ("4", "In Progress"),
    "done": ("3", "Done"),
}
TYPES: dict[str, tuple[str, int]] = {
    "Epic": ("10000", 1),
    "Story": ("10001", 0),
    "Task": ("10002", 0),
    "Bug": ("10004", 0),
}
LINK_TYPES = (
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
    {"id": "10100", "name": "Dependency", "inward": "is depended on by", "outward": "depends on"},
)
LINK_TYPE = {t["name"]: t for t in LINK_TYPES}
VERBS = ("Add", "Fix", "Refactor", "Migrate", "Harden", "Document", "Speed up", "Retire", "Split")
NOUNS = (
    "card tokenisation",
    "refund webhook",
    "basket totals",
    "3-D Secure challenge",
    "ledger export",
    "search ranking",
    "index rebuild",
    "push notifications",
    "login throttling",
    "currency rounding",
    "invoice PDF",
    "feature flags",
    "CI cache",
    "k8s autoscaling",
    "audit log",
    "GDPR erasure",
    "address lookup",
    "coupon engine",
    "payout schedule",
)
REASONS = (
    "Waiting for the PSP sandbox credentials",
    "Blocked by the ledger schema migration",
    "Needs a decision from security review",
    "Vendor API returns 500s in staging",
    "Waiting on design sign-off",
)


@dataclass
class Hist:
    id: int
    at: int  # epoch ms
    items: list[dict[str, Any]]
    author: str = "Jira Automation"


@dataclass
class LinkRec:
    id: int
    type: str
    outward: int  # issue id on the outward side ("X blocks Y": X)
    inward: int
    added: int
    removed: int | None = None


@dataclass
class FIssue:
    id: int
    project: str
    num: int
    type: str
    summary: str
    created: int
    updated: int
    status: str
    resolved: int | None
    assignee: str | None
    labels: list[str]
    components: list[str]
    points: float | None
    sprint_ids: list[int]
    flagged: bool
    parent_id: int | None
    histories: list[Hist]
    comments: list[tuple[int, int, str]]  # (id, at, text)
    remote: list[dict[str, Any]]
    malformed: str | None = None

    @property
    def key(self) -> str:
        return f"{self.project}-{self.num}"


@dataclass
class Fault:
    """One injected fault: ``kind`` is "status", "reset" (connection reset) or "slow"."""

    kind: str
    path: str = ""  # a path prefix, "" = every request
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1  # how many matching requests it hits; -1 = until cleared
    after: int = 0  # matching requests let through first
    delay: float = 0.0
    seen: int = 0


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    status: int
    headers: dict[str, str]


class JqlError(ValueError):
    pass


# ---------------------------------------------------------------------------------------------
# The data set
# ---------------------------------------------------------------------------------------------


class FakeJira:
    """Deterministic Jira data behind a loopback HTTP server (see the module docstring)."""

    def __init__(
        self,
        *,
        issues: int = 120,
        seed: int = 7,
        cloud: bool = True,
        time_zone: str = "UTC",
        email: str = "sync-bot@acme.example",
        token: str = "fake-jira-token",
        anchor: datetime | None = None,
        sprint_strings: bool = False,
        max_result_window: int = 10_000,
        field_ids: dict[str, str] | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.n = issues
        self.seed = seed
        self.cloud = cloud
        self.time_zone = time_zone
        self.email = email
        self.token = token
        self.anchor = int((anchor or DEFAULT_ANCHOR).timestamp() * 1000)
        self.sprint_strings = sprint_strings
        self.max_result_window = max_result_window
        self.fid = {
            "sprint": "customfield_10020",
            "flagged": "customfield_10021",
            "team": "customfield_10001",
            "points": "customfield_10016",
            "epic_link": "customfield_10014",
            **(field_ids or {}),
        }
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.lock = threading.RLock()
        self.requests: list[Logged] = []
        # requests being served now and the most at once, by route ("/rest/api/2/issue/{id}")
        self.in_flight: Counter[str] = Counter()
        self.peak_in_flight: Counter[str] = Counter()
        # rate-limit headers on every answer (tests lower them to make a client pace itself)
        self.rate_headers: dict[str, str] = {"X-RateLimit-Remaining": "4999"}
        self.faults: list[Fault] = []
        # called as (method, path, body) after each answer, under the lock: lets a test change
        # the tracker between two calls of one run (an issue deleted after it was listed)
        self.after_request: list[Callable[[str, str, Any], None]] = []
        self.version = 0
        self._cache: dict[tuple[str, int], list[tuple[Any, ...]]] = {}
        self._over: dict[int, FIssue] = {}
        self._deleted: set[int] = set()
        self._moved: dict[int, tuple[str, int]] = {}
        self._next_num: dict[str, int] = {}
        self._hist_seq = 10**9
        self._link_seq = 50_000
        self._remote_seq = 90_000
        self._build_spine()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- spine: ids, times and links for every issue, held compactly ---------------------------

    def _build_spine(self) -> None:
        rng = random.Random(self.seed)
        span = 355 * DAY
        start = self.anchor - 360 * DAY
        self._created: list[int] = []
        self._base: list[int] = []  # last change of the issue's own (non-link) history
        self._updated: list[int] = []
        for i in range(self.n):
            created = start + int(span * i / max(self.n, 1)) + rng.randrange(0, 3_600_000)
            created -= created % 1000
            life = rng.randrange(2 * DAY, 60 * DAY)
            updated = min(created + life, self.anchor - rng.randrange(MINUTE, DAY))
            updated = max(updated, created + 10 * MINUTE)
            self._created.append(created)
            self._base.append(updated - updated % 1000)
            self._updated.append(updated - updated % 1000)
        self.links: dict[int, LinkRec] = {}
        self._links_of: dict[int, list[int]] = {}
        lid = 10_000
        for i in range(self.n):
            if rng.random() >= 0.12 or self.n < 3:
                continue
            j = min(self.n - 1, max(0, i + rng.choice((-1, 1)) * rng.randrange(1, 40)))
            if j == i:
                continue
            roll = rng.random()
            ltype = "Blocks" if roll < 0.8 else "Relates" if roll < 0.9 else "Dependency"
            added = max(self._created[i], self._created[j]) + rng.randrange(HOUR, DAY)
            removed = added + rng.randrange(DAY, 10 * DAY) if rng.random() < 0.15 else None
            if (removed or added) >= self.anchor - MINUTE:
                continue
            rec = LinkRec(lid, ltype, self.id_of(i), self.id_of(j), added - added % 1000)
            if removed is not None:
                rec.removed = removed - removed % 1000
            self.links[lid] = rec
            for end in (i, j):
                self._links_of.setdefault(self.id_of(end), []).append(lid)
                self._updated[end] = max(self._updated[end], rec.removed or rec.added)
            lid += 1

    def id_of(self, index: int) -> int:
        return 10_001 + index

    def index_of(self, issue_id: int) -> int:
        return issue_id - 10_001

    def _project_of(self, index: int) -> tuple[str, int]:
        proj = PROJECTS[index % len(PROJECTS)].key
        return proj, index // len(PROJECTS) + 1

    def key_of(self, issue_id: int) -> str:
        if issue_id in self._moved:
            proj, num = self._moved[issue_id]
            return f"{proj}-{num}"
        proj, num = self._project_of(self.index_of(issue_id))
        return f"{proj}-{num}"

    def resolve(self, id_or_key: int | str) -> int | None:
        text = str(id_or_key)
        if text.isdigit():
            iid = int(text)
            return iid if 0 <= self.index_of(iid) < self.n else None
        for iid, (proj, num) in self._moved.items():
            if f"{proj}-{num}" == text:
                return iid
        match = re.fullmatch(r"([A-Z]+)-(\d+)", text)
        if not match:
            return None
        pidx = next((k for k, p in enumerate(PROJECTS) if p.key == match[1]), None)
        if pidx is None:
            return None
        index = (int(match[2]) - 1) * len(PROJECTS) + pidx
        if not 0 <= index < self.n:
            return None
        iid = self.id_of(index)
        # an old key of a moved issue still resolves to it (Jira keeps the redirect)
        return iid

    def visible(self, issue_id: int) -> bool:
        return issue_id not in self._deleted

    # -- lazy issue generation -------------------------------------------------------------

    def issue(self, issue_id: int) -> FIssue:
        """The full issue: the mutated copy when there is one, else generated from the seed."""
        if issue_id in self._over:
            return self._over[issue_id]
        return self._generate(issue_id)

    def _mutable(self, issue_id: int) -> FIssue:
        if issue_id not in self._over:
            self._over[issue_id] = self._generate(issue_id)
        return self._over[issue_id]

    def _epic_index(self, index: int) -> int:
        p = len(PROJECTS)
        return p * ((index // p) // 15 * 15) + index % p

    def sprint(self, sprint_id: int) -> dict[str, Any]:
        pidx, n = divmod(sprint_id, 1000)
        pidx -= 1
        start = self.anchor - 364 * DAY + n * SPRINT_DAYS * DAY
        end = start + SPRINT_DAYS * DAY
        state = "closed" if end <= self.anchor else "active" if start <= self.anchor else "future"
        return {
            "id": sprint_id,
            "name": f"{PROJECTS[pidx].key} Sprint {n + 1}",
            "state": state,
            "boardId": pidx + 1,
            "goal": "",
            "startDate": _iso_z(start),
            "endDate": _iso_z(end),
            "completeDate": _iso_z(end) if state == "closed" else None,
        }

    def _sprint_at(self, pidx: int, at: int) -> int:
        n = max(0, (at - (self.anchor - 364 * DAY)) // (SPRINT_DAYS * DAY))
        return (pidx + 1) * 1000 + int(n)

    def _generate(self, issue_id: int) -> FIssue:
        index = self.index_of(issue_id)
        rng = random.Random(self.seed * 1_000_003 + issue_id)
        pidx = index % len(PROJECTS)
        spec = PROJECTS[pidx]
        proj, num = self._project_of(index)
        is_epic = self._epic_index(index) == index
        kind = "Epic" if is_epic else rng.choices(("Story", "Task", "Bug"), (6, 2, 2))[0]
        created, base_end = self._created[index], self._base[index]
        parent = None if is_epic else self.id_of(self._epic_index(index))
        steps: list[str] = []
        if parent is not None:
            steps.append("parent")
        if not is_epic:
            steps.append("sprint")
        flow = ["In Progress", "In Review", "Done"]
        n_status = rng.randrange(0, 4)
        if n_status >= 2 and rng.random() < 0.25:
            flow = ["In Progress", "Blocked", "In Progress", "In Review", "Done"]
            n_status += 2
        statuses = flow[:n_status]
        flag = rng.random() < 0.18 and bool(statuses)
        flag_cleared = flag and rng.random() < 0.6
        for k, status in enumerate(statuses):
            steps.append("status:" + status)
            if k == 0 and flag:
                steps.append("flag_on")
        if flag_cleared:
            steps.append("flag_off")
        if rng.random() < 0.3:
            steps.insert(rng.randrange(0, len(steps) + 1), "label")
        if rng.random() < 0.06:
            steps.append("remote")
        if rng.random() < 0.2 and not is_epic:
            steps.append("carry")
        if not steps:
            steps.append("label")
        times = sorted(rng.randrange(created + MINUTE, base_end + 1) for _ in steps)
        times[-1] = base_end  # the spine's time of the last own change
        times = [t - t % 1000 for t in times]
        issue = FIssue(
            id=issue_id,
            project=proj,
            num=num,
            type=kind,
            summary=f"{rng.choice(VERBS)} {rng.choice(NOUNS)}",
            created=created,
            updated=created,
            status="To Do",
            resolved=None,
            assignee=rng.choice(spec.people) if rng.random() < 0.85 else None,
            labels=[],
            components=[rng.choice(spec.components)] if rng.random() < 0.7 else [],
            points=float(rng.choice((1, 2, 3, 5, 8))) if kind == "Story" else None,
            sprint_ids=[],
            flagged=False,
            parent_id=parent,
            histories=[],
            comments=[],
            remote=[],
        )
        seq = 0

        def hist(at: int, items: list[dict[str, Any]]) -> None:
            nonlocal seq
            issue.histories.append(Hist(issue_id * 100 + seq, at, items, rng.choice(spec.people)))
            seq += 1

        for step, at in zip(steps, times, strict=True):
            if step == "parent" and parent is not None:
                hist(at, [self._parent_item(None, parent)])
            elif step == "sprint":
                sid = self._sprint_at(pidx, at)
                hist(at, [self._sprint_item([], [sid])])
                issue.sprint_ids = [sid]
            elif step == "carry" and issue.sprint_ids:
                new = [*issue.sprint_ids, issue.sprint_ids[-1] + 1]
                hist(at, [self._sprint_item(issue.sprint_ids, new)])
                issue.sprint_ids = new
            elif step.startswith("status:"):
                to = step.split(":", 1)[1]
                hist(at, [_status_item(issue.status, to)])
                issue.status = to
                issue.resolved = at if to == "Done" else None
            elif step == "flag_on":
                hist(at, [self._flag_item(True)])
                issue.flagged = True
                issue.comments.append((issue_id * 100 + seq, at, _flag_text(rng.choice(REASONS))))
            elif step == "flag_off":
                hist(at, [self._flag_item(False)])
                issue.flagged = False
                issue.comments.append((issue_id * 100 + seq, at, "(flag) Flag removed"))
            elif step == "label":
                label = rng.choice(("backend", "frontend", "tech-debt", "customer"))
                if label not in issue.labels:
                    hist(at, [_labels_item(issue.labels, [*issue.labels, label])])
                    issue.labels = [*issue.labels, label]
            elif step == "remote":
                rid = issue_id * 10 + 1
                repo = spec.repo
                number = 1 + issue_id % 400
                relationship = rng.choice(("is blocked by", "blocks", "mentioned in"))
                issue.remote.append(
                    _remote(
                        rid,
                        f"https://github.com/{repo}/issues/{number}",
                        relationship,
                        f"{repo}#{number}",
                    )
                )
                hist(at, [_remote_item(rid, f"{repo}#{number}")])
        for lid in self._links_of.get(issue_id, ()):
            rec = self.links[lid]
            if lid > 49_999:
                continue  # added by a test: its history was appended when it was made
            hist(rec.added, [self._link_item(rec, issue_id, added=True)])
            if rec.removed is not None:
                hist(rec.removed, [self._link_item(rec, issue_id, added=False)])
        issue.histories.sort(key=lambda h: (h.at, h.id))
        issue.updated = max([created, *(h.at for h in issue.histories)])
        return issue

    # -- changelog items -------------------------------------------------------------------

    def _parent_item(self, old: int | None, new: int | None) -> dict[str, Any]:
        if self.cloud:
            return {
                "field": "IssueParentAssociation",
                "fieldtype": "jira",
                "from": str(old) if old else None,
                "fromString": self.key_of(old) if old else None,
                "to": str(new) if new else None,
                "toString": self.key_of(new) if new else None,
            }
        return {
            "field": "Epic Link",
            "fieldtype": "custom",
            "fieldId": self.fid["epic_link"],
            "from": str(old) if old else None,
            "fromString": self.key_of(old) if old else None,
            "to": str(new) if new else None,
            "toString": self.key_of(new) if new else None,
        }

    def _sprint_item(self, old: list[int], new: list[int]) -> dict[str, Any]:
        def names(ids: list[int]) -> str | None:
            return ", ".join(self.sprint(s)["name"] for s in ids) or None

        return {
            "field": "Sprint",
            "fieldtype": "custom",
            "fieldId": self.fid["sprint"],
            "from": ", ".join(map(str, old)) or None,
            "fromString": names(old),
            "to": ", ".join(map(str, new)) or None,
            "toString": names(new),
        }

    def _flag_item(self, on: bool) -> dict[str, Any]:
        value = ("[10019]", "Impediment")
        return {
            "field": "Flagged",
            "fieldtype": "custom",
            "fieldId": self.fid["flagged"],
            "from": None if on else value[0],
            "fromString": None if on else value[1],
            "to": value[0] if on else None,
            "toString": value[1] if on else None,
        }

    def _link_item(self, rec: LinkRec, me: int, *, added: bool) -> dict[str, Any]:
        ltype = LINK_TYPE[rec.type]
        other = rec.inward if me == rec.outward else rec.outward
        phrase = ltype["outward"] if me == rec.outward else ltype["inward"]
        text = f"This issue {phrase} {self.key_of(other)}"
        other_key = self.key_of(other)
        return {
            "field": "Link",
            "fieldtype": "jira",
            "from": None if added else other_key,
            "fromString": None if added else text,
            "to": other_key if added else None,
            "toString": text if added else None,
        }

    # -- mutations (tests) -----------------------------------------------------------------

    def _touch(self, issue: FIssue, at: int | None) -> int:
        when = at if at is not None else self.clock()
        issue.updated = max(issue.updated, when)
        self._updated[self.index_of(issue.id)] = issue.updated
        self.version += 1
        return when

    def _append(self, issue: FIssue, at: int, items: list[dict[str, Any]]) -> None:
        self._hist_seq += 1
        issue.histories.append(Hist(self._hist_seq, at, items, "Test User"))

    def update(
        self,
        id_or_key: int | str,
        *,
        status: str | None = None,
        summary: str | None = None,
        add_label: str | None = None,
        parent: int | str | None = None,
        at: int | None = None,
    ) -> FIssue:
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            when = self._touch(issue, at)
            if status is not None and status != issue.status:
                self._append(issue, when, [_status_item(issue.status, status)])
                issue.status = status
                issue.resolved = when if status == "Done" else None
            if summary is not None:
                issue.summary = summary
            if add_label is not None and add_label not in issue.labels:
                self._append(issue, when, [_labels_item(issue.labels, [*issue.labels, add_label])])
                issue.labels = [*issue.labels, add_label]
            if parent is not None:
                new = self._need(parent)
                self._append(issue, when, [self._parent_item(issue.parent_id, new)])
                issue.parent_id = new
            return issue

    def flag(self, id_or_key: int | str, reason: str | None, *, at: int | None = None) -> None:
        """Flag (reason given: comment "(flag) Flag added" + reason) or clear (reason None)."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            when = self._touch(issue, at)
            on = reason is not None
            self._append(issue, when, [self._flag_item(on)])
            issue.flagged = on
            self._hist_seq += 1
            text = _flag_text(reason) if reason is not None else "(flag) Flag removed"
            issue.comments.append((self._hist_seq, when, text))

    def add_link(
        self, blocker: int | str, blocked: int | str, *, type: str = "Blocks", at: int | None = None
    ) -> int:
        """Create a link as Jira's POST /issueLink would: ``blocker`` on the outward side."""
        with self.lock:
            out_id, in_id = self._need(blocker), self._need(blocked)
            when = at if at is not None else self.clock()
            self._link_seq += 1
            rec = LinkRec(self._link_seq, type, out_id, in_id, when)
            self.links[rec.id] = rec
            for iid in (out_id, in_id):
                self._links_of.setdefault(iid, []).append(rec.id)
                issue = self._mutable(iid)
                self._touch(issue, when)
                self._append(issue, when, [self._link_item(rec, iid, added=True)])
            return rec.id

    def remove_link(self, link_id: int, *, at: int | None = None) -> None:
        with self.lock:
            rec = self.links[link_id]
            when = at if at is not None else self.clock()
            for iid in (rec.outward, rec.inward):
                issue = self._mutable(iid)
                self._touch(issue, when)
                self._append(issue, when, [self._link_item(rec, iid, added=False)])
            rec.removed = when

    def live_links(self, issue_id: int) -> list[LinkRec]:
        return [
            self.links[lid]
            for lid in self._links_of.get(issue_id, ())
            if self.links[lid].removed is None
        ]

    def move(self, id_or_key: int | str, project: str, *, at: int | None = None) -> str:
        """Move to another project: new key, same id (history gets Key/project items)."""
        with self.lock:
            iid = self._need(id_or_key)
            issue = self._mutable(iid)
            when = self._touch(issue, at)
            old = issue.key
            num = self._next_num.get(project, 10_000) + 1
            self._next_num[project] = num
            self._moved[iid] = (project, num)
            issue.project, issue.num = project, num
            self._append(
                issue,
                when,
                [
                    {
                        "field": "Key",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": old,
                        "to": None,
                        "toString": issue.key,
                    },
                    {
                        "field": "project",
                        "fieldtype": "jira",
                        "from": None,
                        "fromString": old.split("-")[0],
                        "to": None,
                        "toString": project,
                    },
                ],
            )
            return issue.key

    def delete(self, id_or_key: int | str) -> None:
        with self.lock:
            self._deleted.add(self._need(id_or_key))
            self.version += 1

    def restore(self, id_or_key: int | str) -> None:
        with self.lock:
            self._deleted.discard(self._need(id_or_key))
            self.version += 1

    def add_remote_link(
        self,
        id_or_key: int | str,
        url: str,
        relationship: str,
        *,
        at: int | None = None,
        history: bool = True,
    ) -> int:
        """``history=False``: a link the changelog does not show and ``updated`` does not
        reflect (made by an app; whether Jira records such edits is unverified)."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            self._remote_seq += 1
            title = url.rsplit("/", 3)[-3] + "#" + url.rsplit("/", 1)[-1]
            issue.remote.append(_remote(self._remote_seq, url, relationship, title))
            if history:
                self._append(issue, self._touch(issue, at), [_remote_item(self._remote_seq, title)])
            else:
                self.version += 1
            return self._remote_seq

    def malform(
        self, id_or_key: int | str, how: str = "bad_created", *, at: int | None = None
    ) -> None:
        """Break one issue's payload: "bad_created", "no_summary" or "status_string"."""
        with self.lock:
            issue = self._mutable(self._need(id_or_key))
            self._touch(issue, at)
            issue.malformed = how

    def touch_many(self, count: int, *, status: str = "In Review", start: int = 0) -> list[int]:
        """Update ``count`` in-scope issues (benchmarks): one status change each."""
        done: list[int] = []
        index = start
        while len(done) < count and index < self.n:
            iid = self.id_of(index)
            if self.key_of(iid).split("-")[0] in IN_SCOPE and self.visible(iid):
                current = self.issue(iid).status
                self.update(iid, status=status if current != status else "In Progress")
                done.append(iid)
            index += 1
        return done

    def _need(self, id_or_key: int | str) -> int:
        iid = self.resolve(id_or_key)
        if iid is None:
            raise KeyError(f"no issue {id_or_key!r} in the fake")
        return iid

    def fault(self, kind: str = "status", **kwargs: Any) -> Fault:
        with self.lock:
            f = Fault(kind, **kwargs)
            self.faults.append(f)
            return f

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def count(self, path_part: str = "", method: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if path_part in r.path and (method is None or r.method == method)
        )

    # -- rendering -------------------------------------------------------------------------

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def ts(self, ms: int) -> str:
        """Jira's timestamp format, in the API user's timezone (``…T04:00:00.000-0800``)."""
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(self._tz())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + moment.strftime("%z")

    def _status(self, name: str) -> dict[str, Any]:
        sid, cat = STATUSES.get(name, ("1", "new"))
        cid, cname = CATEGORY_NAMES[cat]
        return {
            "self": f"{self.url}/rest/api/2/status/{sid}",
            "id": sid,
            "name": name,
            "statusCategory": {"id": int(cid), "key": cat, "name": cname},
        }

    def _issuetype(self, name: str) -> dict[str, Any]:
        tid, level = TYPES[name]
        return {"id": tid, "name": name, "subtask": False, "hierarchyLevel": level}

    def _mini(self, iid: int) -> dict[str, Any]:
        other = self.issue(iid)
        return {
            "id": str(iid),
            "key": other.key,
            "self": f"{self.url}/rest/api/2/issue/{iid}",
            "fields": {
                "summary": other.summary,
                "status": self._status(other.status),
                "issuetype": self._issuetype(other.type),
            },
        }

    def _sprint_value(self, sid: int) -> Any:
        sprint = self.sprint(sid)
        if not self.sprint_strings:
            return sprint
        return (
            f"com.atlassian.greenhopper.service.sprint.Sprint@{sid:x}[id={sid},"
            f"rapidViewId={sprint['boardId']},state={sprint['state'].upper()},"
            f"name={sprint['name']},startDate={sprint['startDate']},endDate={sprint['endDate']},"
            f"completeDate={sprint['completeDate'] or '<null>'},sequence={sid}]"
        )

    def _comment_body(self, text: str) -> Any:
        if not self.cloud:
            return text
        first, _, rest = text.partition("\n\n")
        content: list[dict[str, Any]] = []
        if first.startswith("(flag) "):
            flag = "flag_on" if "added" in first else "flag_off"
            content.append(
                {
                    "type": "paragraph",
                    "content": [
                        {
                            "type": "emoji",
                            "attrs": {
                                "shortName": f":{flag}:",
                                "id": f"atlassian-{flag}",
                                "text": f":{flag}:",
                            },
                        },
                        {"type": "text", "text": " " + first.removeprefix("(flag) ")},
                    ],
                }
            )
        else:
            content.append({"type": "paragraph", "content": [{"type": "text", "text": first}]})
        if rest:
            content.append({"type": "paragraph", "content": [{"type": "text", "text": rest}]})
        return {"type": "doc", "version": 1, "content": content}

    def render(self, iid: int, wanted: set[str] | None) -> dict[str, Any]:
        """Issue JSON with the requested fields (None: all navigable fields)."""
        issue = self.issue(iid)
        spec = next(p for p in PROJECTS if p.key == issue.project)
        fid = self.fid

        def want(name: str) -> bool:
            return wanted is None or name in wanted or "*all" in wanted or "*navigable" in wanted

        fields: dict[str, Any] = {}
        if want("summary"):
            fields["summary"] = issue.summary
        if want("status"):
            fields["status"] = self._status(issue.status)
        if want("issuetype"):
            fields["issuetype"] = self._issuetype(issue.type)
        if want("created"):
            fields["created"] = self.ts(issue.created)
        if want("updated"):
            fields["updated"] = self.ts(issue.updated)
        if want("resolutiondate"):
            fields["resolutiondate"] = self.ts(issue.resolved) if issue.resolved else None
        if want("assignee"):
            fields["assignee"] = (
                {
                    "accountId": f"acc-{abs(hash(issue.assignee)) % 10**6}",
                    "displayName": issue.assignee,
                }
                if issue.assignee
                else None
            )
        if want("labels"):
            fields["labels"] = list(issue.labels)
        if want("components"):
            fields["components"] = [
                {"id": str(10_000 + k), "name": c} for k, c in enumerate(issue.components)
            ]
        if want("project"):
            fields["project"] = {
                "id": str(10_000 + [p.key for p in PROJECTS].index(issue.project)),
                "key": issue.project,
                "name": spec.name,
            }
        if want("parent"):
            fields["parent"] = (
                self._mini(issue.parent_id) if self.cloud and issue.parent_id else None
            )
        if want("issuelinks"):
            fields["issuelinks"] = [self._link_entry(rec, iid) for rec in self.live_links(iid)]
        if want("comment"):
            comments = [
                {
                    "id": str(cid),
                    "author": {"displayName": "Test User"},
                    "body": self._comment_body(text),
                    "created": self.ts(at),
                    "updated": self.ts(at),
                }
                for cid, at, text in issue.comments
            ]
            fields["comment"] = {
                "comments": comments,
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            }
        if want(fid["sprint"]):
            fields[fid["sprint"]] = [self._sprint_value(s) for s in issue.sprint_ids] or None
        if want(fid["flagged"]):
            fields[fid["flagged"]] = (
                [
                    {
                        "self": f"{self.url}/rest/api/2/customFieldOption/10019",
                        "value": "Impediment",
                        "id": "10019",
                    }
                ]
                if issue.flagged
                else None
            )
        if want(fid["team"]):
            fields[fid["team"]] = {"id": spec.team, "name": spec.name, "isVisible": True}
        if want(fid["points"]):
            fields[fid["points"]] = issue.points
        if want(fid["epic_link"]):
            fields[fid["epic_link"]] = (
                self.key_of(issue.parent_id) if not self.cloud and issue.parent_id else None
            )
        self._break(issue, fields)
        return {
            "expand": "",
            "id": str(iid),
            "self": f"{self.url}/rest/api/2/issue/{iid}",
            "key": issue.key,
            "fields": fields,
        }

    @staticmethod
    def _break(issue: FIssue, fields: dict[str, Any]) -> None:
        if issue.malformed == "bad_created" and "created" in fields:
            fields["created"] = "last Tuesday"
        elif issue.malformed == "no_summary":
            fields.pop("summary", None)
        elif issue.malformed == "status_string" and "status" in fields:
            fields["status"] = "Done"

    def _link_entry(self, rec: LinkRec, me: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(rec.id),
            "self": f"{self.url}/rest/api/2/issueLink/{rec.id}",
            "type": {**LINK_TYPE[rec.type], "self": f"{self.url}/rest/api/2/issueLinkType"},
        }
        if me == rec.outward:
            entry["outwardIssue"] = self._mini(rec.inward)
        else:
            entry["inwardIssue"] = self._mini(rec.outward)
        return entry

    def render_history(self, h: Hist) -> dict[str, Any]:
        return {
            "id": str(h.id),
            "author": {"displayName": h.author, "active": True},
            "created": self.ts(h.at),
            "items": h.items,
        }

    def fields_listing(self) -> list[dict[str, Any]]:
        fid = self.fid
        custom = "com.atlassian.jira.plugin.system.customfieldtypes:"
        return [
            _field("summary", "Summary", {"type": "string", "system": "summary"}),
            _field("status", "Status", {"type": "status", "system": "status"}),
            _field("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
            _field(
                "customfield_10019",
                "Rank",
                {
                    "type": "any",
                    "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank",
                    "customId": 10019,
                },
            ),
            _field(
                fid["sprint"],
                "Sprint",
                {
                    "type": "array",
                    "items": "json",
                    "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                    "customId": 10020,
                },
            ),
            _field(
                "customfield_10099",
                "Sprint Goal",
                {"type": "string", "custom": custom + "textfield", "customId": 10099},
            ),
            _field(
                fid["flagged"],
                "Flagged",
                {
                    "type": "array",
                    "items": "option",
                    "custom": custom + "multicheckboxes",
                    "customId": 10021,
                },
            ),
            _field(
                fid["team"],
                "Team",
                {
                    "type": "team",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
                    "customId": 10001,
                },
            ),
            _field(
                "customfield_10028",
                "Story Points",
                {"type": "number", "custom": custom + "float", "customId": 10028},
            ),
            _field(
                fid["points"],
                "Story point estimate",
                {
                    "type": "number",
                    "custom": "com.pyxis.greenhopper.jira:jsw-story-points",
                    "customId": 10016,
                },
            ),
            _field(
                fid["epic_link"],
                "Epic Link",
                {
                    "type": "any",
                    "custom": "com.pyxis.greenhopper.jira:gh-epic-link",
                    "customId": 10014,
                },
            ),
        ]

    # -- search ----------------------------------------------------------------------------

    def search_rows(self, jql: str) -> list[tuple[Any, ...]]:
        """Matching rows ``(sortkey, id)`` in JQL order; cached per data version."""
        cache_key = (jql, self.version)
        if cache_key in self._cache:
            return self._cache[cache_key]
        where, order = parse_jql(jql, self._tz(), known_projects={p.key for p in PROJECTS})
        only = re.match(r"\s*id\s+in\s*\(([\d,\s]+)\)\s*(?:order\s+by|$)", jql, re.I)
        indexes: Any = range(self.n)
        if only:  # by-id lookups (Data Center reads changed issues so) need no full scan
            ids = {int(x) for x in only[1].split(",") if x.strip()}
            indexes = sorted(self.index_of(i) for i in ids if 0 <= self.index_of(i) < self.n)
        rows = []
        for index in indexes:
            iid = self.id_of(index)
            if iid in self._deleted:
                continue
            key = self.key_of(iid)
            proj, num = key.rsplit("-", 1)
            row = {
                "id": iid,
                "key": key,
                "project": proj,
                "num": int(num),
                "created": self._created[index],
                "updated": self._updated[index],
            }
            if where(row):
                rows.append((_sort_key(row, order), iid))
        rows.sort()
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[cache_key] = rows
        return rows

    # -- server ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            return "http://127.0.0.1:0"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeJira:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling ------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if self.cloud:
            expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return header == f"Basic {expected}"
        return header == f"Bearer {self.token}"

    def handle(
        self, method: str, path: str, params: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        route = re.sub(r"^/rest/api/(2|3|latest)/", "/", path)
        if route == "/serverInfo":
            return (
                200,
                {
                    "baseUrl": self.url,
                    "version": "1001.0.0-SNAPSHOT" if self.cloud else "9.12.4",
                    "versionNumbers": [1001, 0, 0] if self.cloud else [9, 12, 4],
                    "deploymentType": "Cloud" if self.cloud else "DataCenter",
                    "buildNumber": 100_273,
                    "serverTitle": "Acme Jira",
                },
                {},
            )
        if route == "/myself":
            return (
                200,
                {
                    "accountId": "5b10a2844c20165700ede21g",
                    "emailAddress": self.email,
                    "displayName": "Sync Bot",
                    "timeZone": self.time_zone,
                    "active": True,
                },
                {},
            )
        if route == "/field":
            return 200, self.fields_listing(), {}
        if route == "/issueLinkType":
            return 200, {"issueLinkTypes": list(LINK_TYPES)}, {}
        if route == "/search/jql":
            if not self.cloud:
                return 404, {"errorMessages": ["null for uri: " + path]}, {}
            return self._search_jql({**params, **(body or {})})
        if route == "/search":
            if self.cloud:
                return (
                    410,
                    {
                        "errorMessages": [
                            "The requested API has been removed. Please migrate to the "
                            "/rest/api/3/search/jql API."
                        ]
                    },
                    {},
                )
            return self._search_dc({**params, **(body or {})})
        if route == "/issue/bulkfetch" and method == "POST" and self.cloud:
            return self._bulkfetch(body or {})
        if route == "/changelog/bulkfetch" and method == "POST" and self.cloud:
            return self._changelog_bulk(body or {})
        match = re.fullmatch(r"/issue/([^/]+)(/remotelink|/comment)?", route)
        if match:
            iid = self.resolve(match[1])
            if iid is None or not self.visible(iid):
                return (
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ]
                    },
                    {},
                )
            if match[2] == "/remotelink":
                return 200, list(self.issue(iid).remote), {}
            if match[2] == "/comment":
                return 200, self._comments_page(iid, params), {}
            return 200, self._get_issue(iid, params), {}
        return 404, {"errorMessages": [f"no fake route for {method} {path}"]}, {}

    def _search_jql(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        try:
            rows = self.search_rows(str(params.get("jql") or ""))
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        wanted = _field_set(params.get("fields"), default={"id"})
        cheap = wanted <= {"id", "key", "updated", "created"}
        limit = min(int(params.get("maxResults") or 50), 5000 if cheap else 100)
        token = params.get("nextPageToken")
        start = 0
        if token:
            after = json.loads(base64.urlsafe_b64decode(str(token)))
            start = bisect.bisect_right(rows, (_tuples(after[0]), after[1]))
        chunk = rows[start : start + limit]
        issues = [self._search_issue(iid, wanted) for _, iid in chunk]
        result: dict[str, Any] = {"issues": issues, "isLast": start + limit >= len(rows)}
        if start + limit < len(rows) and chunk:
            last = chunk[-1]
            result["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps([list(last[0]), last[1]]).encode()
            ).decode()
        return 200, result, {}

    def _search_issue(self, iid: int, wanted: set[str]) -> dict[str, Any]:
        if wanted <= {"id", "key", "updated", "created"}:
            index = self.index_of(iid)
            fields: dict[str, Any] = {}
            if "updated" in wanted:
                issue = self._over.get(iid)
                fields["updated"] = self.ts(issue.updated if issue else self._updated[index])
            if "created" in wanted:
                fields["created"] = self.ts(self._created[index])
            out: dict[str, Any] = {
                "id": str(iid),
                "key": self.key_of(iid),
                "self": f"{self.url}/rest/api/2/issue/{iid}",
            }
            if fields:
                out["fields"] = fields
            return out
        return self.render(iid, wanted)

    def _search_dc(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        try:
            rows = self.search_rows(str(params.get("jql") or ""))
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        start = int(params.get("startAt") or 0)
        if start >= self.max_result_window:
            return (
                400,
                {
                    "errorMessages": [
                        f"Result window is too large, from + size must be less than or equal to: "
                        f"[{self.max_result_window}] but was [{start + 1}]."
                    ]
                },
                {},
            )
        limit = min(int(params.get("maxResults") or 50), 1000)
        wanted = _field_set(params.get("fields"), default=None)
        expand = str(params.get("expand") or "")
        issues = []
        for _, iid in rows[start : start + limit]:
            cheap = wanted is not None and wanted <= {"id", "key", "updated", "created"}
            raw = self._search_issue(iid, wanted) if cheap and wanted else self.render(iid, wanted)
            if "changelog" in expand:
                hists = sorted(self.issue(iid).histories, key=lambda h: (h.at, h.id), reverse=True)
                raw["changelog"] = {
                    "startAt": 0,
                    "maxResults": min(100, len(hists)),
                    "total": len(hists),
                    "histories": [self.render_history(h) for h in hists[:100]],
                }
            issues.append(raw)
        return (
            200,
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": limit,
                "total": len(rows),
                "issues": issues,
            },
            {},
        )

    def _get_issue(self, iid: int, params: dict[str, str]) -> dict[str, Any]:
        raw = self.render(iid, _field_set(params.get("fields"), default=None))
        if "changelog" in (params.get("expand") or ""):
            hists = sorted(self.issue(iid).histories, key=lambda h: (h.at, h.id), reverse=True)
            raw["changelog"] = {
                "startAt": 0,
                "maxResults": len(hists),
                "total": len(hists),
                "histories": [self.render_history(h) for h in hists],
            }
        return raw

    def _comments_page(self, iid: int, params: dict[str, str]) -> dict[str, Any]:
        """``GET issue/{id}/comment`` (offset paged, what Perceval reads per issue)."""
        comments = self.render(iid, {"comment"})["fields"]["comment"]["comments"]
        start = int(params.get("startAt") or 0)
        limit = min(int(params.get("maxResults") or 50), 5000)
        return {
            "startAt": start,
            "maxResults": limit,
            "total": len(comments),
            "comments": comments[start : start + limit],
        }

    def _bulkfetch(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 100:
            return 400, {"errorMessages": ["issueIdsOrKeys: at most 100"]}, {}
        wanted = _field_set(body.get("fields"), default=None)
        found = sorted({i for x in ids if (i := self.resolve(x)) is not None and self.visible(i)})
        return 200, {"issues": [self.render(i, wanted) for i in found], "issueErrors": []}, {}

    def _changelog_bulk(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 1000:
            return 400, {"errorMessages": ["issueIdsOrKeys: at most 1000"]}, {}
        limit = min(int(body.get("maxResults") or 1000), 10_000)
        found = sorted({i for x in ids if (i := self.resolve(x)) is not None and self.visible(i)})
        entries = sorted(
            ((h.at, iid, h.id, h) for iid in found for h in self.issue(iid).histories),
            key=lambda e: (e[0], e[1], e[2]),
        )
        start = int(body.get("nextPageToken") or 0)
        chunk = entries[start : start + limit]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for _, iid, _, h in chunk:
            grouped.setdefault(iid, []).append(self.render_history(h))
        result: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(iid), "changeHistories": hists} for iid, hists in grouped.items()
            ]
        }
        if start + limit < len(entries):
            result["nextPageToken"] = str(start + limit)
        return 200, result, {}

    # -- /__fake control endpoints (a benchmark drives a server in another process) ---------

    def control(self, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/__fake/stats":
            by_path = Counter(re.sub(r"/\d+", "/{id}", r.path) for r in self.requests)
            return 200, {"requests": len(self.requests), "by_path": dict(by_path)}, {}
        if path == "/__fake/reset-log":
            self.requests.clear()
            return 200, {}, {}
        if path == "/__fake/touch":
            ids = self.touch_many(int(body.get("count", 1)), start=int(body.get("start", 0)))
            return 200, {"touched": len(ids)}, {}
        return 404, {}, {}


# ---------------------------------------------------------------------------------------------
# HTTP handler
# ---------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    fake: FakeJira
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests assert on fake.requests instead

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.fake
        route = re.sub(r"/\d+", "/{id}", urlparse(self.path).path)
        with fake.lock:
            fake.in_flight[route] += 1
            fake.peak_in_flight[route] = max(fake.peak_in_flight[route], fake.in_flight[route])
        try:
            self._answer(method)
        finally:
            with fake.lock:
                fake.in_flight[route] -= 1

    def _answer(self, method: str) -> None:
        fake = self.fake
        parsed = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if parsed.path.startswith("/__fake/"):
            with fake.lock:
                status, payload, headers = fake.control(parsed.path, body or {})
            self._send(status, payload, headers)
            return
        fault = self._fault(parsed.path)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay)
            elif fault.kind == "reset":
                self._log(method, parsed.path, params, body, 0)
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()
                return
            else:
                self._log(method, parsed.path, params, body, fault.status)
                self._send(fault.status, {"errorMessages": ["injected fault"]}, fault.headers)
                return
        if not fake.authorized(self.headers.get("Authorization")):
            self._log(method, parsed.path, params, body, 401)
            self._send(
                401,
                {
                    "errorMessages": [
                        "You are not authenticated. "
                        "Authentication required to perform this operation."
                    ]
                },
                {},
            )
            return
        with fake.lock:
            try:
                status, payload, headers = fake.handle(method, parsed.path, params, body)
            except (ValueError, TypeError, KeyError) as exc:
                status, payload, headers = 400, {"errorMessages": [f"bad request: {exc}"]}, {}
            for hook in fake.after_request:
                hook(method, parsed.path, body)
        self._log(method, parsed.path, params, body, status)
        self._send(status, payload, headers)

    def _fault(self, path: str) -> Fault | None:
        with self.fake.lock:
            for fault in self.fake.faults:
                if fault.path and fault.path not in path:
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                if fault.times != -1 and fault.seen > fault.after + fault.times:
                    continue
                return fault
        return None

    def _log(self, method: str, path: str, params: dict[str, str], body: Any, status: int) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() == "authorization"}
        with self.fake.lock:
            self.fake.requests.append(Logged(method, path, params, body, status, headers))

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in {**self.fake.rate_headers, **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


# ---------------------------------------------------------------------------------------------
# JQL subset
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"]*"|\'[^\']*\')|(?P<op>>=|<=|!=|>|<|=|\(|\)|,)|(?P<word>[\w.\-/:]+))'
)


def parse_jql(
    jql: str, tz: ZoneInfo, known_projects: set[str]
) -> tuple[Callable[[dict[str, Any]], bool], list[tuple[str, bool]]]:
    """Compile the subset into (predicate over a row, [(order field, ascending)])."""
    body, order = _split_order(jql)
    tokens = _tokens(body)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        pos += 1
        return tokens[pos - 1]

    def expr() -> Callable[[dict[str, Any]], bool]:
        parts = [term()]
        while (peek() or "").upper() == "OR":
            take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def term() -> Callable[[dict[str, Any]], bool]:
        parts = [factor()]
        while (peek() or "").upper() == "AND":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def factor() -> Callable[[dict[str, Any]], bool]:
        if peek() == "(":
            take()
            inner = expr()
            if take() != ")":
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return clause()

    def clause() -> Callable[[dict[str, Any]], bool]:
        name = take().lower()
        name = {"issuekey": "key", "issue": "key"}.get(name, name)
        op = take().lower()
        negate = False
        if op == "not":
            negate, op = True, take().lower()
        if op == "in":
            if take() != "(":
                raise JqlError("Error in the JQL Query: expecting '(' after IN.")
            values = []
            while True:
                values.append(_unquote(take()))
                sep = take()
                if sep == ")":
                    break
                if sep != ",":
                    raise JqlError("Error in the JQL Query: expecting ',' or ')'.")
            return _membership(name, values, negate, known_projects)
        value = _unquote(take())
        if name in ("updated", "created"):
            moment = _date_literal(value, tz)
            return _compare(name, op, moment)
        if op in ("=", "!="):
            return _membership(name, [value], op == "!=", known_projects)
        raise JqlError(f"Error in the JQL Query: unsupported clause {name} {op}.")

    predicate = expr() if tokens else (lambda r: True)
    if pos != len(tokens):
        raise JqlError(f"Error in the JQL Query: unexpected {tokens[pos]!r}.")
    if not body.strip():
        raise JqlError(
            "Unbounded JQL queries are not allowed here. Please add a search restriction."
        )
    return predicate, order


def _split_order(jql: str) -> tuple[str, list[tuple[str, bool]]]:
    match = re.search(r"\border\s+by\b", jql, re.I)
    if not match:
        return jql, []
    order = []
    for part in jql[match.end() :].split(","):
        words = part.split()
        if not words:
            continue
        name = {"issuekey": "key"}.get(words[0].lower(), words[0].lower())
        if name not in ("updated", "created", "key", "id"):
            raise JqlError(f"Error in the JQL Query: cannot order by {words[0]}.")
        order.append((name, not (len(words) > 1 and words[1].upper() == "DESC")))
    return jql[: match.start()], order


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: cannot read {text[pos : pos + 20]!r}.")
        tokens.append(match.group(match.lastgroup or "word"))
        pos = match.end()
    return tokens


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def _date_literal(value: str, tz: ZoneInfo) -> int:
    """Epoch ms exactly; date strings in the user's timezone, minute precision (as Jira)."""
    if re.fullmatch(r"-?\d+", value):  # epoch ms, any size (Perceval asks "> 0")
        return int(value)
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            local = datetime.strptime(value, fmt)  # noqa: DTZ007 - zone applied below
        except ValueError:
            continue
        return int(local.replace(tzinfo=tz).timestamp() * 1000)
    raise JqlError(
        f"Error in the JQL Query: Date value '{value}' for field 'updated' is invalid. Valid "
        "formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'."
    )


def _compare(name: str, op: str, moment: int) -> Callable[[dict[str, Any]], bool]:
    ops: dict[str, Callable[[int, int], bool]] = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
    }
    if op not in ops:
        raise JqlError(f"Error in the JQL Query: unsupported operator {op!r}.")
    fn = ops[op]
    return lambda r: fn(r[name], moment)


def _membership(
    name: str, values: list[str], negate: bool, known_projects: set[str]
) -> Callable[[dict[str, Any]], bool]:
    if name == "project":
        for value in values:
            if value not in known_projects:
                raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
        wanted: set[Any] = set(values)
        return lambda r: (r["project"] in wanted) != negate
    if name == "id":
        ids = {int(v) for v in values}
        return lambda r: (r["id"] in ids) != negate
    if name == "key":
        keys = set(values)
        return lambda r: (r["key"] in keys) != negate
    raise JqlError(f"Error in the JQL Query: field '{name}' is not supported by the fake.")


def _sort_key(row: dict[str, Any], order: list[tuple[str, bool]]) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, asc in order or [("key", False)]:
        value: Any = (row["project"], row["num"]) if name == "key" else row[name]
        if not asc:
            value = (-value[1],) if name == "key" else -value
        parts.append(value)
    return tuple(parts)


# ---------------------------------------------------------------------------------------------
# small payload helpers
# ---------------------------------------------------------------------------------------------


def _tuples(value: Any) -> Any:
    """JSON gives lists back; sort keys are (nested) tuples."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _iso_z(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _field(fid: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fid,
        "key": fid,
        "name": name,
        "custom": fid.startswith("customfield_"),
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": [name.lower(), fid],
        "schema": schema,
    }


def _field_set(value: Any, default: set[str] | None) -> set[str] | None:
    if value is None or value == "":
        return default
    items = value if isinstance(value, list) else str(value).split(",")
    return {str(i).strip() for i in items if str(i).strip()}


def _status_item(old: str, new: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUSES[old][0],
        "fromString": old,
        "to": STATUSES[new][0],
        "toString": new,
    }


def _labels_item(old: list[str], new: list[str]) -> dict[str, Any]:
    return {
        "field": "labels",
        "fieldtype": "jira",
        "fieldId": "labels",
        "from": None,
        "fromString": " ".join(old),
        "to": None,
        "toString": " ".join(new),
    }


def _remote(rid: int, url: str, relationship: str, title: str) -> dict[str, Any]:
    return {
        "id": rid,
        "self": f"/rest/api/2/issue/remotelink/{rid}",
        "globalId": url,
        "application": {"type": "com.github", "name": "GitHub"},
        "relationship": relationship,
        "object": {
            "url": url,
            "title": title,
            "summary": "",
            "icon": {"url16x16": "https://github.com/favicon.ico"},
            "status": {"resolved": False},
        },
    }


def _remote_item(rid: int, title: str) -> dict[str, Any]:
    return {
        "field": "RemoteIssueLink",
        "fieldtype": "jira",
        "from": None,
        "fromString": None,
        "to": str(rid),
        "toString": f'This issue links to "{title} (Web Link)"',
    }


def _flag_text(reason: str) -> str:
    return f"(flag) Flag added\n\n{reason}"


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[FakeJira]:
    """``with running(issues=50) as fake: ...`` — a started fake, stopped afterwards."""
    fake = FakeJira(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()


def at_local(fake: FakeJira, text: str) -> int:
    """Epoch ms of a wall-clock time (``"2026-04-10 12:00:30"``) in the fake user's timezone."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(fake.time_zone))
    return int(local.timestamp() * 1000)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def main() -> None:  # pragma: no cover - the benchmark runs the server in its own process
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Serve a fake Jira on 127.0.0.1")
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dc", action="store_true", help="Data Center instead of Cloud")
    parser.add_argument("--time-zone", default="UTC")
    parser.add_argument("--max-result-window", type=int, default=10_000)
    args = parser.parse_args()
    fake = FakeJira(
        issues=args.issues,
        seed=args.seed,
        cloud=not args.dc,
        time_zone=args.time_zone,
        max_result_window=args.max_result_window,
    )
    fake.start()
    sys.stdout.write(fake.url + "\n")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
