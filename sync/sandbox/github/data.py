"""The fake GitHub's data: constants, records and JSON pieces shaped like GHSpec.

Plain data and pure functions; ``store`` onwards build the fake on them. ``{api}`` and ``{web}``
in URLs are filled in with the server's address when an answer is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


def milestone_json(
    repo: Repo, number: int, title: str, due: datetime, *, state: str, created: datetime
) -> dict[str, Any]:
    """A milestone as ``GET /repos/{o}/{r}/milestones/{n}`` shows it (and issues embed it)."""
    m = number - 1
    return {
        "url": f"{{api}}/repos/{repo.full_name}/milestones/{number}",
        "html_url": f"{{web}}/{repo.full_name}/milestone/{number}",
        "id": repo.id * 100 + m,
        "node_id": f"MI_{repo.id}_{m}",
        "number": number,
        "title": title,
        "description": None,
        "state": state,
        "open_issues": 0,
        "closed_issues": 0,
        "created_at": iso(created),
        "updated_at": iso(created),
        "closed_at": iso(due) if state == "closed" else None,
        "due_on": iso(due),
    }


def user(login: str) -> dict[str, Any]:
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


def event_label(name: str) -> dict[str, str]:
    return {"name": name, "color": "d73a4a" if name == "blocked" else "0e8a16"}


def not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
