"""The fake Jira's state: configuration, issue ids and keys, sprints and changelog items.

``JiraState`` is the base of the fake's class chain (``generate`` → ``render`` → ``mutate`` →
``explicit`` → ``api`` → ``fake``): it holds what every layer reads. Ids are ``10_001 + index``
over the spine; generated issues' keys follow from the index (projects in turn), created and
moved ones are looked up.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

from sync.sandbox.jira.data import (
    DAY,
    DEFAULT_ANCHOR,
    LINK_TYPE,
    PROJECTS,
    SPRINT_DAYS,
    Fault,
    FIssue,
    Hist,
    LinkRec,
    Logged,
    ProjectSpec,
    SprintRec,
    iso_z,
)
from sync.sandbox.jira.spine import FIRST_ID, build_spine


class JiraState:
    """Configuration, the spine, key resolution, sprints and changelog items."""

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
        projects: Sequence[ProjectSpec] = PROJECTS,
    ) -> None:
        self.n = issues  # generated issues; created ones follow them in the spine
        self.projects: tuple[ProjectSpec, ...] = tuple(projects)
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
            "business_value": "customfield_10030",
            "actual_business_value": "customfield_10031",
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
        self._sprint_seq = 100_000  # add_sprint ids; generated ones are (project + 1) * 1000 + n
        spine = build_spine(self.n, seed, self.anchor)
        self._created, self._base, self._updated = spine.created, spine.base, spine.updated
        self.links: dict[int, LinkRec] = spine.links
        self._links_of: dict[int, list[int]] = spine.links_of
        self._names: dict[int, tuple[str, int]] = {}  # created issue id -> (project, number)
        self._by_key: dict[str, int] = {}  # created issue key -> id
        self._sprints: dict[int, SprintRec] = {}  # sprints made by add_sprint
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            return "http://127.0.0.1:0"
        port = self._server.server_address[1]  # bound to 127.0.0.1 (fake.start)
        return f"http://127.0.0.1:{port}"

    @property
    def size(self) -> int:
        """Issues in the spine: the generated ones, then the created ones."""
        return len(self._created)

    def id_of(self, index: int) -> int:
        return FIRST_ID + index

    def index_of(self, issue_id: int) -> int:
        return issue_id - FIRST_ID

    def _project_of(self, index: int) -> tuple[str, int]:
        count = len(self.projects)
        return self.projects[index % count].key, index // count + 1

    def key_of(self, issue_id: int) -> str:
        proj, num = (
            self._moved.get(issue_id)
            or self._names.get(issue_id)
            or self._project_of(self.index_of(issue_id))
        )
        return f"{proj}-{num}"

    def spec(self, project: str) -> ProjectSpec:
        spec = next((p for p in self.projects if p.key == project), None)
        if spec is None:
            raise KeyError(f"no project {project!r} in the fake")
        return spec

    def resolve(self, id_or_key: int | str) -> int | None:
        text = str(id_or_key)
        if text.isdigit():
            iid = int(text)
            return iid if 0 <= self.index_of(iid) < self.size else None
        for iid, (proj, num) in self._moved.items():
            if f"{proj}-{num}" == text:
                return iid
        if text in self._by_key:
            return self._by_key[text]
        match = re.fullmatch(r"([A-Z]+)-(\d+)", text)
        if not match:
            return None
        pidx = next((k for k, p in enumerate(self.projects) if p.key == match[1]), None)
        if pidx is None:
            return None
        index = (int(match[2]) - 1) * len(self.projects) + pidx
        if not 0 <= index < self.n:
            return None
        # an old key of a moved issue still resolves to it (Jira keeps the redirect)
        return self.id_of(index)

    def visible(self, issue_id: int) -> bool:
        return issue_id not in self._deleted

    def sprint(self, sprint_id: int) -> dict[str, Any]:
        if sprint_id in self._sprints:
            return self._made_sprint(self._sprints[sprint_id])
        pidx, n = divmod(sprint_id, 1000)
        pidx -= 1
        start = self.anchor - 364 * DAY + n * SPRINT_DAYS * DAY
        end = start + SPRINT_DAYS * DAY
        state = "closed" if end <= self.anchor else "active" if start <= self.anchor else "future"
        return {
            "id": sprint_id,
            "name": f"{self.projects[pidx].key} Sprint {n + 1}",
            "state": state,
            "boardId": pidx + 1,
            "goal": "",
            "startDate": iso_z(start),
            "endDate": iso_z(end),
            "completeDate": iso_z(end) if state == "closed" else None,
        }

    def _made_sprint(self, rec: SprintRec) -> dict[str, Any]:
        """An ``add_sprint`` sprint: its state follows the fake's clock, read now."""
        now = self.clock()
        state = "closed" if rec.end <= now else "active" if rec.start <= now else "future"
        return {
            "id": rec.id,
            "name": rec.name,
            "state": state,
            "boardId": rec.board,
            "goal": "",
            "startDate": iso_z(rec.start),
            "endDate": iso_z(rec.end),
            "completeDate": iso_z(rec.end) if state == "closed" else None,
        }

    def _sprint_at(self, pidx: int, at: int) -> int:
        n = max(0, (at - (self.anchor - 364 * DAY)) // (SPRINT_DAYS * DAY))
        return (pidx + 1) * 1000 + int(n)

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

    def _touch(self, issue: FIssue, at: int | None) -> int:
        when = at if at is not None else self.clock()
        issue.updated = max(issue.updated, when)
        self._updated[self.index_of(issue.id)] = issue.updated
        self.version += 1
        return when

    def _append(self, issue: FIssue, at: int, items: list[dict[str, Any]]) -> None:
        self._hist_seq += 1
        issue.histories.append(Hist(self._hist_seq, at, items, "Test User"))

    def live_links(self, issue_id: int) -> list[LinkRec]:
        return [
            self.links[lid]
            for lid in self._links_of.get(issue_id, ())
            if self.links[lid].removed is None
        ]

    def _need(self, id_or_key: int | str) -> int:
        iid = self.resolve(id_or_key)
        if iid is None:
            raise KeyError(f"no issue {id_or_key!r} in the fake")
        return iid

    def _need_sprint(self, sprint_id: int) -> int:
        generated = 1000 <= sprint_id < (len(self.projects) + 1) * 1000
        if sprint_id not in self._sprints and not generated:
            raise KeyError(f"no sprint {sprint_id} in the fake")
        return sprint_id
