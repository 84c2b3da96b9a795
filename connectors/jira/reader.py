"""Raw Jira issue JSON and its changelog histories turned into records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.base import (
    Event,
    ItemRef,
    Link,
    LinkScope,
    Sprint,
    WorkItem,
)
from connectors.errors import SkippableError
from connectors.jira.batch import (
    Batch,
)
from connectors.jira.fields import (
    FieldMap,
    LinkType,
)
from connectors.jira.history import LinkChange, read_history
from connectors.jira.settings import (
    CATEGORY,
    JiraSettings,
)
from connectors.jira.values import (
    _assignee,
    _latest_reason,
    _list,
    _mapping,
    current_sprint,
    github_ref,
    item_type,
    jira_ref,
    maybe_time,
    parse_sprint,
    parse_time,
    remote_direction,
)
from connectors.objectives import from_jira


class IssueReader:
    """Turns raw issue JSON and its histories into records; one per run."""

    def __init__(self, source: str, settings: JiraSettings, fields: FieldMap, base: str) -> None:
        self.source = source
        self.settings = settings
        self.fields = fields
        self.base = base
        wanted = set(settings.blocks_link_types)
        self.blocks_types = {t.name: t for t in fields.link_types if t.name in wanted}

    def ref(self, key: str, tracker_id: str | None = None) -> ItemRef:
        return ItemRef(
            tracker="jira",
            key=key,
            url=f"{self.base}/browse/{key}",
            tracker_id=tracker_id,
            source=self.source,
        )

    def in_scope(self, key: str) -> bool:
        """Only knowable for project scopes; a JQL scope treats every linked issue as inside."""
        if not self.settings.projects:
            return True
        return key.rsplit("-", 1)[0] in self.settings.projects

    # -- the item ---------------------------------------------------------------------------

    def item(
        self, raw: Mapping[str, Any], comments: Sequence[tuple[datetime, str]], in_scope: bool
    ) -> tuple[WorkItem, list[Sprint]]:
        iid, key = str(raw["id"]), raw.get("key")
        fields = raw.get("fields")
        if not isinstance(key, str) or not isinstance(fields, Mapping):
            raise SkippableError("issue has no key or fields")
        status = _mapping(fields, "status")
        category = _mapping(status, "statusCategory").get("key")
        project = _mapping(fields, "project").get("key") or key.rsplit("-", 1)[0]
        sprints = self._sprints(fields)
        current = current_sprint(sprints)
        flagged_value = fields.get(self.fields.flagged) if self.fields.flagged else None
        flagged = bool(flagged_value)
        summary = fields.get("summary")
        if not isinstance(summary, str):
            raise SkippableError("summary: missing or not text")
        if not isinstance(status.get("name"), str):
            raise SkippableError("status: no name")
        assignee = fields.get("assignee")
        item = WorkItem(
            tracker_id=iid,
            key=key,
            url=f"{self.base}/browse/{key}",
            title=summary,
            type=item_type(_mapping(fields, "issuetype")),
            status=status["name"],
            status_category=CATEGORY.get(str(category), "todo"),
            created_at=parse_time(fields.get("created"), "created"),
            updated_at=parse_time(fields.get("updated"), "updated"),
            container=str(project),
            resolved_at=maybe_time(fields.get("resolutiondate"), "resolutiondate"),
            assignee=_assignee(assignee),
            labels=tuple(str(x) for x in _list(fields, "labels")),
            components=tuple(str(c.get("name")) for c in _list(fields, "components")),
            team_field=self._team(fields),
            sprint_id=current.tracker_id if current else None,
            parent=self._parent(fields),
            flagged=flagged,
            flag_reason=_latest_reason(comments) if flagged else None,
            story_points=self._points(fields),
            in_scope=in_scope,
            **self._objective(fields),
        )
        return item, sprints

    def _objective(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The objective facts of an issue (``connectors.objectives``), as record fields."""
        s = self.settings
        if not s.reads_objectives:
            return {}
        names = (s.business_value_field, s.actual_business_value_field, s.committed_field)
        ids = [self.fields.id_named(n) for n in names]
        planned, actual, committed = (fields.get(i) if i else None for i in ids)
        facts = from_jira(
            str(_mapping(fields, "issuetype").get("name") or ""),
            [str(x) for x in _list(fields, "labels")],
            objective_issue_type=s.objective_issue_type,
            objective_label=s.objective_label,
            planned=planned,
            actual=actual,
            committed=committed,
            has_committed_field=ids[2] is not None,
            uncommitted_label=s.uncommitted_label,
        )
        return {
            "objective": facts.objective,
            "business_value": facts.business_value,
            "actual_business_value": facts.actual_business_value,
            "committed": facts.committed,
        }

    def _sprints(self, fields: Mapping[str, Any]) -> list[Sprint]:
        value = fields.get(self.fields.sprint) if self.fields.sprint else None
        if value is None:
            return []
        if not isinstance(value, list):
            raise SkippableError(f"sprint field: expected a list, got {type(value).__name__}")
        return [parse_sprint(v) for v in value]

    def _team(self, fields: Mapping[str, Any]) -> str | None:
        value = fields.get(self.fields.team) if self.fields.team else None
        if isinstance(value, Mapping):
            return str(value.get("id")) if value.get("id") is not None else None
        return str(value) if value not in (None, "") else None

    def _points(self, fields: Mapping[str, Any]) -> float | None:
        value = fields.get(self.fields.story_points) if self.fields.story_points else None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SkippableError(f"story points: expected a number, got {type(value).__name__}")
        return float(value)

    def _parent(self, fields: Mapping[str, Any]) -> ItemRef | None:
        parent = fields.get("parent")
        if isinstance(parent, Mapping) and isinstance(parent.get("key"), str):
            pid = parent.get("id")
            return self.ref(parent["key"], str(pid) if pid is not None else None)
        for fid in (self.fields.epic_link, self.fields.parent_link):
            value = fields.get(fid) if fid else None
            if isinstance(value, Mapping):  # Advanced Roadmaps: {"data": {"key": ...}}
                value = (value.get("data") or value).get("key")
            if isinstance(value, str) and value:
                return self.ref(value)
        return None

    # -- links ------------------------------------------------------------------------------

    def links(self, raw: Mapping[str, Any], changes: Sequence[LinkChange], batch: Batch) -> None:
        """Current blocks links (with history times) and closed history-only episodes."""
        iid, key = str(raw["id"]), str(raw["key"])
        live_pairs: set[tuple[str, str, bool]] = set()
        for entry in _list(raw["fields"], "issuelinks"):
            ltype = self.blocks_types.get(str(_mapping(entry, "type").get("name")))
            if ltype is None:
                continue
            self_outward = "outwardIssue" in entry
            other = entry.get("outwardIssue") if self_outward else entry.get("inwardIssue")
            if not isinstance(other, Mapping) or not other.get("key") or not entry.get("id"):
                raise SkippableError("issuelinks: entry without id or linked issue")
            other_key, other_id = str(other["key"]), str(other.get("id") or "") or None
            pair = (other_key, ltype.name, self_outward)
            live_pairs.add(pair)
            mine = [c for c in changes if (c.other_key, c.ltype.name, c.self_outward) == pair]
            adds = [c.at for c in mine if c.added]
            link_key = str(entry["id"])
            batch.add_link(
                self._link(
                    link_key,
                    ltype,
                    self_outward,
                    self.ref(key, iid),
                    self.ref(other_key, other_id),
                    created=max(adds) if adds else None,
                    removed=None,
                )
            )
            if self._speaks_for_link(self_outward, other_key):
                batch.events.extend(self._link_events(iid, mine, link_key))
            if other_id and not self.in_scope(other_key):
                batch.outside[other_id] = other_key
        self._episodes(iid, key, changes, live_pairs, batch)

    def _episodes(
        self,
        iid: str,
        key: str,
        changes: Sequence[LinkChange],
        live: set[tuple[str, str, bool]],
        batch: Batch,
    ) -> None:
        """Links added and later removed (no longer in ``issuelinks``): rows from history."""
        opened: dict[tuple[str, str, bool], LinkChange] = {}
        for change in changes:
            pair = (change.other_key, change.ltype.name, change.self_outward)
            if pair in live or not self._speaks_for_link(change.self_outward, change.other_key):
                continue
            if change.added:
                opened[pair] = change
                continue
            start = opened.pop(pair, None)
            if start is None:
                continue  # removal of a link added before the history we can see
            link_key = f"history:{start.event_key}"
            batch.add_link(
                self._link(
                    link_key,
                    change.ltype,
                    change.self_outward,
                    self.ref(key, iid),
                    self.ref(change.other_key),
                    created=start.at,
                    removed=change.at,
                )
            )
            batch.events.extend(self._link_events(iid, [start, change], link_key))
        # Still-open episodes without a live link: the other end moved (new key) or the link
        # type was renamed; the live link (if any) is reported from the current links instead.

    def _speaks_for_link(self, self_outward: bool, other_key: str) -> bool:
        """Both ends carry a link's history; only the outward end reports it (or the inward
        one when the outward end is outside the scope), so events are not doubled."""
        return self_outward or not self.in_scope(other_key)

    def _link(
        self,
        link_key: str,
        ltype: LinkType,
        self_outward: bool,
        me: ItemRef,
        other: ItemRef,
        *,
        created: datetime | None,
        removed: datetime | None,
    ) -> Link:
        outward, inward = (me, other) if self_outward else (other, me)
        blocker, blocked = (inward, outward) if ltype.reversed else (outward, inward)
        return Link(
            link_key=link_key,
            origin="jira_link",
            blocker=blocker,
            blocked=blocked,
            created_at=created,
            removed_at=removed,
        )

    def _link_events(self, iid: str, changes: Iterable[LinkChange], link_key: str) -> list[Event]:
        return [
            Event(
                event_key=c.event_key,
                item_tracker_id=iid,
                at=c.at,
                field="link",
                to_value="added" if c.added else "removed",
                link_key=link_key,
                link_origin="jira_link",
            )
            for c in changes
        ]

    def remote_links(
        self, iid: str, key: str, remotes: Sequence[Mapping[str, Any]], batch: Batch
    ) -> None:
        """GitHub issues and Jira issues (browse URLs, maybe under an old key) among the remote
        links become blocks links."""
        me = self.ref(key, iid)
        for remote in remotes:
            url = str(_mapping(remote, "object").get("url") or "")
            other = github_ref(url) or jira_ref(url, self.base, self.source)
            direction = remote_direction(str(remote.get("relationship") or ""))
            if other is None or direction is None or remote.get("id") is None:
                continue
            if other.tracker == "jira" and other.key == key:
                continue  # a link to itself says nothing
            rid = str(remote["id"])
            blocker, blocked = (other, me) if direction == "gh_blocks" else (me, other)
            link_key = f"{iid}:{rid}"
            batch.add_link(
                Link(
                    link_key=link_key,
                    origin="jira_remote_link",
                    blocker=blocker,
                    blocked=blocked,
                    created_at=batch.remote_times.get(link_key),
                )
            )
        batch.scopes.append(LinkScope(iid, "jira_remote_link", "own"))

    # -- history ----------------------------------------------------------------------------

    def history(
        self,
        iid: str,
        histories: Iterable[Mapping[str, Any]],
        comments: Sequence[tuple[datetime, str]],
        since: datetime | None,
        batch: Batch,
    ) -> tuple[list[LinkChange], bool]:
        """Events of one issue (oldest first); returns its link changes and whether a remote
        link changed at or after ``since`` (then its remote links are fetched)."""
        return read_history(iid, histories, comments, since, batch, self.blocks_types.values())
