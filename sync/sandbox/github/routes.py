"""The fake GitHub's HTTP side: auth, faults, the rate budget, ETags and the routes.

Serves, shaped like GHSpec (``github/rest-api-description``): ``GET /repos/{o}/{r}/issues``
with ``state``/``sort``/``direction``/``since``/``per_page``/``page`` and ``Link`` headers (pull
requests included, as GitHub does); ``GET /repos/{o}/{r}/issues/{n}`` (301 to
``/repositories/{id}/issues/{m}`` after a transfer, 410 after a deletion, 404 when unknown), and
below it ``sub_issues``, ``dependencies/blocked_by``, ``dependencies/blocking`` and ``timeline``.
ETags on every 200 and ``If-None-Match`` → 304, which costs no rate limit; ``x-ratelimit-*``
headers with a decrementing budget, 0 left → 403 "API rate limit exceeded".
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sync.sandbox.github.data import Logged, Repo, not_found
from sync.sandbox.github.mutate import Mutations


class Routes(Mutations):
    """``_handle`` answers one request from the handler thread."""

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        path = parts.path
        query = dict(parse_qsl(parts.query))
        headers = {k.lower(): v for k, v in h.headers.items()}
        if self.latency:
            time.sleep(self.latency)
        with self._lock:
            status, extra, body = self._route(path, query, headers)
            self.log.append(Logged("GET", path, query, headers, status))
            for hook in self.after_request:
                hook("GET", path, query)
        api = self.base_url
        web = api[: -len(self.prefix)] if self.prefix else api
        data = (
            b""
            if body is None
            else json.dumps(body).replace("{api}", api).replace("{web}", web).encode()
        )
        h.send_response(status)
        for name, value in extra.items():
            h.send_header(name, value.replace("{api}", api))
        h.send_header("Content-Length", str(len(data)))
        if data:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        h.end_headers()
        if data:
            h.wfile.write(data)

    def _route(
        self, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return 404, {}, {"message": "Not Found"}
            path = path[len(self.prefix) :]
        auth = headers.get("authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return 401, {}, {"message": "Bad credentials", "status": "401"}
        fault = self._fault(path)
        if fault is not None:
            return fault
        if self.remaining <= 0:
            return (
                403,
                self._rate_headers(),
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
                },
            )
        status, extra, body = self._resource(path, query)
        if status == 200:
            etag = 'W/"' + hashlib.sha1(json.dumps(body).encode()).hexdigest() + '"'
            extra["ETag"] = etag
            if headers.get("if-none-match") == etag:
                return 304, {**extra, **self._rate_headers()}, None  # free: no budget spent
        self.remaining -= 1
        return status, {**extra, **self._rate_headers()}, body

    def _fault(self, path: str) -> tuple[int, dict[str, str], Any] | None:
        for fault in self.faults:
            if fault.path and not re.search(fault.path, path):
                continue
            fault.seen += 1
            if fault.every:
                if fault.seen % fault.every:
                    continue
            elif fault.times <= 0:
                continue
            else:
                fault.times -= 1
            extra = {**self._rate_headers(), **fault.headers}
            if fault.status in (403, 429) and "x-ratelimit-remaining" in fault.headers:
                extra["x-ratelimit-remaining"] = fault.headers["x-ratelimit-remaining"]
            return fault.status, extra, {"message": fault.message}
        return None

    def _rate_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.remaining, 0)),
            "x-ratelimit-used": str(self.limit - max(self.remaining, 0)),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    def _resource(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues", path)
        if m:
            repo = self._repo(m[1])
            if repo is None:
                return 404, {}, not_found()
            return self._list(repo, query, path)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/milestones", path)
        if m:
            repo = self._repo(m[1])
            if repo is None:
                return 404, {}, not_found()
            return self._paged(_milestones(repo, query.get("state", "open")), query, path)
        m = re.fullmatch(r"/repositories/(\d+)/issues/(\d+)(/.*)?", path)
        if m:
            repo = next((r for r in self.repos.values() if r.id == int(m[1])), None)
            if repo is None or int(m[2]) not in repo.numbers:
                return 404, {}, not_found()
            return self._issue_resource(repo.numbers[int(m[2])], m[3] or "", query, path)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)(/.*)?", path)
        if m:
            name, number, rest = m[1], int(m[2]), m[3] or ""
            repo = self._repo(name)
            if repo is None:
                return 404, {}, not_found()
            moved = self.moved.get((repo.full_name, number))
            if moved is not None and moved in self.by_id:
                new_repo, new_number = self.by_id[moved]
                target = f"{{api}}/repositories/{self.repos[new_repo].id}/issues/{new_number}{rest}"
                return 301, {"Location": target}, {"message": "Moved Permanently", "url": target}
            if (repo.full_name, number) in self.deleted:
                return 410, {}, {"message": "This issue was deleted"}
            if number not in repo.numbers:
                return 404, {}, not_found()
            return self._issue_resource(repo.numbers[number], rest, query, path)
        return 404, {}, not_found()

    def _repo(self, name: str) -> Repo | None:
        return next((r for n, r in self.repos.items() if n.lower() == name.lower()), None)

    def _issue_resource(
        self, raw: dict[str, Any], rest: str, query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        if rest == "":
            return 200, {}, raw
        if rest == "/sub_issues":
            rows = [self._raw(c) for c in self.children.get(raw["id"], []) if c in self.by_id]
        elif rest == "/dependencies/blocked_by":
            rows = [self._raw(k) for k in self.blocked_by.get(raw["id"], []) if k in self.by_id]
        elif rest == "/dependencies/blocking":
            rows = [
                self._raw(x)
                for x, ks in self.blocked_by.items()
                if raw["id"] in ks and x in self.by_id
            ]
        elif rest == "/timeline":
            rows = self.timeline.get(raw["id"], [])
        else:
            return 404, {}, not_found()
        return self._paged(rows, query, path)

    def _list(
        self, repo: Repo, query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        state = query.get("state", "open")
        since = query.get("since")
        if query.get("sort", "created") == "updated":
            order = repo.order()
            start = 0
            if since:
                lo, hi = 0, len(order)
                while lo < hi:  # bisect on the updated_at strings (same format: they sort)
                    mid = (lo + hi) // 2
                    if order[mid][0] < since:
                        lo = mid + 1
                    else:
                        hi = mid
                start = lo
            numbers = [n for _, n in order[start:]]
        else:
            numbers = sorted(repo.numbers)
            if since:
                numbers = [n for n in numbers if repo.numbers[n]["updated_at"] >= since]
        if query.get("direction", "desc") == "desc":
            numbers.reverse()
        rows = [
            repo.numbers[n] for n in numbers if state == "all" or repo.numbers[n]["state"] == state
        ]
        return self._paged(rows, query, path)

    def _paged(
        self, rows: list[dict[str, Any]], query: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        per_page = min(max(int(query.get("per_page", 30)), 1), 100)
        page = max(int(query.get("page", 1)), 1)
        chunk = rows[(page - 1) * per_page : page * per_page]
        links = []
        last = max((len(rows) + per_page - 1) // per_page, 1)
        if page < last:
            rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
            base = f"{{api}}{path}?{rest}&page="
            links = [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        return 200, ({"Link": ", ".join(links)} if links else {}), chunk


def _milestones(repo: Repo, state: str) -> list[dict[str, Any]]:
    """``GET /repos/{o}/{r}/milestones``: by ``state`` (open, closed, all), due date first
    (GitHub's default ``sort=due_on``, ascending), undated ones last."""
    rows = [m for m in repo.milestones if state == "all" or m["state"] == state]
    return sorted(rows, key=lambda m: (m.get("due_on") is None, m.get("due_on") or "", m["number"]))
