"""A loopback fake of the GitHub REST API slice trainyard reads (deterministic, seeded).

Serves, shaped like GHSpec (``github/rest-api-description``):

* ``GET /repos/{o}/{r}/issues`` with ``state``/``sort``/``direction``/``since``/``per_page``/
  ``page`` and ``Link`` headers; pull requests included (``pull_request`` key), as GitHub does;
  every issue carries ``issue_dependencies_summary`` (``blocked_by``/``blocking`` count open
  ends, ``total_*`` all) and ``sub_issues_summary``, kept current by every mutation;
* ``GET /repos/{o}/{r}/issues/{n}`` (301 to ``/repositories/{id}/issues/{m}`` after a transfer,
  410 after a deletion, 404 when unknown), and below it ``sub_issues``,
  ``dependencies/blocked_by``, ``dependencies/blocking`` and ``timeline``;
* ETags on every 200 and ``If-None-Match`` → 304, which costs no rate limit;
* ``x-ratelimit-*`` headers with a decrementing budget; 0 left → 403 "API rate limit exceeded";
* fault injection (secondary-limit 403s with or without ``Retry-After``, 429s, 5xx, primary
  exhaustion), a request log, and ``after_request`` hooks (``hook(method, path, query)`` after
  each answer is decided), so a test can change the data between two calls of one run.

Mutation helpers change the data the way GitHub does: labels, bodies, state and transfers bump
``updated_at``; **adding or removing a dependency does not** (only the timeline and the
summaries change). Timestamps of mutations follow the wall clock (strictly increasing), so a
real sync's ``since`` sees them. ``FakeGitHub(...).start()`` returns the base URL.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
TOKEN = "ghp_fake_loopback_token"
TEAMS = ("checkout", "payments", "platform", "search", "mobile", "identity", "data", "growth")
LABELS = ("bug", "feature", "blocked", "tech-debt", "ux", "security")
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Logged:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


@dataclass(slots=True)
class Fault:
    """Answer matching requests with ``status`` (``times`` times, or every ``every``-th)."""

    status: int
    path: str = ""  # regex searched in the path; "" matches every request
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "injected fault"
    every: int = 0  # > 0: a storm, every n-th matching request fails (``times`` ignored)
    seen: int = 0


@dataclass(slots=True)
class Repo:
    id: int
    full_name: str
    numbers: dict[int, dict[str, Any]] = field(default_factory=dict)  # number → issue JSON
    next_number: int = 1
    milestones: list[dict[str, Any]] = field(default_factory=list)
    _order: list[tuple[str, int]] | None = None  # (updated_at, number) sorted, lazily

    def order(self) -> list[tuple[str, int]]:
        if self._order is None:
            self._order = sorted((i["updated_at"], n) for n, i in self.numbers.items())
        return self._order


class FakeGitHub:
    """The data set plus the loopback server. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        seed: int = 7,
        repos: int = 3,
        issues_per_repo: int = 40,
        owner: str = "acme",
        token: str = TOKEN,
        prefix: str = "",  # "/api/v3" to look like Enterprise Server
        rate_limit: int = 5000,
        reset_in: int = 3600,
        pr_ratio: float = 0.15,
    ) -> None:
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + reset_in
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.repos: dict[str, Repo] = {}
        self.by_id: dict[int, tuple[str, int]] = {}  # issue id → (repo, number)
        self.moved: dict[tuple[str, int], int] = {}  # old (repo, number) → issue id
        self.deleted: set[tuple[str, int]] = set()
        self.blocked_by: dict[int, list[int]] = {}  # blocked id → blocker ids
        self.children: dict[int, list[int]] = {}  # parent id → child ids
        self.timeline: dict[int, list[dict[str, Any]]] = {}
        self.after_request: list[Callable[[str, str, dict[str, str]], None]] = []
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._next_id = 1_000_000 + seed * 10_000_000
        self._next_event = 5_000_000
        self._clock = EPOCH
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""
        names = [
            f"{owner}/{TEAMS[i % len(TEAMS)]}-{i // len(TEAMS) or 'web'}" for i in range(repos)
        ]
        for i, name in enumerate(names):
            self.repos[name] = Repo(id=500 + i, full_name=name)
        self._generate(issues_per_repo, pr_ratio)
        self._clock = max(self._clock, datetime.now(UTC).replace(microsecond=0))

    # -- server -------------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # headers and body go out in two writes: without this, Nagle plus the
                # client's delayed ACK add 40 ms to every response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}{self.prefix}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- queries for tests ----------------------------------------------------------------------

    def issue(self, key: str) -> dict[str, Any]:
        repo, number = key.split("#")
        return self.repos[repo].numbers[int(number)]

    def issues(self, *, prs: bool = False) -> Iterator[dict[str, Any]]:
        for repo in self.repos.values():
            for raw in repo.numbers.values():
                if prs or "pull_request" not in raw:
                    yield raw

    def key_of(self, issue_id: int) -> str:
        repo, number = self.by_id[issue_id]
        return f"{repo}#{number}"

    def requests(self, path: str = "", status: int | None = None) -> list[Logged]:
        pattern = re.compile(path)
        return [
            r for r in self.log if pattern.search(r.path) and (status is None or r.status == status)
        ]

    # -- mutations (the way GitHub behaves) -------------------------------------------------------

    @property
    def clock(self) -> datetime:
        """The instant of the latest mutation (ahead of the wall clock after a burst)."""
        return self._clock

    def tick(self) -> datetime:
        """The next mutation instant: wall clock, strictly after the previous one."""
        now = datetime.now(UTC).replace(microsecond=0)
        self._clock = max(now, self._clock + timedelta(seconds=1))
        return self._clock

    def add_dependency(self, blocked: str, blocker: str) -> None:
        """Like ``POST …/dependencies/blocked_by``: timeline + summaries, NOT ``updated_at``."""
        with self._lock:
            b, k = self.issue(blocked), self.issue(blocker)
            if k["id"] not in self.blocked_by.setdefault(b["id"], []):
                self.blocked_by[b["id"]].append(k["id"])
                self._event(b["id"], "blocked_by_added", self.tick(), blocked_by=self._ref(k))
                self._event(k["id"], "blocking_added", self._clock, blocking=self._ref(b))
            self._summaries(b["id"], k["id"])

    def remove_dependency(self, blocked: str, blocker: str) -> None:
        with self._lock:
            b, k = self.issue(blocked), self.issue(blocker)
            if k["id"] in self.blocked_by.get(b["id"], []):
                self.blocked_by[b["id"]].remove(k["id"])
                self._event(b["id"], "blocked_by_removed", self.tick(), blocked_by=self._ref(k))
                self._event(k["id"], "blocking_removed", self._clock, blocking=self._ref(b))
            self._summaries(b["id"], k["id"])

    def label(self, key: str, name: str) -> None:
        with self._lock:
            raw = self.issue(key)
            if name not in [lb["name"] for lb in raw["labels"]]:
                raw["labels"].append(self._label(key.split("#")[0], name))
            self._event(raw["id"], "labeled", self._touch(raw), label=_event_label(name))

    def unlabel(self, key: str, name: str) -> None:
        with self._lock:
            raw = self.issue(key)
            raw["labels"] = [lb for lb in raw["labels"] if lb["name"] != name]
            self._event(raw["id"], "unlabeled", self._touch(raw), label=_event_label(name))

    def edit_body(self, key: str, body: str) -> None:
        with self._lock:
            raw = self.issue(key)
            raw["body"] = body
            self._touch(raw)

    def close(self, key: str, reason: str = "completed") -> None:
        with self._lock:
            raw = self.issue(key)
            at = self._touch(raw)
            raw.update(state="closed", state_reason=reason, closed_at=iso(at))
            self._event(raw["id"], "closed", at, state_reason=reason)
            self._recount_blockers_of(raw["id"])

    def reopen(self, key: str) -> None:
        with self._lock:
            raw = self.issue(key)
            at = self._touch(raw)
            raw.update(state="open", state_reason="reopened", closed_at=None)
            self._event(raw["id"], "reopened", at)
            self._recount_blockers_of(raw["id"])

    def transfer(self, key: str, new_repo: str) -> str:
        """Move the issue (same id, new number); the old URL answers 301. Returns the new key."""
        with self._lock:
            old_name, number = key.split("#")
            old, new = self.repos[old_name], self.repos[new_repo]
            raw = old.numbers.pop(int(number))
            old._order = None
            new_number = new.next_number
            new.next_number += 1
            self._place(raw, new, new_number)
            raw["milestone"] = None
            self.moved[(old_name, int(number))] = raw["id"]
            self._touch(raw)
            return f"{new_repo}#{new_number}"

    def delete(self, key: str) -> None:
        with self._lock:
            name, number = key.split("#")
            raw = self.repos[name].numbers.pop(int(number))
            self.repos[name]._order = None
            self.deleted.add((name, int(number)))
            del self.by_id[raw["id"]]

    def create_issue(self, repo: str, title: str, body: str = "") -> str:
        with self._lock:
            at = self.tick()
            raw = self._new_issue(self.repos[repo], title, at, body=body)
            return f"{repo}#{raw['number']}"

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def secondary_limit(
        self, *, path: str = "", times: int = 1, retry_after: int | None = None
    ) -> Fault:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        return self.inject(Fault(403, path, times, headers, SECONDARY))

    def storm(self, every: int, statuses: tuple[int, ...] = (403, 429), path: str = "") -> None:
        """Every ``every``-th request fails, cycling through 403 (secondary) and 429, with and
        without ``Retry-After``."""
        for i, status in enumerate(statuses):
            headers = {"retry-after": "0"} if i % 2 == 0 else {}
            message = SECONDARY if status == 403 else "Too many requests"
            self.inject(Fault(status, path, 0, headers, message, every=every * len(statuses)))
            self.faults[-1].seen = i * every  # stagger them

    # -- generation ---------------------------------------------------------------------------

    def _generate(self, per_repo: int, pr_ratio: float) -> None:
        rng = self._rng
        for repo in self.repos.values():
            for m in range(3):
                due = EPOCH + timedelta(days=14 * (m + 1))
                repo.milestones.append(
                    {
                        "url": f"{{api}}/repos/{repo.full_name}/milestones/{m + 1}",
                        "html_url": f"{{web}}/{repo.full_name}/milestone/{m + 1}",
                        "id": repo.id * 100 + m,
                        "node_id": f"MI_{repo.id}_{m}",
                        "number": m + 1,
                        "title": f"Sprint {m + 1}",
                        "description": None,
                        "state": "closed" if m == 0 else "open",
                        "open_issues": 0,
                        "closed_issues": 0,
                        "created_at": iso(EPOCH),
                        "updated_at": iso(EPOCH),
                        "closed_at": iso(due) if m == 0 else None,
                        "due_on": iso(due),
                    }
                )
        span = max(per_repo * len(self.repos), 1)
        step = timedelta(seconds=max(int(300 * 24 * 3600 / span), 2))
        at = EPOCH
        for i in range(per_repo):
            for repo in self.repos.values():
                at += step
                if rng.random() < pr_ratio:
                    self._new_issue(repo, f"PR {i}", at, pr=True)
                    continue
                raw = self._new_issue(repo, f"{repo.full_name.split('/')[1]} story {i}", at)
                self._decorate(repo, raw, at, rng)
        self._relations(rng)
        for repo in self.repos.values():
            repo._order = None

    def _decorate(self, repo: Repo, raw: dict[str, Any], at: datetime, rng: random.Random) -> None:
        for name in rng.sample(LABELS, rng.choice((0, 1, 1, 2))):
            raw["labels"].append(self._label(repo.full_name, name))
            self._event(raw["id"], "labeled", at, label=_event_label(name))
        if rng.random() < 0.6:
            user = _user(f"dev{rng.randrange(20)}")
            raw["assignee"], raw["assignees"] = user, [user]
        if rng.random() < 0.7:
            raw["milestone"] = dict(repo.milestones[rng.randrange(3)])
        updated = at + timedelta(hours=rng.randrange(1, 72))
        if rng.random() < 0.4:
            reason = "not_planned" if rng.random() < 0.2 else "completed"
            raw.update(state="closed", state_reason=reason, closed_at=iso(updated))
            self._event(raw["id"], "closed", updated, state_reason=reason)
        raw["updated_at"] = iso(updated)
        if rng.random() < 0.05:
            raw["body"] += "\n\nBlocked by PAY-12 until the payment provider ships."

    def _relations(self, rng: random.Random) -> None:
        ids = [i["id"] for i in self.issues()]
        for n, issue_id in enumerate(ids):
            if n % 25 == 0 and n + 3 < len(ids):  # a parent with three sub-issues
                for child in ids[n + 1 : n + 4]:
                    self._adopt(issue_id, child)
            if rng.random() < 0.06 and n > 5:  # blocked by one or two earlier issues
                for blocker in rng.sample(ids[max(0, n - 200) : n], rng.choice((1, 1, 2))):
                    blocked_raw = self._raw(issue_id)
                    blocker_raw = self._raw(blocker)
                    when = datetime.fromisoformat(blocked_raw["created_at"]) + timedelta(hours=1)
                    self.blocked_by.setdefault(issue_id, []).append(blocker)
                    self._event(
                        issue_id, "blocked_by_added", when, blocked_by=self._ref(blocker_raw)
                    )
                    self._summaries(issue_id, blocker)

    def _adopt(self, parent: int, child: int) -> None:
        parent_raw, child_raw = self._raw(parent), self._raw(child)
        self.children.setdefault(parent, []).append(child)
        child_raw["parent_issue_url"] = self._api_url(parent_raw)
        total = len(self.children[parent])
        done = sum(1 for c in self.children[parent] if self._raw(c)["state"] == "closed")
        parent_raw["sub_issues_summary"] = {
            "total": total,
            "completed": done,
            "percent_completed": int(100 * done / total),
        }

    def _new_issue(
        self, repo: Repo, title: str, at: datetime, *, pr: bool = False, body: str = ""
    ) -> dict[str, Any]:
        self._next_id += 1
        number = repo.next_number
        repo.next_number += 1
        raw: dict[str, Any] = {
            "id": self._next_id,
            "node_id": f"I_kwDO{self._next_id}",
            "title": title,
            "user": _user(f"author{self._next_id % 7}"),
            "labels": [],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": 0,
            "created_at": iso(at),
            "updated_at": iso(at),
            "closed_at": None,
            "author_association": "MEMBER",
            "active_lock_reason": None,
            "body": body or f"Work on {title}.",
            "reactions": {"total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0},
            "performed_via_github_app": None,
            "state_reason": None,
            "type": None,
        }
        if pr:
            raw["pull_request"] = {
                "merged_at": None,
                "diff_url": "",
                "html_url": "",
                "patch_url": "",
            }
            raw["draft"] = False
        else:
            raw["sub_issues_summary"] = {"total": 0, "completed": 0, "percent_completed": 0}
            raw["issue_dependencies_summary"] = {
                "blocked_by": 0,
                "total_blocked_by": 0,
                "blocking": 0,
                "total_blocking": 0,
            }
            raw["parent_issue_url"] = None
        self._place(raw, repo, number)
        return raw

    def _place(self, raw: dict[str, Any], repo: Repo, number: int) -> None:
        name = repo.full_name
        raw.update(
            number=number,
            url=f"{{api}}/repos/{name}/issues/{number}",
            repository_url=f"{{api}}/repos/{name}",
            labels_url=f"{{api}}/repos/{name}/issues/{number}/labels{{/name}}",
            comments_url=f"{{api}}/repos/{name}/issues/{number}/comments",
            events_url=f"{{api}}/repos/{name}/issues/{number}/events",
            timeline_url=f"{{api}}/repos/{name}/issues/{number}/timeline",
            html_url=f"{{web}}/{name}/{'pull' if 'pull_request' in raw else 'issues'}/{number}",
        )
        repo.numbers[number] = raw
        repo._order = None
        self.by_id[raw["id"]] = (name, number)

    # -- internals ------------------------------------------------------------------------------

    def _raw(self, issue_id: int) -> dict[str, Any]:
        repo, number = self.by_id[issue_id]
        return self.repos[repo].numbers[number]

    def _touch(self, raw: dict[str, Any]) -> datetime:
        at = self.tick()
        raw["updated_at"] = iso(at)
        self.repos[self.by_id[raw["id"]][0]]._order = None
        return at

    def _label(self, repo: str, name: str) -> dict[str, Any]:
        return {
            "id": zlib.crc32(f"{repo}:{name}".encode()),
            "node_id": f"LA_{name}",
            "url": f"{{api}}/repos/{repo}/labels/{name}",
            "name": name,
            "color": "d73a4a" if name == "blocked" else "0e8a16",
            "default": name == "bug",
            "description": None,
        }

    def _ref(self, raw: dict[str, Any]) -> dict[str, Any]:
        """GHSpec ``nullable-issue-reference``: number and repository, no database id."""
        repo = self.repos[self.by_id[raw["id"]][0]]
        return {
            "number": raw["number"],
            "title": raw["title"],
            "state": raw["state"],
            "state_reason": raw["state_reason"],
            "repository": {
                "id": repo.id,
                "node_id": f"R_{repo.id}",
                "name": repo.full_name.split("/")[1],
                "full_name": repo.full_name,
                "private": False,
                "html_url": f"{{web}}/{repo.full_name}",
                "url": f"{{api}}/repos/{repo.full_name}",
            },
            "issue_type": None,
        }

    def _event(self, issue_id: int, kind: str, at: datetime, **payload: Any) -> None:
        self._next_event += 1
        self.timeline.setdefault(issue_id, []).append(
            {
                "id": self._next_event,
                "node_id": f"E_{self._next_event}",
                "url": f"{{api}}/repos/events/{self._next_event}",
                "actor": _user("dev1"),
                "event": kind,
                "commit_id": None,
                "commit_url": None,
                "created_at": iso(at),
                "performed_via_github_app": None,
                **payload,
            }
        )

    def _summaries(self, blocked: int, blocker: int) -> None:
        b = self._raw(blocked)
        blockers = [self._raw(k) for k in self.blocked_by.get(blocked, []) if k in self.by_id]
        b["issue_dependencies_summary"].update(
            blocked_by=sum(1 for k in blockers if k["state"] == "open"),
            total_blocked_by=len(blockers),
        )
        if blocker in self.by_id:
            k = self._raw(blocker)
            blocking = [x for x, ks in self.blocked_by.items() if blocker in ks and x in self.by_id]
            k["issue_dependencies_summary"].update(
                blocking=sum(1 for x in blocking if self._raw(x)["state"] == "open"),
                total_blocking=len(blocking),
            )

    def _recount_blockers_of(self, blocker: int) -> None:
        for blocked, blockers in self.blocked_by.items():
            if blocker in blockers and blocked in self.by_id:
                self._summaries(blocked, blocker)

    def _api_url(self, raw: dict[str, Any]) -> str:
        return f"{{api}}/repos/{self.by_id[raw['id']][0]}/issues/{raw['number']}"

    # -- HTTP -----------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        query = dict(parse_qsl(parts.query))
        headers = {k.lower(): v for k, v in h.headers.items()}
        with self._lock:
            status, extra, body = self._route(path, query, headers)
            self.log.append(Logged("GET", path, query, headers, status))
            for hook in self.after_request:
                hook("GET", path, query)
        api = self.base_url
        web = api[: -len(self.prefix)] if self.prefix else api
        data = (
            b""
            if body is None
            else json.dumps(body).replace("{api}", api).replace("{web}", web).encode()
        )
        h.send_response(status)
        for name, value in extra.items():
            h.send_header(name, value.replace("{api}", api))
        h.send_header("Content-Length", str(len(data)))
        if data:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        h.end_headers()
        if data:
            h.wfile.write(data)

    def _route(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return 404, {}, {"message": "Not Found"}
            path = path[len(self.prefix) :]
        auth = headers.get("authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return 401, {}, {"message": "Bad credentials", "status": "401"}
        fault = self._fault(path)
        if fault is not None:
            return fault
        if self.remaining <= 0:
            return (
                403,
                self._rate_headers(),
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
                },
            )
        status, extra, body = self._resource(path, query)
        if status == 200:
            etag = 'W/"' + hashlib.sha1(json.dumps(body).encode()).hexdigest() + '"'
            extra["ETag"] = etag
            if headers.get("if-none-match") == etag:
                return 304, {**extra, **self._rate_headers()}, None  # free: no budget spent
        self.remaining -= 1
        return status, {**extra, **self._rate_headers()}, body

    def _fault(self, path: str) -> tuple[int, dict[str, str], Any] | None:
        for fault in self.faults:
            if fault.path and not re.search(fault.path, path):
                continue
            fault.seen += 1
            if fault.every:
                if fault.seen % fault.every:
                    continue
            elif fault.times <= 0:
                continue
            else:
                fault.times -= 1
            extra = {**self._rate_headers(), **fault.headers}
            if fault.status in (403, 429) and "x-ratelimit-remaining" in fault.headers:
                extra["x-ratelimit-remaining"] = fault.headers["x-ratelimit-remaining"]
            return fault.status, extra, {"message": fault.message}
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.limit - max(self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def _resource(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", path)
        if m:
            repo = self._repo(m[1])
            if repo is None:
                return 404, {}, _not_found()
            return self._list(repo, query, path)
        m = re.fullmatch(r"/repositories/(\d+)/issues/(\d+)(/.*)?", path)
        if m:
            repo = next((r for r in self.repos.values() if r.id == int(m[1])), None)
            if repo is None or int(m[2]) not in repo.numbers:
                return 404, {}, _not_found()
            return self._issue_resource(repo.numbers[int(m[2])], m[3] or "", query, path)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)(/.*)?", path)
        if m:
            name, number, rest = m[1], int(m[2]), m[3] or ""
            repo = self._repo(name)
            if repo is None:
                return 404, {}, _not_found()
            moved = self.moved.get((repo.full_name, number))
            if moved is not None and moved in self.by_id:
                new_repo, new_number = self.by_id[moved]
                target = f"{{api}}/repositories/{self.repos[new_repo].id}/issues/{new_number}{rest}"
                return 301, {"Location": target}, {"message": "Moved Permanently", "url": target}
            if (repo.full_name, number) in self.deleted:
                return 410, {}, {"message": "This issue was deleted"}
            if number not in repo.numbers:
                return 404, {}, _not_found()
            return self._issue_resource(repo.numbers[number], rest, query, path)
        return 404, {}, _not_found()

    def _repo(self, name: str) -> Repo | None:
        return next((r for n, r in self.repos.items() if n.lower() == name.lower()), None)

    def _issue_resource(
        self, raw: dict[str, Any], rest: str, query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        if rest == "":
            return 200, {}, raw
        if rest == "/sub_issues":
            rows = [self._raw(c) for c in self.children.get(raw["id"], []) if c in self.by_id]
        elif rest == "/dependencies/blocked_by":
            rows = [self._raw(k) for k in self.blocked_by.get(raw["id"], []) if k in self.by_id]
        elif rest == "/dependencies/blocking":
            rows = [
                self._raw(x)
                for x, ks in self.blocked_by.items()
                if raw["id"] in ks and x in self.by_id
            ]
        elif rest == "/timeline":
            rows = self.timeline.get(raw["id"], [])
        else:
            return 404, {}, _not_found()
        return self._paged(rows, query, path)

    def _list(
        self, repo: Repo, query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        state = query.get("state", "open")
        since = query.get("since")
        if query.get("sort", "created") == "updated":
            order = repo.order()
            start = 0
            if since:
                lo, hi = 0, len(order)
                while lo < hi:  # bisect on the updated_at strings (same format: they sort)
                    mid = (lo + hi) // 2
                    if order[mid][0] < since:
                        lo = mid + 1
                    else:
                        hi = mid
                start = lo
            numbers = [n for _, n in order[start:]]
        else:
            numbers = sorted(repo.numbers)
            if since:
                numbers = [n for n in numbers if repo.numbers[n]["updated_at"] >= since]
        if query.get("direction", "desc") == "desc":
            numbers.reverse()
        rows = [
            repo.numbers[n] for n in numbers if state == "all" or repo.numbers[n]["state"] == state
        ]
        return self._paged(rows, query, path)

    def _paged(
        self, rows: list[dict[str, Any]], query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(max(int(query.get("per_page", 30)), 1), 100)
        page = max(int(query.get("page", 1)), 1)
        chunk = rows[(page - 1) * per_page : page * per_page]
        links = []
        last = max((len(rows) + per_page - 1) // per_page, 1)
        if page < last:
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            base = f"{{api}}{path}?{rest}&page="
            links = [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        return 200, ({"Link": ", ".join(links)} if links else {}), chunk


def _user(login: str) -> dict[str, Any]:
    uid = sum(map(ord, login)) * 97
    return {
        "login": login,
        "id": uid,
        "node_id": f"U_{uid}",
        "avatar_url": f"https://avatars.example/{login}",
        "url": f"{{api}}/users/{login}",
        "html_url": f"{{web}}/{login}",
        "type": "User",
        "site_admin": False,
    }


def _event_label(name: str) -> dict[str, str]:
    return {"name": name, "color": "d73a4a" if name == "blocked" else "0e8a16"}


def _not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
