"""Connector errors, grouped by how the engine recovers from them.

    ConnectorError
    ├── FatalError               the run ends, exit 1, cursor stays where stored data is
    │   ├── AuthError            401/403 that is not a rate limit: bad or expired token
    │   ├── ScopeError           the configured scope does not exist (404 project / repo)
    │   ├── RetriesExhausted     429/5xx/timeouts outlived the retry budget
    │   └── Unreachable          DNS failure, refused connection, TLS failure: waiting cannot help
    ├── Vanished                 a per-issue call answered 404/403: mark the item missing, go on
    └── SkippableError           one record is malformed: quarantine it, go on

Messages never contain secrets: they name the source, the URL path and the fix.
``RetriesExhausted`` is deliberately not an ``OSError``: raised inside urllib3's retry loop, it
must pass through ``requests`` and the client libraries unwrapped.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises on purpose."""


class FatalError(ConnectorError):
    """The run cannot go on; the engine ends it cleanly."""


class AuthError(FatalError, PermissionError):
    """Credentials rejected."""


class ScopeError(FatalError, LookupError):
    """The configured project, repository or query does not exist or is not visible."""


class RetriesExhausted(FatalError):
    """Rate limits, server errors or timeouts persisted beyond the retry budget."""


class Unreachable(FatalError):
    """The configured host cannot be reached in a way no retry can fix (name, refusal, TLS)."""


class Vanished(ConnectorError, LookupError):
    """An issue listed moments ago is deleted or invisible now: data (missing), not a failure."""


class SkippableError(ConnectorError, ValueError):
    """One record cannot be parsed; it is quarantined with this message as the reason."""
