"""Parsing Jira values: times, sprints, issue types, ADF text, flags, remote links, raw JSON."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    ItemRef,
    ItemType,
    Sprint,
)
from connectors.errors import SkippableError
from connectors.jira.settings import (
    FLAG_COMMENT_WINDOW,
    GITHUB_ISSUE_RE,
    JIRA_BROWSE_RE,
    KEY_RE,
    SPRINT_STRING_RE,
)


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


def jira_ref(url: str, own_base: str, own_source: str) -> ItemRef | None:
    """A Jira browse URL (``…/browse/ATL-18``) → ItemRef, of this source when it is this site's;
    None for any other URL. The key may be an old one: the engine resolves aliases."""
    match = JIRA_BROWSE_RE.match(url.strip())
    if match is None:
        return None
    own = match["base"].rstrip("/").lower() == own_base.rstrip("/").lower()
    return ItemRef("jira", match["key"], url.strip(), source=own_source if own else None)


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
