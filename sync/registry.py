"""Connector discovery through the ``trainyard.connectors`` entry-point group.

Our own connectors register exactly as a third-party one would (see ``pyproject.toml``); a
loaded class is checked against the ``connectors.base.Connector`` Protocol.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from connectors.base import Connector
from sync.errors import ConfigError

GROUP = "trainyard.connectors"


@cache
def installed() -> dict[str, type[Connector]]:
    """kind → connector class, for every installed connector that honours the Protocol."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        missing = [a for a in ("kind", "Settings", "pages", "stats") if not hasattr(cls, a)]
        if missing:
            raise ConfigError(
                f"connector {ep.value!r} (kind {ep.name!r}) lacks {', '.join(missing)}; "
                "it does not implement connectors.base.Connector"
            )
        found[ep.name] = cls
    return found


def installed_settings() -> dict[str, type[Any]]:
    return {kind: cls.Settings for kind, cls in installed().items()}


def connector_class(kind: str) -> type[Connector]:
    classes = installed()
    if kind not in classes:
        kinds = ", ".join(sorted(classes)) or "none"
        raise ConfigError(f"no connector kind {kind!r}; installed: {kinds}")
    return classes[kind]
