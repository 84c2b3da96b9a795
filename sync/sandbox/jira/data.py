"""The fake Jira's data: constants, the projects it serves, its records and payload pieces.

Everything here is plain data or a pure function; the fake's classes (``state`` onwards) build on
it. ``PROJECTS`` is the default data set: five in-scope teams' projects and one outside (SEC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
# issue types a hand-built train uses besides the generated ones ("PI Objective" is custom)
TYPES.update({"Feature": ("10005", 1), "PI Objective": ("10100", 0)})
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
    # set on issues made by create_issue: the Team field's value is the issue's own (generated
    # issues show their project's team), and the business values are theirs
    explicit: bool = False
    team: str | None = None
    business_value: float | None = None
    actual_business_value: float | None = None

    @property
    def key(self) -> str:
        return f"{self.project}-{self.num}"


@dataclass(frozen=True)
class SprintRec:
    """A sprint made by ``add_sprint``: its state is derived from the fake's clock when read."""

    id: int
    name: str
    board: int
    start: int  # epoch ms
    end: int


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


def tuples(value: Any) -> Any:
    """JSON gives lists back; sort keys are (nested) tuples."""
    return tuple(tuples(v) for v in value) if isinstance(value, list) else value


def iso_z(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def field_entry(fid: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
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


def field_set(value: Any, default: set[str] | None) -> set[str] | None:
    if value is None or value == "":
        return default
    items = value if isinstance(value, list) else str(value).split(",")
    return {str(i).strip() for i in items if str(i).strip()}


def status_item(old: str, new: str) -> dict[str, Any]:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUSES[old][0],
        "fromString": old,
        "to": STATUSES[new][0],
        "toString": new,
    }


def labels_item(old: list[str], new: list[str]) -> dict[str, Any]:
    return {
        "field": "labels",
        "fieldtype": "jira",
        "fieldId": "labels",
        "from": None,
        "fromString": " ".join(old),
        "to": None,
        "toString": " ".join(new),
    }


def remote(rid: int, url: str, relationship: str, title: str) -> dict[str, Any]:
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


def remote_item(rid: int, title: str) -> dict[str, Any]:
    return {
        "field": "RemoteIssueLink",
        "fieldtype": "jira",
        "from": None,
        "fromString": None,
        "to": str(rid),
        "toString": f'This issue links to "{title} (Web Link)"',
    }


def flag_text(reason: str) -> str:
    return f"(flag) Flag added\n\n{reason}"
