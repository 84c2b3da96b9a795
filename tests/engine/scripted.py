"""A scripted connector for engine tests: yields pages a test describes, can fail after page N.

It is a real connector as far as the engine can tell (Protocol, Settings, Transport), so the
engine's transactions, cursor rules, locks and run records are exercised for real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session

from connectors import base as rec
from sync.config import Config, load
from sync.engine import SyncEngine

T0 = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScriptedSettings:
    token_env: str | None = None
    projects: tuple[str, ...] = ()

    def scope(self) -> Mapping[str, tuple[str, ...] | None]:
        return {"jira_projects": self.projects or None}


@dataclass
class Script:
    """What the next runs yield. ``fail_after``: raise after yielding that many pages."""

    pages: list[rec.Page] = field(default_factory=list)
    fail_after: int | None = None
    error: Exception = field(default_factory=lambda: ConnectionResetError("connection reset"))
    requests: list[rec.SyncRequest] = field(default_factory=list)
    page_filter: Callable[[rec.SyncRequest, rec.Page], bool] | None = None


def scripted_class(script: Script, kind: str = "jira") -> type[rec.Connector]:
    class Scripted:
        Settings: ClassVar[type[Any]] = ScriptedSettings

        def __init__(self, name: str, settings: Any, transport: rec.Transport) -> None:
            self.name, self.settings, self.transport = name, settings, transport
            self.sent = 0

        def pages(self, request: rec.SyncRequest) -> Iterator[rec.Page]:
            script.requests.append(request)
            for index, page in enumerate(script.pages):
                if script.fail_after is not None and index >= script.fail_after:
                    raise script.error
                if script.page_filter and not script.page_filter(request, page):
                    continue
                self.sent += 1
                yield page

        def stats(self) -> Mapping[str, Any]:
            return {"requests": self.sent, "rate_limit_remaining": None}

    Scripted.kind = kind  # type: ignore[attr-defined]
    return Scripted  # type: ignore[return-value]


CONFIG = """
[database]
url = "{url}"
[train]
name = "Payments ART"
timezone = "Europe/Berlin"
[[train.teams]]
name = "Checkout"
jira_projects = ["CHK"]
[[train.teams]]
name = "Payments"
jira_projects = ["PAY"]
github_repos = ["acme/pay"]
[[calendar.pis]]
name = "PI 26.4"
start = 2026-10-05
[[sources]]
name = "jira"
kind = "jira"
projects = ["CHK", "PAY"]
[[sources]]
name = "github"
kind = "github"
projects = ["acme/pay"]
[sync]
lookback_minutes = 15
"""


def make_config(tmp_path: Path, url: str) -> Config:
    path = tmp_path / "trainyard.toml"
    path.write_text(CONFIG.format(url=url))
    settings = {"jira": ScriptedSettings, "github": ScriptedSettings}
    return load(path, connector_settings=settings)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def tick(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_engine(
    config: Config, db: Engine, scripts: Mapping[str, Script], clock: Clock | None = None
) -> SyncEngine:
    classes = {kind: scripted_class(script, kind) for kind, script in scripts.items()}
    return SyncEngine(
        config, db, clock=clock or Clock(), sleeper=lambda s: None, connector_classes=classes
    )


# -- records ---------------------------------------------------------------------------------


def item(
    tid: str,
    key: str,
    *,
    updated: datetime = T0,
    status: str = "To Do",
    category: rec.StatusCategory = "todo",
    container: str | None = None,
    tracker: str = "jira",
    **kw: Any,
) -> rec.WorkItem:
    return rec.WorkItem(
        tracker_id=tid,
        key=key,
        url=f"https://example.test/{key}",
        title=f"Title of {key}",
        type="story",
        status=status,
        status_category=category,
        created_at=T0 - timedelta(days=10),
        updated_at=updated,
        container=container or (key.split("-")[0] if tracker == "jira" else key.split("#")[0]),
        **kw,
    )


def ref(key: str, tid: str | None = None, tracker: str = "jira") -> rec.ItemRef:
    return rec.ItemRef(tracker=tracker, key=key, tracker_id=tid)


# -- database snapshots ----------------------------------------------------------------------

VOLATILE = {"sync_runs", "sync_state", "sync_locks", "quarantine", "alembic_version"}
NATURAL = {
    "sources": "name",
    "trains": "name",
    "teams": "name",
    "pis": "name",
    "iterations": "name",
    "tracker_sprints": "tracker_id",
    "work_items": "tracker_id",
    "links": "link_key",
}


def snapshot(db: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model table, ids replaced by natural keys (PostgreSQL sequences do
    not roll back, so surrogate ids differ between equivalent histories)."""
    meta = MetaData()
    meta.reflect(db)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with Session(db) as session:
        natural = {
            name: dict(
                session.execute(select(meta.tables[name].c.id, meta.tables[name].c[col])).all()
            )
            for name, col in NATURAL.items()
        }
        for table in meta.sorted_tables:
            if table.name in VOLATILE:
                continue
            cols = [c for c in table.columns if c.name not in ("id", "census_run_id", "run_id")]
            targets = [_fk_target(c) for c in cols]
            rows = []
            for row in session.execute(select(*cols)):
                rows.append(
                    tuple(
                        natural[target].get(value) if target in natural else _plain(value)
                        for target, value in zip(targets, row, strict=True)
                    )
                )
            out[table.name] = sorted(rows, key=repr)
    return out


def _fk_target(column: Any) -> str | None:
    for fk in column.foreign_keys:
        return str(fk.column.table.name)
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value
