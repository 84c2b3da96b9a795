"""trainyard's own errors, by how the CLI ends.

    TrainyardError
    ├── ConfigError        exit 2: the config file or an environment variable is wrong
    ├── UsageError         exit 2: a command-line argument is wrong
    └── RunError           exit 1: the run failed (tracker, database, lock); cursor kept
        └── SourceLocked   exit 1: another process is syncing the source

Connector errors (``connectors.errors``) are translated into ``RunError`` by the engine.
Every message is one line that names the problem and the fix; none carries a secret.
"""

from __future__ import annotations


class TrainyardError(Exception):
    exit_code = 1


class ConfigError(TrainyardError, ValueError):
    exit_code = 2


class UsageError(TrainyardError, ValueError):
    exit_code = 2


class RunError(TrainyardError, RuntimeError):
    exit_code = 1


class SourceLocked(RunError):
    """Another process holds the source's sync lock."""
