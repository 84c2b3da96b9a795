"""The ``[digest]`` and ``[smtp]`` config sections: who gets the RTE digest and how it is sent.

``[digest]`` names the recipients (``to`` for the whole train, ``[[digest.routes]]`` for a
team's slice), what counts as aging (``aging_threshold_days``), how long each list may be
(``max_items``) and whether a quiet digest is sent at all (``send_when_quiet``). ``[smtp]``
says how to reach the mail server; its password comes from the variable ``password_env``
names, never from the file. ``from`` is a Python keyword, so the dataclass field is ``from_``
and :func:`prepare` renames the TOML key before the generic loader builds the section.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, NoReturn

from sync.errors import ConfigError

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}

Fail = Callable[[str, str, str], NoReturn]


@dataclass(frozen=True, slots=True)
class DigestRoute:
    team: str
    to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DigestConfig:
    to: tuple[str, ...] = ()
    aging_threshold_days: int = 14
    max_items: int = 10
    send_when_quiet: bool = False
    routes: tuple[DigestRoute, ...] = ()


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 0  # 0: the security's usual port (587 starttls, 465 ssl, 25 none)
    security: str = "starttls"
    user: str = ""
    password_env: str = ""
    timeout: float = 30.0
    from_: str = field(default="")

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.security, 25)


def prepare(raw: dict[str, Any]) -> dict[str, Any]:
    """The raw TOML with ``[smtp] from`` renamed to the field ``from_`` (a Python keyword)."""
    smtp = raw.get("smtp")
    if isinstance(smtp, dict) and "from" in smtp:
        smtp = dict(smtp)
        if "from_" in smtp:
            raise ConfigError('smtp.from_: unknown key; write from = "..." in [smtp]')
        smtp["from_"] = smtp.pop("from")
        return {**raw, "smtp": smtp}
    return raw


def check(digest: DigestConfig, smtp: SmtpConfig, teams: tuple[str, ...], fail: Fail) -> None:
    """Meaning checks: addresses, routes naming configured teams, security, ports."""
    for i, address in enumerate(digest.to):
        _address(f"digest.to[{i}]", address, fail)
    seen: dict[str, str] = {a.casefold(): "digest.to" for a in digest.to}
    for r, route in enumerate(digest.routes):
        at = f"digest.routes[{r}]"
        if route.team not in teams:
            known = ", ".join(teams) or "none"
            fail(f"{at}.team", f"no team named {route.team!r}", f"use one of: {known}")
        if not route.to:
            fail(f"{at}.to", "a route needs at least one address", 'write to = ["lead@x.example"]')
        for i, address in enumerate(route.to):
            _address(f"{at}.to[{i}]", address, fail)
            before = seen.setdefault(address.casefold(), at)
            if before != at:
                fail(
                    f"{at}.to[{i}]",
                    f"{address!r} already gets a digest through {before}",
                    "each address gets one digest a period: list it once",
                )
    if digest.max_items < 1:
        fail("digest.max_items", "must be at least 1", "set how many rows each list shows, e.g. 10")
    if digest.aging_threshold_days < 1:
        fail("digest.aging_threshold_days", "must be at least 1", "set a number of days, e.g. 14")
    if smtp.security not in SECURITY:
        fail(
            "smtp.security",
            f"unknown security {smtp.security!r}",
            f"use one of: {', '.join(SECURITY)}",
        )
    if smtp.port > 65535:
        fail("smtp.port", f"{smtp.port} is not a TCP port", "use 1-65535, or 0 for the default")
    if smtp.timeout <= 0:
        fail("smtp.timeout", "must be more than 0", "set the SMTP timeout in seconds, e.g. 30")
    if smtp.from_:
        _address("smtp.from", smtp.from_, fail)
    if smtp.password_env and not smtp.user:
        fail("smtp.user", "password_env is set but user is not", 'set user = "..." too')


def sending_problem(digest: DigestConfig, smtp: SmtpConfig) -> str | None:
    """Why a digest cannot be sent with this config (one line naming key and fix), or None."""
    if not digest.to and not digest.routes:
        return 'no recipients: set [digest] to = ["rte@example.com"] (or [[digest.routes]])'
    if not smtp.from_:
        return 'no sender: set [smtp] from = "trainyard@example.com"'
    if not smtp.host:
        return 'no mail server: set [smtp] host = "smtp.example.com"'
    if smtp.password_env and not os.environ.get(smtp.password_env):
        return (
            f"environment variable {smtp.password_env} ([smtp] password_env) is not set; "
            f"export {smtp.password_env}=... before sending; secrets never go in the file"
        )
    return None


def _address(key: str, address: str, fail: Fail) -> None:
    name, addr = parseaddr(address)
    del name
    if not addr or "@" not in addr or any(c in address for c in "\r\n"):
        fail(key, f"{address!r} is not an e-mail address", 'write "name@example.com"')


def check_base_url(base_url: str, fail: Fail) -> None:
    """``[reports] base_url`` becomes a link in mails: only http(s) is allowed."""
    if base_url and not base_url.lower().startswith(("http://", "https://")):
        fail(
            "reports.base_url",
            f"{base_url!r} is not an http(s) URL",
            'write "https://trainyard.example/reports" (where out_dir is served)',
        )
