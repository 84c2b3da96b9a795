"""Parsing GitHub values: JSON bodies, Link headers, times, keys, item types, milestones."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    ItemRef,
    ItemType,
    Link,
    Sprint,
)
from connectors.errors import SkippableError
from connectors.github.settings import (
    ITEM_TYPES,
    REPO,
)


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


def _memo_json(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
