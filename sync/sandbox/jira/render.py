"""The fake Jira's payloads: issues with the fields asked for, histories and the field list.

Shaped like the Cloud and Data Center APIs (``api-facts.md`` §1-8): timestamps in the API user's
timezone, ADF comment bodies on Cloud, the Sprint field as objects or (``sprint_strings``) the old
``Sprint@…[…]`` strings, and the custom fields the connector discovers by schema or by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sync.sandbox.jira.data import (
    CATEGORY_NAMES,
    LINK_TYPE,
    STATUSES,
    TYPES,
    FIssue,
    Hist,
    LinkRec,
    field_entry,
)
from sync.sandbox.jira.generate import Generated

FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"


class Rendered(Generated):
    """Issue, history and field-list JSON."""

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def ts(self, ms: int) -> str:
        """Jira's timestamp format, in the API user's timezone (``…T04:00:00.000-0800``)."""
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(self._tz())
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + moment.strftime("%z")

    def _status(self, name: str) -> dict[str, Any]:
        sid, cat = STATUSES.get(name, ("1", "new"))
        cid, cname = CATEGORY_NAMES[cat]
        return {
            "self": f"{self.url}/rest/api/2/status/{sid}",
            "id": sid,
            "name": name,
            "statusCategory": {"id": int(cid), "key": cat, "name": cname},
        }

    def _issuetype(self, name: str) -> dict[str, Any]:
        tid, level = TYPES[name]
        return {"id": tid, "name": name, "subtask": False, "hierarchyLevel": level}

    def _mini(self, iid: int) -> dict[str, Any]:
        other = self.issue(iid)
        return {
            "id": str(iid),
            "key": other.key,
            "self": f"{self.url}/rest/api/2/issue/{iid}",
            "fields": {
                "summary": other.summary,
                "status": self._status(other.status),
                "issuetype": self._issuetype(other.type),
            },
        }

    def _sprint_value(self, sid: int) -> Any:
        sprint = self.sprint(sid)
        if not self.sprint_strings:
            return sprint
        return (
            f"com.atlassian.greenhopper.service.sprint.Sprint@{sid:x}[id={sid},"
            f"rapidViewId={sprint['boardId']},state={sprint['state'].upper()},"
            f"name={sprint['name']},startDate={sprint['startDate']},endDate={sprint['endDate']},"
            f"completeDate={sprint['completeDate'] or '<null>'},sequence={sid}]"
        )

    def _comment_body(self, text: str) -> Any:
        if not self.cloud:
            return text
        first, _, rest = text.partition("\n\n")
        content: list[dict[str, Any]] = []
        if first.startswith("(flag) "):
            flag = "flag_on" if "added" in first else "flag_off"
            content.append(
                {
                    "type": "paragraph",
                    "content": [
                        {
                            "type": "emoji",
                            "attrs": {
                                "shortName": f":{flag}:",
                                "id": f"atlassian-{flag}",
                                "text": f":{flag}:",
                            },
                        },
                        {"type": "text", "text": " " + first.removeprefix("(flag) ")},
                    ],
                }
            )
        else:
            content.append({"type": "paragraph", "content": [{"type": "text", "text": first}]})
        if rest:
            content.append({"type": "paragraph", "content": [{"type": "text", "text": rest}]})
        return {"type": "doc", "version": 1, "content": content}

    def render(self, iid: int, wanted: set[str] | None) -> dict[str, Any]:
        """Issue JSON with the requested fields (None: all navigable fields)."""
        issue = self.issue(iid)
        spec = next(p for p in self.projects if p.key == issue.project)
        fid = self.fid

        def want(name: str) -> bool:
            return wanted is None or name in wanted or "*all" in wanted or "*navigable" in wanted

        fields: dict[str, Any] = {}
        if want("summary"):
            fields["summary"] = issue.summary
        if want("status"):
            fields["status"] = self._status(issue.status)
        if want("issuetype"):
            fields["issuetype"] = self._issuetype(issue.type)
        if want("created"):
            fields["created"] = self.ts(issue.created)
        if want("updated"):
            fields["updated"] = self.ts(issue.updated)
        if want("resolutiondate"):
            fields["resolutiondate"] = self.ts(issue.resolved) if issue.resolved else None
        if want("assignee"):
            fields["assignee"] = (
                {
                    "accountId": f"acc-{abs(hash(issue.assignee)) % 10**6}",
                    "displayName": issue.assignee,
                }
                if issue.assignee
                else None
            )
        if want("labels"):
            fields["labels"] = list(issue.labels)
        if want("components"):
            fields["components"] = [
                {"id": str(10_000 + k), "name": c} for k, c in enumerate(issue.components)
            ]
        if want("project"):
            fields["project"] = {
                "id": str(10_000 + [p.key for p in self.projects].index(issue.project)),
                "key": issue.project,
                "name": spec.name,
            }
        if want("parent"):
            fields["parent"] = (
                self._mini(issue.parent_id) if self.cloud and issue.parent_id else None
            )
        if want("issuelinks"):
            fields["issuelinks"] = [self._link_entry(rec, iid) for rec in self.live_links(iid)]
        if want("comment"):
            comments = [
                {
                    "id": str(cid),
                    "author": {"displayName": "Test User"},
                    "body": self._comment_body(text),
                    "created": self.ts(at),
                    "updated": self.ts(at),
                }
                for cid, at, text in issue.comments
            ]
            fields["comment"] = {
                "comments": comments,
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            }
        if want(fid["sprint"]):
            fields[fid["sprint"]] = [self._sprint_value(s) for s in issue.sprint_ids] or None
        if want(fid["flagged"]):
            fields[fid["flagged"]] = (
                [
                    {
                        "self": f"{self.url}/rest/api/2/customFieldOption/10019",
                        "value": "Impediment",
                        "id": "10019",
                    }
                ]
                if issue.flagged
                else None
            )
        if want(fid["team"]):
            fields[fid["team"]] = self._team(issue, spec.team, spec.name)
        if want(fid["points"]):
            fields[fid["points"]] = issue.points
        if want(fid["epic_link"]):
            fields[fid["epic_link"]] = (
                self.key_of(issue.parent_id) if not self.cloud and issue.parent_id else None
            )
        for name in ("business_value", "actual_business_value"):
            if want(fid[name]) and issue.explicit:  # generated issues have no such values
                fields[fid[name]] = getattr(issue, name)
        self._break(issue, fields)
        return {
            "expand": "",
            "id": str(iid),
            "self": f"{self.url}/rest/api/2/issue/{iid}",
            "key": issue.key,
            "fields": fields,
        }

    def _team(self, issue: FIssue, team: str, name: str) -> dict[str, Any] | None:
        """The Team field's value (``{id, name, isVisible}``): a created issue's own, named
        after the project whose team it is (else by its id), or the project's team."""
        if not issue.explicit:
            return {"id": team, "name": name, "isVisible": True}
        if issue.team is None:
            return None
        owner = next((p.name for p in self.projects if p.team == issue.team), issue.team)
        return {"id": issue.team, "name": owner, "isVisible": True}

    @staticmethod
    def _break(issue: FIssue, fields: dict[str, Any]) -> None:
        if issue.malformed == "bad_created" and "created" in fields:
            fields["created"] = "last Tuesday"
        elif issue.malformed == "no_summary":
            fields.pop("summary", None)
        elif issue.malformed == "status_string" and "status" in fields:
            fields["status"] = "Done"

    def _link_entry(self, rec: LinkRec, me: int) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": str(rec.id),
            "self": f"{self.url}/rest/api/2/issueLink/{rec.id}",
            "type": {**LINK_TYPE[rec.type], "self": f"{self.url}/rest/api/2/issueLinkType"},
        }
        if me == rec.outward:
            entry["outwardIssue"] = self._mini(rec.inward)
        else:
            entry["inwardIssue"] = self._mini(rec.outward)
        return entry

    def render_history(self, h: Hist) -> dict[str, Any]:
        return {
            "id": str(h.id),
            "author": {"displayName": h.author, "active": True},
            "created": self.ts(h.at),
            "items": h.items,
        }

    def fields_listing(self) -> list[dict[str, Any]]:
        fid = self.fid
        custom = "com.atlassian.jira.plugin.system.customfieldtypes:"
        return [
            field_entry("summary", "Summary", {"type": "string", "system": "summary"}),
            field_entry("status", "Status", {"type": "status", "system": "status"}),
            field_entry(
                "labels", "Labels", {"type": "array", "items": "string", "system": "labels"}
            ),
            field_entry(
                "customfield_10019",
                "Rank",
                {
                    "type": "any",
                    "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank",
                    "customId": 10019,
                },
            ),
            field_entry(
                fid["sprint"],
                "Sprint",
                {
                    "type": "array",
                    "items": "json",
                    "custom": "com.pyxis.greenhopper.jira:gh-sprint",
                    "customId": 10020,
                },
            ),
            field_entry(
                "customfield_10099",
                "Sprint Goal",
                {"type": "string", "custom": custom + "textfield", "customId": 10099},
            ),
            field_entry(
                fid["flagged"],
                "Flagged",
                {
                    "type": "array",
                    "items": "option",
                    "custom": custom + "multicheckboxes",
                    "customId": 10021,
                },
            ),
            field_entry(
                fid["team"],
                "Team",
                {
                    "type": "team",
                    "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
                    "customId": 10001,
                },
            ),
            field_entry(
                "customfield_10028",
                "Story Points",
                {"type": "number", "custom": custom + "float", "customId": 10028},
            ),
            field_entry(
                fid["points"],
                "Story point estimate",
                {
                    "type": "number",
                    "custom": "com.pyxis.greenhopper.jira:jsw-story-points",
                    "customId": 10016,
                },
            ),
            field_entry(
                fid["epic_link"],
                "Epic Link",
                {
                    "type": "any",
                    "custom": "com.pyxis.greenhopper.jira:gh-epic-link",
                    "customId": 10014,
                },
            ),
            _field_number(fid["business_value"], "Business Value", 10030),
            _field_number(fid["actual_business_value"], "Actual Business Value", 10031),
        ]


def _field_number(fid: str, name: str, custom_id: int) -> dict[str, Any]:
    return field_entry(fid, name, {"type": "number", "custom": FLOAT, "customId": custom_id})
