"""The one place HTTP answers are observed: request counting and rate-limit headers.

Both connectors install a ``ResponseObserver`` as a ``requests`` response hook on the session
their client library uses (``jira``'s session, PyGithub's per-host connection). Attempts that
``connectors.http.BudgetRetry`` retried inside urllib3 never reach a hook, so ``requests``
adds the retry layer's own count. Header names are case-insensitive in ``requests``, so one
lookup covers GitHub's ``x-ratelimit-*`` and Jira's ``X-RateLimit-*``; the reset is epoch
seconds on GitHub and ISO-8601 on Jira, kept here as epoch seconds for both.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.http import RetryStats, reset_epoch

REDIRECTS = frozenset({301, 302, 307, 308})


def _ignore(_response: Any) -> None:
    return None


@dataclass(slots=True)
class ResponseObserver:
    """Counts every answer of one run and remembers the last rate-limit budget and redirect."""

    retry_stats: RetryStats | None = None
    forward: Callable[[Any], None] = _ignore  # the engine's ``Transport.on_response``
    responses: int = 0
    not_modified: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_reset: float | None = None  # epoch seconds
    redirect: str | None = None  # Location of the last 3xx (PyGithub follows it silently)
    near_limit: bool = False  # Jira's X-RateLimit-NearLimit on the last answer
    # answers arrive on several threads when per-issue calls run in a pool (connectors.jira.pool)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def for_transport(cls, transport: Any) -> ResponseObserver:
        """The observer of a connector run: the transport's retry stats and response callback."""
        stats = getattr(transport.retry, "stats", None)
        return cls(
            retry_stats=stats if isinstance(stats, RetryStats) else None,
            forward=transport.on_response,
        )

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A ``requests`` response hook."""
        self.observe(int(response.status_code), response.headers)
        self.forward(response)
        return response

    def observe(self, status: int, headers: Mapping[str, Any]) -> None:
        with self._lock:
            self.responses += 1
        if status == 304:
            self.not_modified += 1
        if status in REDIRECTS and headers.get("location"):
            self.redirect = str(headers["location"])
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is not None and str(remaining).isdigit():
            self.rate_limit_remaining = int(remaining)
        reset = headers.get("x-ratelimit-reset")
        if reset is not None:
            self.rate_limit_reset = reset_epoch(str(reset))
        self.near_limit = str(headers.get("x-ratelimit-nearlimit", "")).lower() == "true"

    @property
    def requests(self) -> int:
        """HTTP attempts: answers seen plus attempts retried inside urllib3."""
        retried = self.retry_stats.retries if self.retry_stats is not None else 0
        return self.responses + retried

    @property
    def retry_waited(self) -> float:
        return self.retry_stats.waited if self.retry_stats is not None else 0.0
