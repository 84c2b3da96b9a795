"""The one retry layer: a ``urllib3`` ``Retry`` both client libraries accept, plus request counting.

Why our own: the libraries' retries have gaps (``api-facts.md`` §2, §12). ``jira``'s
ResilientSession skips 500/502/504 and read timeouts, crashes on an HTTP-date ``Retry-After``
and may retry before a long ``Retry-After`` has passed; PyGithub retries 5xx ten times without
backoff and may sleep without limit. ``BudgetRetry`` is mounted under both (``HTTPAdapter`` for
``jira``, ``Github(retry=...)`` for PyGithub) with the libraries' own retries off, and:

* retries connection errors, read timeouts, 429 and 500/502/503/504 on every method (our POSTs
  are searches and bulk reads, safe to repeat), and a 403 only when it is a rate limit
  (``Retry-After`` present, ``x-ratelimit-remaining: 0``, or a body that says "rate limit":
  GitHub's secondary limit may come with no header at all) — any other 403 is returned as is,
  its body intact;
* waits what the server asks (``Retry-After`` in seconds or as an HTTP date; a rate-limit reset
  in epoch seconds (GitHub) or ISO-8601 (Jira) when the remaining budget is 0); a limit named
  only in the body waits at least ``SECONDARY_WAIT`` (GitHub: "at least one minute"), doubling;
  anything else backs off exponentially with jitter;
* never waits longer than ``max_wait`` at once nor ``budget`` in all: a wait beyond either ends
  the run with ``RetriesExhausted`` (the cursor stays where stored data is; the next run resumes).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

from urllib3.exceptions import (
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ResponseError,
)
from urllib3.exceptions import SSLError as TLSError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from connectors.errors import RetriesExhausted, Unreachable

RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
SECONDARY_WAIT = 60.0  # GitHub: a secondary limit without headers: wait at least a minute


@dataclass(slots=True)
class RetryStats:
    """Shared by every copy of one run's ``BudgetRetry`` (urllib3 copies it on each attempt)."""

    retries: int = 0
    waited: float = 0.0
    waits: list[float] = field(default_factory=list)


class BudgetRetry(Retry):
    """Capped, budget-aware retries. Build one per run with ``BudgetRetry.for_run``."""

    def __init__(
        self,
        *args: Any,
        max_wait: float = 60.0,
        budget: float = 600.0,
        base_backoff: float = 1.0,
        sleeper: Callable[[float], None] = time.sleep,
        stats: RetryStats | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_wait = max_wait
        self.budget = budget
        self.base_backoff = base_backoff
        self.sleeper = sleeper
        self.stats = stats if stats is not None else RetryStats()
        self.floor = 0.0  # set on the copy that retries a limit the body named

    @classmethod
    def for_run(
        cls,
        *,
        max_retries: int,
        max_wait: float,
        budget: float | None = None,
        base_backoff: float = 1.0,
        sleeper: Callable[[float], None] = time.sleep,
    ) -> BudgetRetry:
        return cls(
            total=max_retries,
            connect=max_retries,
            read=max_retries,
            status=max_retries,
            other=0,
            redirect=0,  # PyGithub follows 301s itself; a transfer must stay visible to it
            allowed_methods=None,
            status_forcelist=RETRY_STATUSES,
            raise_on_status=False,
            raise_on_redirect=False,
            respect_retry_after_header=True,
            max_wait=max_wait,
            budget=budget if budget is not None else max_wait * max(max_retries, 1),
            base_backoff=base_backoff,
            sleeper=sleeper,
        )

    def new(self, **kw: Any) -> Self:
        fresh = super().new(**kw)
        fresh.max_wait, fresh.budget, fresh.base_backoff = (
            self.max_wait,
            self.budget,
            self.base_backoff,
        )
        fresh.sleeper, fresh.stats = self.sleeper, self.stats
        return fresh

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        return status_code in RETRY_STATUSES and self.total is not False

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        named_in_body = False
        if response is not None and response.status == 403 and not _is_rate_limited(response):
            named_in_body = _body_says_rate_limit(response)
            if not named_in_body:
                # A permission 403: hand the response back (raise_on_status=False) so the
                # client library reports it as an auth error, not a retry.
                raise MaxRetryError(_pool, url or "", ResponseError("403 is not a rate limit"))
        reason = _unreachable(error)
        if reason is not None and self.history:  # one quick retry made: waiting cannot help
            host = getattr(_pool, "host", None) or "the configured host"
            raise Unreachable(f"cannot reach {host}: {reason}")
        try:
            new = super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError as exc:
            if response is not None:
                response.drain_conn()
            if reason is not None:  # a TLS failure is not retried at all ("other" errors)
                host = getattr(_pool, "host", None) or "the configured host"
                raise Unreachable(f"cannot reach {host}: {reason}") from None
            raise RetriesExhausted(_exhausted(url, response, error or exc.reason)) from None
        self.stats.retries += 1
        if named_in_body:
            new.floor = SECONDARY_WAIT
        return new

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self.wait_for(response)
        if wait > self.max_wait:
            raise RetriesExhausted(
                f"the server asks to wait {wait:.0f}s (status {_status(response)}), longer than "
                f"the {self.max_wait:.0f}s cap; the next sync resumes where this one stopped"
            )
        if self.stats.waited + wait > self.budget:
            raise RetriesExhausted(
                f"retry waits would exceed this run's {self.budget:.0f}s budget "
                f"(status {_status(response)}); the next sync resumes where this one stopped"
            )
        self.stats.waited += wait
        self.stats.waits.append(wait)
        if wait > 0:
            self.sleeper(wait)

    def wait_for(self, response: BaseHTTPResponse | None) -> float:
        """Seconds to wait before the next attempt."""
        if response is not None:
            asked = _server_wait(response)
            if asked is not None:
                return float(asked)
        attempt: int = len(self.history)
        if self.floor:  # no jitter: the server said how long at least
            return float(min(self.max_wait, self.floor * (2 ** max(attempt - 1, 0))))
        backoff = self.base_backoff * (2 ** max(attempt - 1, 0))
        return float(min(self.max_wait, backoff * random.uniform(0.5, 1.0)))


def _unreachable(error: Exception | None) -> str | None:
    """Why a connection failed for good, or None when a later attempt may succeed."""
    if isinstance(error, NameResolutionError):
        return "the name does not resolve"
    if isinstance(error, TLSError):
        return "the TLS handshake failed"
    if isinstance(error, NewConnectionError) and isinstance(
        error.__cause__, ConnectionRefusedError
    ):
        return "the connection was refused"
    return None


def _is_rate_limited(response: BaseHTTPResponse) -> bool:
    headers = response.headers
    return bool(headers.get("Retry-After")) or headers.get("x-ratelimit-remaining") == "0"


def _body_says_rate_limit(response: BaseHTTPResponse) -> bool:
    """Whether a 403's body names a rate limit; the body stays readable for the caller.

    urllib3 has no peek: the body is read (it is a short error document) and put back into
    the response's decoded buffer, which ``stream()`` (how ``requests`` reads) drains first.
    """
    try:
        data = response.read(decode_content=True)
    except (HTTPError, OSError, ValueError):
        return False
    buffer = getattr(response, "_decoded_buffer", None)
    if data and buffer is not None:
        buffer.put(data)
    return b"rate limit" in data.lower()


def _server_wait(response: BaseHTTPResponse) -> float | None:
    """What the server asked for: Retry-After, else a rate-limit reset when nothing is left."""
    headers = response.headers
    retry_after = headers.get("Retry-After")
    if retry_after:
        return parse_retry_after(retry_after)
    if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
        return parse_reset(headers["x-ratelimit-reset"])
    return None


def parse_retry_after(value: str, now: float | None = None) -> float:
    """``Retry-After`` as seconds: a number, or an HTTP date (never negative)."""
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    parsed = email.utils.parsedate_to_datetime(value)  # raises ValueError on garbage
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return max(0.0, parsed.timestamp() - (now if now is not None else time.time()))


def parse_reset(value: str, now: float | None = None) -> float:
    """A rate-limit reset as seconds from now: epoch seconds (GitHub) or ISO-8601 (Jira)."""
    at = reset_epoch(value)
    if at is None:
        raise ValueError(f"rate-limit reset {value!r} is neither epoch seconds nor ISO-8601")
    return max(0.0, at - (now if now is not None else time.time())) + 1.0


def reset_epoch(value: str) -> float | None:
    """A rate-limit reset as epoch seconds: epoch seconds (GitHub) or ISO-8601 (Jira)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _status(response: BaseHTTPResponse | None) -> str:
    return str(response.status) if response is not None else "no response"


def _exhausted(url: str | None, response: BaseHTTPResponse | None, cause: Any) -> str:
    path = (url or "").split("?", 1)[0]
    if response is not None:
        what = f"HTTP {response.status}"
    else:
        what = type(cause).__name__ if cause is not None else "errors"
    return (
        f"gave up on {path or 'a request'} after repeated {what}; "
        "the next sync resumes where this one stopped"
    )
