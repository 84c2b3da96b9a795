"""The service's log: one line per event, as text or JSON, with every secret value masked.

``configure`` installs one handler on the root logger. Each record becomes exactly one line
(a traceback is folded into it), so log shippers never split an event. Structured fields go in
``extra={"kv": {...}}``: ``key=value`` pairs in text, top-level keys in JSON. Before a line is
written, every secret the config names (``*_env`` variables, the basic-auth header a user and
token make, the database URL's password) is replaced with ``***``, whatever logger wrote it.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import logging
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sync.config import Config

FORMATS = ("text", "json")
QUIET = ("apscheduler", "urllib3", "github", "jira", "requests", "alembic", "sqlalchemy")
MIN_SECRET = 4  # shorter values would mask ordinary words


def secret_values(config: Config) -> list[str]:
    """Every secret value reachable from the config, longest first, with basic-auth forms."""
    values: list[str] = []
    for name in _env_names(config):
        value = os.environ.get(name)
        if value and len(value) >= MIN_SECRET:
            values.append(value)
    for user, token in itertools.permutations(list(values), 2):
        values.append(base64.b64encode(f"{user}:{token}".encode()).decode())
    try:
        password = make_url(config.database.url).password
    except ArgumentError:
        password = None
    if password and len(str(password)) >= MIN_SECRET:
        values.append(str(password))
    return sorted(set(values), key=len, reverse=True)


def _env_names(value: Any, depth: int = 0) -> Iterable[str]:
    """Values of ``*_env`` fields anywhere in the config's dataclasses (sources, smtp, ...)."""
    if depth > 6:
        return
    if isinstance(value, tuple | list):
        for item in value:
            yield from _env_names(item, depth + 1)
        return
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return
    for fld in dataclasses.fields(value):
        inner = getattr(value, fld.name)
        if fld.name.endswith("_env") and isinstance(inner, str) and inner:
            yield inner
        else:
            yield from _env_names(inner, depth + 1)


def mask(text: str, secrets: Sequence[str]) -> str:
    for value in secrets:
        text = text.replace(value, "***")
    return text


class OneLine(logging.Formatter):
    """Text or JSON, one line per record, secrets masked."""

    def __init__(self, fmt: str, secrets: Sequence[str]) -> None:
        super().__init__()
        self.kind = fmt
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        message = mask(record.getMessage(), self.secrets)
        fields: dict[str, Any] = dict(getattr(record, "kv", None) or {})
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        fields = {k: mask(v, self.secrets) if isinstance(v, str) else v for k, v in fields.items()}
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        if self.kind == "json":
            line = json.dumps(
                {
                    "ts": at.replace("+00:00", "Z"),
                    "level": record.levelname.lower(),
                    "logger": record.name,
                    "event": message,
                    **{k: _plain(v) for k, v in fields.items()},
                },
                ensure_ascii=False,
            )
        else:
            pairs = " ".join(f"{k}={_text(v)}" for k, v in fields.items())
            line = f"{at.replace('+00:00', 'Z')} {record.levelname} {record.name}: {message}"
            line = f"{line} {pairs}" if pairs else line
            line = line.replace("\r", "\\r").replace("\n", "\\n")
        return mask(line, self.secrets)


def configure(fmt: str, secrets: Sequence[str], stream: TextIO | None = None) -> logging.Handler:
    """Route every logger through one masked, one-line handler (replacing earlier ones)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLine(fmt, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _text(value: Any) -> str:
    plain = _plain(value)
    text = str(plain)
    return json.dumps(text) if (not text or any(c.isspace() or c in '"=' for c in text)) else text
