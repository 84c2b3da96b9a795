"""The fake GitHub's state: repositories, issues by id, relations, timelines and the clock.

``GitHubStore`` is the base of the fake's class chain (``mutate`` → ``http`` → ``fake``;
``generate`` fills a store with seeded data). Issues are held as the JSON GitHub serves.
Mutation instants come from ``tick``: the wall clock, or the clock a sandbox set
(``set_clock``), strictly increasing either way.
"""

from __future__ import annotations

import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from sync.sandbox.github.data import EPOCH, TEAMS, TOKEN, Fault, Logged, Repo, iso, user


class GitHubStore:
    """The data set and its internals (see the module docstring)."""

    def __init__(
        self,
        *,
        seed: int = 7,
        repos: int = 3,
        owner: str = "acme",
        token: str = TOKEN,
        prefix: str = "",  # "/api/v3" to look like Enterprise Server
        rate_limit: int = 5000,
        reset_in: int = 3600,
        repo_names: Sequence[str] | None = None,
    ) -> None:
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + reset_in
        self.faults: list[Fault] = []
        self.latency = 0.0  # seconds every response waits (a slow API: a sync that takes a while)
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
        self._manual: datetime | None = None  # set_clock: mutations stamped from it, not now
        names = (
            list(repo_names)
            if repo_names is not None
            else [
                f"{owner}/{TEAMS[i % len(TEAMS)]}-{i // len(TEAMS) or 'web'}" for i in range(repos)
            ]
        )
        for i, name in enumerate(names):
            self.repos[name] = Repo(id=500 + i, full_name=name)

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

    # -- the clock ------------------------------------------------------------------------------

    @property
    def clock(self) -> datetime:
        """The instant of the latest mutation (ahead of the wall clock after a burst)."""
        return self._clock

    def tick(self) -> datetime:
        """The next mutation instant: the wall clock (or the one ``set_clock`` set), strictly
        after the previous one."""
        now = self._manual or datetime.now(UTC).replace(microsecond=0)
        self._clock = max(now, self._clock + timedelta(seconds=1))
        return self._clock

    def set_clock(self, at: datetime) -> None:
        """Stamp mutations without an explicit time from ``at`` on (a second apart), instead of
        the wall clock: a sandbox builds "the world as of a week ago", then moves on."""
        with self._lock:
            self._manual = at.astimezone(UTC).replace(microsecond=0)
            self._clock = self._manual - timedelta(seconds=1)

    def _when(self, at: datetime | None) -> datetime:
        """A mutation's instant: ``at`` as given (the clock keeps up with it), else ``tick``."""
        if at is None:
            return self.tick()
        at = at.astimezone(UTC).replace(microsecond=0)
        self._clock = max(self._clock, at)
        return at

    def wait_until_past(self) -> None:
        """Sleep until the wall clock passes the latest mutation instant (``tick`` runs ahead of
        it by a second per mutation in a fast test), so a report "as of now" includes it."""
        while datetime.now(UTC) <= self._clock:
            time.sleep(0.05)

    # -- internals ------------------------------------------------------------------------------

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
            "user": user(f"author{self._next_id % 7}"),
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

    def _raw(self, issue_id: int) -> dict[str, Any]:
        repo, number = self.by_id[issue_id]
        return self.repos[repo].numbers[number]

    def _touch(self, raw: dict[str, Any], at: datetime | None = None) -> datetime:
        at = self._when(at)
        raw["updated_at"] = max(raw["updated_at"], iso(at))
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
                "actor": user("dev1"),
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
