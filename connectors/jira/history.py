"""Jira changelog histories turned into events and oriented link changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from connectors.base import (
    Alias,
    Event,
)
from connectors.jira.batch import (
    Batch,
)
from connectors.jira.fields import (
    LinkType,
)
from connectors.jira.settings import (
    KEY_RE,
    PARENT_FIELDS,
    REMOTE_LINK_FIELDS,
)
from connectors.jira.values import (
    _ids,
    _int,
    _key_in,
    _reason_near,
    _s,
    parse_time,
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


def read_history(
    iid: str,
    histories: Iterable[Mapping[str, Any]],
    comments: Sequence[tuple[datetime, str]],
    since: datetime | None,
    batch: Batch,
    blocks_types: Iterable[LinkType],
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
        found: list[Event] = []
        other: set[str] = set()  # fields we keep no history of: one "activity" event says who
        author, author_name = account(hist.get("author"))
        # every event of this history, built with its author (not copied with it afterwards)
        event = partial(Event, item_tracker_id=iid, at=at, author=author, author_name=author_name)
        for index, item in enumerate(hist.get("items") or ()):
            ekey = f"{iid}:{hid}:{index}"
            name = str(item.get("field") or "")
            if name == "Link":
                change = _link_change(blocks_types, ekey, at, item)
                if change is not None:
                    link_changes.append(change)
            elif name == "Key":
                _alias(iid, at, item, batch)
            elif name in REMOTE_LINK_FIELDS:
                remote_changed = remote_changed or since is None or at >= since
                if item.get("to"):
                    batch.remote_times[f"{iid}:{item['to']}"] = at
            else:
                events = _field_events(event, ekey, at, name, item, comments)
                found.extend(events)
                if not events and name:
                    other.add(name)
        if other:
            found.append(event(f"{iid}:{hid}:activity", field="activity", detail=_names(other)))
        batch.events.extend(found)
    return link_changes, remote_changed


def comment_events(iid: str, raw: Mapping[str, Any]) -> list[Event]:
    """Each comment the issue payload carries, as activity by its author."""
    fields = raw.get("fields")
    block = fields.get("comment") if isinstance(fields, Mapping) else None
    comments = block.get("comments") if isinstance(block, Mapping) else None
    found: list[Event] = []
    for comment in comments if isinstance(comments, list) else ():
        if not isinstance(comment, Mapping) or not comment.get("id") or not comment.get("created"):
            continue
        at = parse_time(comment.get("created"), "comment created")
        author, author_name = account(comment.get("author"))
        found.append(
            Event(
                f"{iid}:comment:{comment['id']}",
                iid,
                at,
                "activity",
                detail="comment",
                author=author,
                author_name=author_name,
            )
        )
    return found


def account(user: Any) -> tuple[str | None, str | None]:
    """(stable id, display name) of a Jira user: Cloud ``accountId``, Data Center ``name``."""
    if not isinstance(user, Mapping):
        return None, None
    stable = user.get("accountId") or user.get("name") or user.get("key")
    name = user.get("displayName")
    return (str(stable) if stable else None), (str(name) if name else None)


def _names(fields: set[str]) -> str:
    return ", ".join(sorted(fields))[:500]


def _alias(iid: str, at: datetime, item: Mapping[str, Any], batch: Batch) -> None:
    """A project move: the changelog's ``Key`` item names the old key in ``fromString`` (``from``
    and ``to`` are null); references to the old key still mean this issue."""
    old = _s(item.get("fromString") or item.get("from"))
    if old and KEY_RE.fullmatch(old.strip()):
        batch.aliases.append(Alias(iid, old.strip(), at))


def _field_events(
    event: Callable[..., Event],
    ekey: str,
    at: datetime,
    name: str,
    item: Mapping[str, Any],
    comments: Sequence[tuple[datetime, str]],
) -> list[Event]:
    """``event``: ``Event`` with the item, time and author of the history filled in."""
    fstr, tstr = item.get("fromString"), item.get("toString")
    if name == "status":
        return [event(ekey, field="status", from_value=_s(fstr), to_value=_s(tstr))]
    if name == "Flagged":
        to_value = _s(tstr) or ""
        reason = _reason_near(comments, at) if to_value else None
        return [
            event(
                ekey, field="flagged", from_value=_s(fstr) or "", to_value=to_value, detail=reason
            )
        ]
    if name == "Sprint":
        return [
            event(
                ekey,
                field="sprint",
                from_value=_ids(item.get("from")),
                to_value=_ids(item.get("to")),
            )
        ]
    if name in PARENT_FIELDS:
        return [event(ekey, field="parent", from_value=_key_in(fstr), to_value=_key_in(tstr))]
    if name == "labels":
        before, after = set((fstr or "").split()), set((tstr or "").split())
        added = [event(f"{ekey}:+{x}", field="label", to_value=x) for x in sorted(after - before)]
        gone = [event(f"{ekey}:-{x}", field="label", from_value=x) for x in sorted(before - after)]
        return added + gone
    return []


def _link_change(
    blocks_types: Iterable[LinkType], ekey: str, at: datetime, item: Mapping[str, Any]
) -> LinkChange | None:
    added = item.get("to") is not None
    other = item.get("to") if added else item.get("from")
    text = str(item.get("toString") if added else item.get("fromString") or "")
    if not isinstance(other, str) or not other:
        return None
    phrase = text.removeprefix("This issue").strip()
    phrase = phrase[: -len(other)].strip() if phrase.endswith(other) else phrase
    for ltype in blocks_types:
        if phrase == ltype.outward or phrase == ltype.inward:
            return LinkChange(ekey, at, added, other, ltype, phrase == ltype.outward)
    return None
