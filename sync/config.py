"""Configuration: TOML loaded into frozen, typed objects, or one clear ``ConfigError`` line.

Every table maps onto a frozen dataclass; the loader checks keys and types against the
dataclass fields, so unknown keys, wrong types and missing required keys are reported with the
file, the dotted key, the line (where it can be found) and the fix. Source tables are checked
against their connector's own ``Settings`` dataclass, found through the entry-point registry.
Secrets are never in the file: ``*_env`` keys name environment variables.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.config_reports import DependenciesConfig, FlowConfig
from sync.errors import ConfigError

DEFAULT_CONFIG = "trainyard.toml"
CONFIG_ENV = "TRAINYARD_CONFIG"
_KEY_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    url: str = "sqlite:///trainyard.db"


@dataclass(frozen=True, slots=True)
class TeamConfig:
    name: str
    jira_team_ids: tuple[str, ...] = ()
    jira_components: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    jira_projects: tuple[str, ...] = ()
    github_repos: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrainConfig:
    name: str
    timezone: str = "UTC"
    teams: tuple[TeamConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class PIConfig:
    name: str
    start: date
    iterations: int = 5
    iteration_days: int = 14
    ip_iteration: bool = True
    baseline_at: datetime | None = None  # the PI plan's instant (default: end of the first day)

    def baseline_instant(self, tz: ZoneInfo) -> datetime | None:
        """``baseline_at`` as an aware instant; a local date-time is in the train's zone."""
        if self.baseline_at is None:
            return None
        at = self.baseline_at
        return at.replace(tzinfo=tz) if at.tzinfo is None else at

    @property
    def end(self) -> date:
        """Exclusive end: the day after the last iteration (IP included)."""
        count = self.iterations + (1 if self.ip_iteration else 0)
        return self.start + timedelta(days=count * self.iteration_days)


@dataclass(frozen=True, slots=True)
class CalendarConfig:
    pis: tuple[PIConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class BlockedConfig:
    flagged: bool = True
    statuses: tuple[str, ...] = ("Blocked",)
    labels: tuple[str, ...] = ("blocked",)


@dataclass(frozen=True, slots=True)
class SyncConfig:
    interval_minutes: int = 15
    lookback_minutes: int = 15
    request_timeout_seconds: float = 30.0
    max_retries: int = 6
    census_hours: float = 6.0
    full_sweep_hours: float = 24.0

    @property
    def max_wait_seconds(self) -> float:
        """No single wait may outlast half a sync interval (the next run must not pile up)."""
        return self.interval_minutes * 60 / 2


@dataclass(frozen=True, slots=True)
class ReportsConfig:
    out_dir: str = "trainyard-out"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    kind: str
    settings: Any  # the connector's own Settings dataclass instance


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    train: TrainConfig
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    calendar: CalendarConfig = field(default_factory=CalendarConfig)
    sources: tuple[SourceConfig, ...] = ()
    blocked: BlockedConfig = field(default_factory=BlockedConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    dependencies: DependenciesConfig = field(default_factory=DependenciesConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r}; configured sources: {known}")


TOP_LEVEL: dict[str, type[Any]] = {
    "database": DatabaseConfig,
    "train": TrainConfig,
    "calendar": CalendarConfig,
    "blocked": BlockedConfig,
    "sync": SyncConfig,
    "reports": ReportsConfig,
    "dependencies": DependenciesConfig,
    "flow": FlowConfig,
}
REQUIRED_TOP = ("train",)


def resolve_path(path: str | os.PathLike[str] | None) -> Path:
    if path is not None:
        return Path(path)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def load(
    path: str | os.PathLike[str] | None = None,
    *,
    require_secrets: bool = False,
    connector_settings: Mapping[str, type[Any]] | None = None,
) -> Config:
    """Load and check the config; raise ``ConfigError`` with one line naming file, key and fix.

    ``require_secrets``: also check that every ``*_env`` variable is set (sync needs them; a
    report or ``status`` does not). ``connector_settings``: kind → Settings class; defaults to
    the installed connectors.
    """
    cfg_path = resolve_path(path)
    try:
        text = cfg_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{cfg_path}: config file not found; copy config.example.toml to {cfg_path} "
            f"or pass --config PATH (or set {CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{cfg_path}: cannot read config: {exc}; pass the path of a UTF-8 TOML file"
        ) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 7, column 3)": lift the line into the location prefix.
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        where = f"{cfg_path}:{at[1]}" if at else str(cfg_path)
        raise ConfigError(f"{where}: invalid TOML: {exc}; fix the syntax there") from None
    if connector_settings is None:
        from sync.registry import installed_settings

        connector_settings = installed_settings()
    checker = _Checker(cfg_path, text)
    config = checker.config(raw, connector_settings)
    if require_secrets:
        checker.secrets(config, raw)
    return config


class _Checker:
    """Turns the raw TOML dict into dataclasses, failing with a located message."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    # -- messages ---------------------------------------------------------------------------

    def fail(self, key: str, problem: str, fix: str) -> typing.NoReturn:
        line = self.line_of(key)
        where = f"{self.path}:{line}" if line else str(self.path)
        # One line, always: a quoted key or value may carry a newline of its own.
        raise ConfigError(" ".join(f"{where}: {key}: {problem}; {fix}".split()))

    def line_of(self, dotted: str) -> int | None:
        """Best-effort line of a dotted key (``sources[1].url``, ``train.teams[0].name``).

        Finds the deepest table header that exists (the n-th ``[[array]]`` header for an index),
        then the next key inside that table; a key that is not there (missing, or an inline
        value) points at its table's header, which is where the fix goes.
        """
        tokens = [(m[1], int(m[2]) if m[2] else None) for m in _KEY_PART.finditer(dotted)]
        names = [name for name, _ in tokens]
        for depth in range(len(tokens), 0, -1):
            header = re.compile(
                r"^\s*\[\[?\s*" + re.escape(".".join(names[:depth])) + r"\s*\]\]?\s*(#.*)?$"
            )
            hits = [i for i, text in enumerate(self.lines) if header.match(text)]
            index = tokens[depth - 1][1] or 0
            if index >= len(hits):
                continue
            start = hits[index]
            if depth == len(tokens):
                return start + 1
            found = self._key_line(names[depth], start + 1)
            return found if found is not None else start + 1
        return self._key_line(names[0], 0) if names else None

    def _key_line(self, key: str, start: int) -> int | None:
        """The line of ``key = ...`` in the table body beginning at ``start`` (0-based)."""
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*[=.]")
        for i in range(start, len(self.lines)):
            if self.lines[i].lstrip().startswith("["):
                return None
            if pattern.match(self.lines[i]):
                return i + 1
        return None

    # -- structure --------------------------------------------------------------------------

    def config(self, raw: dict[str, Any], connector_settings: Mapping[str, type[Any]]) -> Config:
        for key in raw:
            if key not in TOP_LEVEL and key != "sources":
                known = ", ".join(sorted([*TOP_LEVEL, "sources"]))
                self.fail(key, "unknown section", f"remove it or use one of: {known}")
        for key in REQUIRED_TOP:
            if key not in raw:
                self.fail(key, "required section is missing", f"add a [{key}] table")
        built = {
            key: self.build(cls, raw[key], key) for key, cls in TOP_LEVEL.items() if key in raw
        }
        sources = self.sources(raw.get("sources", []), connector_settings)
        config = Config(path=self.path, sources=sources, **built)
        self.cross_checks(config)
        return config

    def build(self, cls: type[Any], value: Any, key: str) -> Any:
        if not isinstance(value, dict):
            self.fail(key, f"expected a table, got {_tname(value)}", f"write it as [{key}]")
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        for name in value:
            if name not in fields:
                known = ", ".join(fields) or "none"
                self.fail(f"{key}.{name}", "unknown key", f"remove it; known keys here: {known}")
        kwargs: dict[str, Any] = {}
        for name, fld in fields.items():
            dotted = f"{key}.{name}"
            if name not in value:
                required = (
                    fld.default is dataclasses.MISSING
                    and fld.default_factory is dataclasses.MISSING
                )
                if required:
                    self.fail(
                        dotted, "required key is missing", f"add {name} = ... to {_table(key)}"
                    )
                continue
            kwargs[name] = self.convert(hints[name], value[name], dotted)
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            message = str(exc)
            bad = message.split(":", 1)[0] if ":" in message else None
            at = f"{key}.{bad}" if bad in fields else key
            problem = message.split(":", 1)[-1].strip() if bad in fields else message
            self.fail(at, problem, "see the comment on this key in config.example.toml")

    def convert(self, hint: Any, value: Any, dotted: str) -> Any:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            if value is None and type(None) in args:
                return None
            inner = [a for a in args if a is not type(None)]
            return self.convert(inner[0], value, dotted)
        if origin is tuple:
            if not isinstance(value, list):
                self.fail(dotted, f"expected a list, got {_tname(value)}", 'write ["a", "b"]')
            item_hint = args[0]
            if dataclasses.is_dataclass(item_hint):
                return tuple(
                    self.build(typing.cast(type, item_hint), v, f"{dotted}[{i}]")
                    for i, v in enumerate(value)
                )
            return tuple(self.convert(item_hint, v, f"{dotted}[{i}]") for i, v in enumerate(value))
        if dataclasses.is_dataclass(hint):
            return self.build(typing.cast(type, hint), value, dotted)
        return self.scalar(hint, value, dotted)

    def scalar(self, hint: Any, value: Any, dotted: str) -> Any:
        if hint is bool:
            if isinstance(value, bool):
                return value
            self.fail(dotted, f"expected true or false, got {_tname(value)}", "write true or false")
        if hint is int:
            if isinstance(value, int) and not isinstance(value, bool):
                if value < 0:
                    self.fail(dotted, f"must not be negative, got {value}", "use 0 or more")
                return value
            self.fail(dotted, f"expected an integer, got {_tname(value)}", "write a whole number")
        if hint is float:
            if isinstance(value, int | float) and not isinstance(value, bool):
                if value < 0:
                    self.fail(dotted, f"must not be negative, got {value}", "use 0 or more")
                return float(value)
            self.fail(dotted, f"expected a number, got {_tname(value)}", "write a number")
        if hint is str:
            if isinstance(value, str):
                return value
            self.fail(dotted, f"expected a string, got {_tname(value)}", 'quote it: "..."')
        if hint is datetime:
            if isinstance(value, datetime):
                return value
            self.fail(
                dotted,
                f"expected a date-time, got {_tname(value)}",
                "write 2026-10-05T18:00:00 (train time zone) or with Z / an offset, no quotes",
            )
        if hint is date:
            if isinstance(value, date) and not hasattr(value, "hour"):
                return value
            self.fail(
                dotted, f"expected a date, got {_tname(value)}", "write 2026-10-05 (no quotes)"
            )
        raise TypeError(f"config field {dotted} has unsupported type {hint!r}")  # our bug

    def sources(
        self, raw: Any, connector_settings: Mapping[str, type[Any]]
    ) -> tuple[SourceConfig, ...]:
        if not isinstance(raw, list):
            self.fail(
                "sources", f"expected [[sources]] tables, got {_tname(raw)}", "use [[sources]]"
            )
        built: list[SourceConfig] = []
        seen: set[str] = set()
        for i, table in enumerate(raw):
            at = f"sources[{i}]"
            if not isinstance(table, dict):
                self.fail(at, "expected a table", "use [[sources]]")
            for key in ("name", "kind"):
                if key not in table:
                    self.fail(f"{at}.{key}", "required key is missing", f'add {key} = "..."')
                if not isinstance(table[key], str) or not table[key].strip():
                    self.fail(
                        f"{at}.{key}",
                        f"expected a non-empty string, got {_tname(table[key])}",
                        f'write {key} = "..."',
                    )
            name, kind = table["name"], table["kind"]
            if name in seen:
                self.fail(
                    f"{at}.name", f"duplicate source name {name!r}", "give each source its own name"
                )
            seen.add(name)
            if kind not in connector_settings:
                kinds = ", ".join(sorted(connector_settings)) or "none"
                self.fail(f"{at}.kind", f"no connector kind {kind!r}", f"installed: {kinds}")
            rest = {k: v for k, v in table.items() if k not in ("name", "kind")}
            settings = self.build(connector_settings[kind], rest, at)
            built.append(SourceConfig(name=name, kind=kind, settings=settings))
        return tuple(built)

    # -- meaning ----------------------------------------------------------------------------

    def cross_checks(self, config: Config) -> None:
        try:
            ZoneInfo(config.train.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(
                "train.timezone",
                f"unknown time zone {config.train.timezone!r}",
                'use an IANA name such as "Europe/Berlin" or "UTC"',
            )
        self.named("train.name", config.train.name)
        for i, team in enumerate(config.train.teams):
            self.named(f"train.teams[{i}].name", team.name)
        for i, pi in enumerate(config.calendar.pis):
            self.named(f"calendar.pis[{i}].name", pi.name)
        self.unique("train.teams", [t.name for t in config.train.teams], "team")
        self.unique("calendar.pis", [p.name for p in config.calendar.pis], "PI")
        if config.sync.interval_minutes < 1:
            self.fail(
                "sync.interval_minutes",
                "must be at least 1",
                "set how many minutes apart syncs run, e.g. 15",
            )
        if config.sync.request_timeout_seconds <= 0:
            self.fail(
                "sync.request_timeout_seconds",
                "must be more than 0",
                "set the per-request timeout in seconds, e.g. 30",
            )
        for i, pi in enumerate(config.calendar.pis):
            if pi.iterations < 1 or pi.iteration_days < 1:
                self.fail(
                    f"calendar.pis[{i}].iterations",
                    "a PI needs at least one iteration of at least one day",
                    "set iterations and iteration_days to 1 or more",
                )
        self.baselines(config)
        pis = config.calendar.pis
        ordered = sorted(range(len(pis)), key=lambda i: pis[i].start)
        for b, a in itertools.pairwise(ordered):
            before, after = pis[b], pis[a]
            if after.start < before.end:
                self.fail(
                    f"calendar.pis[{a}].start",
                    f"PIs {before.name!r} and {after.name!r} overlap",
                    f"start {after.name!r} on or after {before.end.isoformat()}",
                )
        scopes = self.scopes(config)
        for t, team in enumerate(config.train.teams):
            for rule, values in (
                ("jira_projects", team.jira_projects),
                ("github_repos", team.github_repos),
            ):
                known = scopes.get(rule)
                if known is None:
                    continue
                # Rules match projects and repos ignoring case (model.rules); so does this check.
                folded = {k.casefold() for k in known}
                for value in values:
                    if value.casefold() not in folded:
                        listed = ", ".join(sorted(known)) or "none"
                        self.fail(
                            f"train.teams[{t}].{rule}",
                            f"team {team.name!r} names {value!r}, which no source syncs",
                            f"add it to a source's scope or use one of: {listed}",
                        )

    def baselines(self, config: Config) -> None:
        """Each PI's ``baseline_at`` lies within the PI (local days in the train's zone)."""
        tz = ZoneInfo(config.train.timezone)
        for i, pi in enumerate(config.calendar.pis):
            at = pi.baseline_instant(tz)
            if at is None:
                continue
            start = datetime.combine(pi.start, time(0), tzinfo=tz)
            end = datetime.combine(pi.end, time(0), tzinfo=tz)
            if not start <= at < end:
                self.fail(
                    f"calendar.pis[{i}].baseline_at",
                    f"{at.isoformat()} is outside PI {pi.name!r}",
                    f"use a time from {pi.start.isoformat()} to before {pi.end.isoformat()}",
                )

    def named(self, key: str, name: str) -> None:
        if not name.strip():
            self.fail(key, "must not be empty", 'write a name, e.g. name = "Checkout"')

    def unique(self, key: str, names: list[str], what: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                self.fail(
                    f"{key}[{i}].name",
                    f"duplicate {what} name {name!r}",
                    f"give each {what} its own name",
                )
            seen.add(name)

    @staticmethod
    def scopes(config: Config) -> dict[str, set[str] | None]:
        """Team rule key → values the sources sync (None: some scope is open, e.g. JQL)."""
        scopes: dict[str, set[str] | None] = {}
        for src in config.sources:
            scope_of = getattr(src.settings, "scope", None)
            if scope_of is None:
                continue
            for rule, values in scope_of().items():
                if values is None or scopes.get(rule, set()) is None:
                    scopes[rule] = None
                else:
                    scopes.setdefault(rule, set()).update(values)  # type: ignore[union-attr]
        return scopes

    def secrets(self, config: Config, raw: dict[str, Any]) -> None:
        for i, src in enumerate(config.sources):
            for fld in dataclasses.fields(src.settings):
                var = getattr(src.settings, fld.name)
                if not fld.name.endswith("_env") or not var:
                    continue
                if not os.environ.get(var):
                    self.fail(
                        f"sources[{i}].{fld.name}",
                        f"environment variable {var} (source {src.name!r}) is not set",
                        f"export {var}=... before running; secrets never go in the file",
                    )


def secret(var: str) -> str:
    """The value of a secret variable named in the config (checked at load time)."""
    value = os.environ.get(var)
    if not value:
        raise ConfigError(f"environment variable {var} is not set; export it before running")
    return value


def _table(key: str) -> str:
    """How a dotted key's table is written: ``[train]``, or the 2nd ``[[sources]]`` table."""
    head, sep, index = key.rpartition("[")
    if sep and index.endswith("]") and index[:-1].isdigit():
        return f"[[{head}]] table #{int(index[:-1]) + 1}"
    return f"[{key}]"


def _tname(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        kind = "date-time" if isinstance(value, datetime) else type(value).__name__
        return f"{kind} {value.isoformat()}"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"string {value[:40]!r}"
    return f"{type(value).__name__} {value!r}"
