"""The fake Jira's REST routes: what each endpoint answers, given a parsed request.

Cloud: ``GET|POST /rest/api/3/search/jql`` (``nextPageToken``; up to 5000 a page when only
``id``/``key``/``updated`` are asked, else 100; default ``fields=id``), ``POST /issue/bulkfetch``
(≤100, ascending id, invisible ids silently omitted), ``POST /changelog/bulkfetch`` (oldest
first, paged by token); the old ``/search`` answers 410. Data Center: ``/rest/api/2/search`` with
``startAt``/``total``, ``maxResults`` ≤ 1000, failing at ``startAt`` ≥ ``max_result_window``,
``expand=changelog`` truncated to the newest 100 histories. Both: ``serverInfo``, ``myself``,
``field``, ``issueLinkType``, ``GET /issue/{idOrKey}`` (``expand=changelog``: all of it),
``/remotelink`` and ``/comment`` below it, and the ``/__fake/*`` control endpoints.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections import Counter
from typing import Any

from sync.sandbox.jira.data import LINK_TYPES, field_set, tuples
from sync.sandbox.jira.explicit import Explicit
from sync.sandbox.jira.jql import JqlError, parse_jql, sort_key


class Api(Explicit):
    """``handle(method, path, params, body) -> (status, payload, headers)`` and its parts."""

    def search_rows(self, jql: str) -> list[tuple[Any, ...]]:
        """Matching rows ``(sortkey, id)`` in JQL order; cached per data version."""
        cache_key = (jql, self.version)
        if cache_key in self._cache:
            return self._cache[cache_key]
        where, order = parse_jql(jql, self._tz(), known_projects={p.key for p in self.projects})
        only = re.match(r"\s*id\s+in\s*\(([\d,\s]+)\)\s*(?:order\s+by|$)", jql, re.I)
        indexes: Any = range(self.size)
        if only:  # by-id lookups (Data Center reads changed issues so) need no full scan
            ids = {int(x) for x in only[1].split(",") if x.strip()}
            indexes = sorted(self.index_of(i) for i in ids if 0 <= self.index_of(i) < self.size)
        rows = []
        for index in indexes:
            iid = self.id_of(index)
            if iid in self._deleted:
                continue
            key = self.key_of(iid)
            proj, num = key.rsplit("-", 1)
            row = {
                "id": iid,
                "key": key,
                "project": proj,
                "num": int(num),
                "created": self._created[index],
                "updated": self._updated[index],
            }
            if where(row):
                rows.append((sort_key(row, order), iid))
        rows.sort()
        if len(self._cache) > 16:
            self._cache.clear()
        self._cache[cache_key] = rows
        return rows

    def authorized(self, header: str | None) -> bool:
        if self.cloud:
            expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return header == f"Basic {expected}"
        return header == f"Bearer {self.token}"

    def handle(
        self, method: str, path: str, params: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        route = re.sub(r"^/rest/api/(2|3|latest)/", "/", path)
        if route == "/serverInfo":
            return (
                200,
                {
                    "baseUrl": self.url,
                    "version": "1001.0.0-SNAPSHOT" if self.cloud else "9.12.4",
                    "versionNumbers": [1001, 0, 0] if self.cloud else [9, 12, 4],
                    "deploymentType": "Cloud" if self.cloud else "DataCenter",
                    "buildNumber": 100_273,
                    "serverTitle": "Acme Jira",
                },
                {},
            )
        if route == "/myself":
            return (
                200,
                {
                    "accountId": "5b10a2844c20165700ede21g",
                    "emailAddress": self.email,
                    "displayName": "Sync Bot",
                    "timeZone": self.time_zone,
                    "active": True,
                },
                {},
            )
        if route == "/field":
            return 200, self.fields_listing(), {}
        if route == "/issueLinkType":
            return 200, {"issueLinkTypes": list(LINK_TYPES)}, {}
        if route == "/search/jql":
            if not self.cloud:
                return 404, {"errorMessages": ["null for uri: " + path]}, {}
            return self._search_jql({**params, **(body or {})})
        if route == "/search":
            if self.cloud:
                return (
                    410,
                    {
                        "errorMessages": [
                            "The requested API has been removed. Please migrate to the "
                            "/rest/api/3/search/jql API."
                        ]
                    },
                    {},
                )
            return self._search_dc({**params, **(body or {})})
        if route == "/issue/bulkfetch" and method == "POST" and self.cloud:
            return self._bulkfetch(body or {})
        if route == "/changelog/bulkfetch" and method == "POST" and self.cloud:
            return self._changelog_bulk(body or {})
        match = re.fullmatch(r"/issue/([^/]+)(/remotelink|/comment)?", route)
        if match:
            iid = self.resolve(match[1])
            if iid is None or not self.visible(iid):
                return (
                    404,
                    {
                        "errorMessages": [
                            "Issue does not exist or you do not have permission to see it."
                        ]
                    },
                    {},
                )
            if match[2] == "/remotelink":
                return 200, list(self.issue(iid).remote), {}
            if match[2] == "/comment":
                return 200, self._comments_page(iid, params), {}
            return 200, self._get_issue(iid, params), {}
        return 404, {"errorMessages": [f"no fake route for {method} {path}"]}, {}

    def _search_jql(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        try:
            rows = self.search_rows(str(params.get("jql") or ""))
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        wanted = field_set(params.get("fields"), default=None) or {"id"}
        cheap = wanted <= {"id", "key", "updated", "created"}
        limit = min(int(params.get("maxResults") or 50), 5000 if cheap else 100)
        token = params.get("nextPageToken")
        start = 0
        if token:
            after = json.loads(base64.urlsafe_b64decode(str(token)))
            start = bisect.bisect_right(rows, (tuples(after[0]), after[1]))
        chunk = rows[start : start + limit]
        issues = [self._search_issue(iid, wanted) for _, iid in chunk]
        result: dict[str, Any] = {"issues": issues, "isLast": start + limit >= len(rows)}
        if start + limit < len(rows) and chunk:
            last = chunk[-1]
            result["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps([list(last[0]), last[1]]).encode()
            ).decode()
        return 200, result, {}

    def _search_issue(self, iid: int, wanted: set[str]) -> dict[str, Any]:
        if wanted <= {"id", "key", "updated", "created"}:
            index = self.index_of(iid)
            fields: dict[str, Any] = {}
            if "updated" in wanted:
                issue = self._over.get(iid)
                fields["updated"] = self.ts(issue.updated if issue else self._updated[index])
            if "created" in wanted:
                fields["created"] = self.ts(self._created[index])
            out: dict[str, Any] = {
                "id": str(iid),
                "key": self.key_of(iid),
                "self": f"{self.url}/rest/api/2/issue/{iid}",
            }
            if fields:
                out["fields"] = fields
            return out
        return self.render(iid, wanted)

    def _search_dc(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        try:
            rows = self.search_rows(str(params.get("jql") or ""))
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}, {}
        start = int(params.get("startAt") or 0)
        if start >= self.max_result_window:
            return (
                400,
                {
                    "errorMessages": [
                        f"Result window is too large, from + size must be less than or equal to: "
                        f"[{self.max_result_window}] but was [{start + 1}]."
                    ]
                },
                {},
            )
        limit = min(int(params.get("maxResults") or 50), 1000)
        wanted = field_set(params.get("fields"), default=None)
        expand = str(params.get("expand") or "")
        issues = []
        for _, iid in rows[start : start + limit]:
            cheap = wanted is not None and wanted <= {"id", "key", "updated", "created"}
            raw = self._search_issue(iid, wanted) if cheap and wanted else self.render(iid, wanted)
            if "changelog" in expand:
                hists = sorted(self.issue(iid).histories, key=lambda h: (h.at, h.id), reverse=True)
                raw["changelog"] = {
                    "startAt": 0,
                    "maxResults": min(100, len(hists)),
                    "total": len(hists),
                    "histories": [self.render_history(h) for h in hists[:100]],
                }
            issues.append(raw)
        return (
            200,
            {
                "expand": "schema,names",
                "startAt": start,
                "maxResults": limit,
                "total": len(rows),
                "issues": issues,
            },
            {},
        )

    def _get_issue(self, iid: int, params: dict[str, str]) -> dict[str, Any]:
        raw = self.render(iid, field_set(params.get("fields"), default=None))
        if "changelog" in (params.get("expand") or ""):
            hists = sorted(self.issue(iid).histories, key=lambda h: (h.at, h.id), reverse=True)
            raw["changelog"] = {
                "startAt": 0,
                "maxResults": len(hists),
                "total": len(hists),
                "histories": [self.render_history(h) for h in hists],
            }
        return raw

    def _comments_page(self, iid: int, params: dict[str, str]) -> dict[str, Any]:
        """``GET issue/{id}/comment`` (offset paged, what Perceval reads per issue)."""
        comments = self.render(iid, {"comment"})["fields"]["comment"]["comments"]
        start = int(params.get("startAt") or 0)
        limit = min(int(params.get("maxResults") or 50), 5000)
        return {
            "startAt": start,
            "maxResults": limit,
            "total": len(comments),
            "comments": comments[start : start + limit],
        }

    def _bulkfetch(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 100:
            return 400, {"errorMessages": ["issueIdsOrKeys: at most 100"]}, {}
        wanted = field_set(body.get("fields"), default=None)
        found = sorted({i for x in ids if (i := self.resolve(x)) is not None and self.visible(i)})
        return 200, {"issues": [self.render(i, wanted) for i in found], "issueErrors": []}, {}

    def _changelog_bulk(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 1000:
            return 400, {"errorMessages": ["issueIdsOrKeys: at most 1000"]}, {}
        limit = min(int(body.get("maxResults") or 1000), 10_000)
        found = sorted({i for x in ids if (i := self.resolve(x)) is not None and self.visible(i)})
        entries = sorted(
            ((h.at, iid, h.id, h) for iid in found for h in self.issue(iid).histories),
            key=lambda e: (e[0], e[1], e[2]),
        )
        start = int(body.get("nextPageToken") or 0)
        chunk = entries[start : start + limit]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for _, iid, _, h in chunk:
            grouped.setdefault(iid, []).append(self.render_history(h))
        result: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(iid), "changeHistories": hists} for iid, hists in grouped.items()
            ]
        }
        if start + limit < len(entries):
            result["nextPageToken"] = str(start + limit)
        return 200, result, {}

    # -- /__fake control endpoints (a benchmark drives a server in another process) ---------

    def control(self, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if path == "/__fake/stats":
            by_path = Counter(re.sub(r"/\d+", "/{id}", r.path) for r in self.requests)
            return 200, {"requests": len(self.requests), "by_path": dict(by_path)}, {}
        if path == "/__fake/reset-log":
            self.requests.clear()
            return 200, {}, {}
        if path == "/__fake/touch":
            ids = self.touch_many(int(body.get("count", 1)), start=int(body.get("start", 0)))
            return 200, {"touched": len(ids)}, {}
        return 404, {}, {}
