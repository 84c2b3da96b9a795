"""GitHub HTTP: PyGithub's requester with a response hook, pacing and rate-limit answers."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import github
from github import Auth

from connectors.base import (
    Sprint,
    Transport,
)
from connectors.errors import AuthError, RetriesExhausted, Unreachable, Vanished
from connectors.github.batch import (
    _Response,
)
from connectors.github.settings import (
    PER_PAGE,
    GitHubSettings,
)
from connectors.github.values import (
    _has_next,
    _json,
)
from connectors.observe import ResponseObserver


class GitHubClient:
    """State of one GitHub source's connection: requests, rate limit, memo; GET and lists."""

    def __init__(self, name: str, settings: GitHubSettings, transport: Transport) -> None:
        self.name = name
        self.settings = settings
        self.transport = transport
        self._scope = {r.lower() for r in settings.repos}
        self._patterns = [re.compile(p, re.IGNORECASE) for p in settings.reference_patterns]
        self._max_wait = float(transport.max_wait)
        self._sleep: Callable[[float], None] = getattr(transport.retry, "sleeper", time.sleep)
        self._observer = ResponseObserver.for_transport(transport)
        self._paced = 0.0
        self._memo: dict[str, str] = {}
        self._reread: set[str] = set()  # issues whose relations this run has read
        self._defer_history = False  # current state first: timelines left to the history pass
        self._milestones: dict[str, dict[str, Sprint]] = {}  # repo → title → milestone
        self._gh: Any = None

    def stats(self) -> Mapping[str, Any]:
        seen = self._observer
        return {
            "requests": seen.requests,
            "rate_limit_remaining": seen.rate_limit_remaining,
            "not_modified": seen.not_modified,
            "throttled_seconds": round(self._paced + seen.retry_waited, 3),
        }

    # -- HTTP ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        if self._gh is not None:
            return
        token = os.environ.get(self.settings.token_env, "")
        if not token.strip():
            raise AuthError(
                f"github source {self.name!r}: environment variable "
                f"{self.settings.token_env} is empty or unset; export a token with Issues: read"
            )
        self._gh = github.Github(
            base_url=self.settings.base_url.rstrip("/"),
            auth=Auth.Token(token.strip()),
            retry=self.transport.retry,  # the one retry layer (connectors.http.BudgetRetry)
            timeout=max(1, math.ceil(self.transport.timeout)),  # PyGithub asserts an int
            per_page=PER_PAGE,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        requester = self._gh.requester
        # PyGithub has no response hook: give its per-host connection class one, on this
        # requester only (name-mangled attribute, checked by the unit tests on upgrade).
        base = requester._Requester__connectionClass
        hook = self._observer.hook

        class Hooked(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.session.hooks["response"].append(hook)

        requester._Requester__connectionClass = Hooked

    def _pace(self) -> None:
        """Spread the last ``rate_limit_reserve`` requests until the reset instead of hitting 0."""
        remaining, reset = self._observer.rate_limit_remaining, self._observer.rate_limit_reset
        if remaining is None or reset is None or remaining >= self.settings.rate_limit_reserve:
            return
        left = reset - time.time()
        if left <= 0:
            return
        if remaining == 0 and left + 1 > self._max_wait:
            raise RetriesExhausted(
                f"github source {self.name!r}: rate limit spent until "
                f"{datetime.fromtimestamp(reset, UTC):%H:%M:%S} UTC, longer than the "
                f"{self._max_wait:.0f}s wait cap; the next sync resumes where this one stopped"
            )
        wait = min(left + 1 if remaining == 0 else left / remaining, self._max_wait)
        if wait > 0:
            self._paced += wait
            self._sleep(wait)

    def _get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        etag: str | None = None,
        *,
        per_issue: bool = False,
    ) -> _Response:
        """One GET: 2xx/3xx/404/410 returned, 401/403 → AuthError (``per_issue``: a 403 is
        returned too: one issue hidden from the token is data, not a failed sync).

        Rate limits, 5xx and resets were already waited out by the retry layer; a 403 that
        reaches here is a permission answer, and a 429/5xx one the retries gave up on.
        """
        headers = {"Accept": "application/vnd.github+json"}
        if etag:
            headers["If-None-Match"] = etag
        self._pace()
        self._observer.redirect = None
        try:
            status, resp_headers, body = self._gh.requester.requestJson(
                "GET", path, dict(params or {}), headers
            )
        except Unreachable as exc:
            raise Unreachable(
                f"github source {self.name!r}: {exc}; check base_url in its [[sources]] table"
            ) from None
        if status == 401:
            raise AuthError(
                f"github source {self.name!r}: GitHub rejected the token (401) on GET {path}; "
                f"check the token in ${self.settings.token_env}"
            )
        if status >= 500 or status == 429:
            raise RetriesExhausted(
                f"github source {self.name!r}: GET {path} answered {status} after retries; "
                "the next sync resumes where this one stopped"
            )
        if status == 403 and not per_issue:
            raise AuthError(
                f"github source {self.name!r}: access denied (403) on GET {path}; give the "
                f"token in ${self.settings.token_env} Issues: read on that repository"
            )
        return _Response(status, resp_headers, _json(body), self._observer.redirect)

    def _list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        etag: str | None = None,
        first: _Response | None = None,
    ) -> tuple[_Response, list[Any]]:
        """One issue's paged sub-resource: the first response (status, ETag) and all elements.

        A 403/404/410 on the first page raises ``Vanished``: the issue is deleted, hidden or
        was never readable there (the caller asks the issue itself which).
        """
        if first is None:
            first = self._get(path, {"per_page": PER_PAGE, **(params or {})}, etag, per_issue=True)
        if first.status in (403, 404, 410):
            raise Vanished(f"HTTP {first.status} on {path}")
        if first.status != 200:
            return first, []
        elements = list(first.data) if isinstance(first.data, list) else []
        page, current = 1, first
        while _has_next(current.headers) and len(elements) < 10_000:
            page += 1
            current = self._get(
                path, {"per_page": PER_PAGE, **(params or {}), "page": page}, per_issue=True
            )
            if current.status != 200 or not isinstance(current.data, list):
                break
            elements.extend(current.data)
        return first, elements
