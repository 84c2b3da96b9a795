"""Site-specific custom field ids and link types, discovered by schema and kept in the memo."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.jira.settings import (
    EPIC_LINK_SCHEMA,
    FLAGGED_SCHEMA,
    PARENT_LINK_SCHEMA,
    REVERSED_PHRASES,
    SPRINT_SCHEMA,
    STORY_POINT_NAMES,
    STORY_POINT_SCHEMAS,
    TEAM_SCHEMAS,
)


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
