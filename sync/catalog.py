"""Mirror the config's train, teams, calendar and sources into the model (idempotent).

Runs before every sync and report so the database always describes the current config;
teams, PIs and sources removed from the config are kept (history references them).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from model.tables import PI, Iteration, Source, Team, Train
from sync.config import Config, PIConfig


def iteration_name(pi: PIConfig, seq: int) -> str:
    return (
        f"{pi.name} · IP" if pi.ip_iteration and seq == pi.iterations + 1 else f"{pi.name} · I{seq}"
    )


def ensure_catalog(session: Session, config: Config) -> Train:
    """Create or update the rows for ``config``; returns the train. Caller commits."""
    _one_at_a_time(session)
    train = session.scalar(select(Train).where(Train.name == config.train.name))
    if train is None:
        train = Train(name=config.train.name)
        session.add(train)
    train.timezone = config.train.timezone
    teams = {t.name: t for t in train.teams}
    for team in config.train.teams:
        if team.name not in teams:
            train.teams.append(Team(name=team.name))
    pis = {p.name: p for p in train.pis}
    for pi_cfg in config.calendar.pis:
        pi = pis.get(pi_cfg.name)
        if pi is None:
            pi = PI(name=pi_cfg.name, start=pi_cfg.start, end=pi_cfg.end)
            train.pis.append(pi)
        pi.start, pi.end = pi_cfg.start, pi_cfg.end
        pi.baseline_at = pi_cfg.baseline_instant(ZoneInfo(config.train.timezone))
        _iterations(pi, pi_cfg)
    for src in config.sources:
        row = session.scalar(select(Source).where(Source.name == src.name))
        if row is None:
            row = Source(name=src.name, kind=src.kind)
            session.add(row)
        row.kind = src.kind
        row.url = str(getattr(src.settings, "url", None) or getattr(src.settings, "base_url", ""))
    session.flush()
    return train


def _one_at_a_time(session: Session) -> None:
    """Hold the catalog's write lock until the caller commits.

    Two processes starting together (two ``serve`` on one database, a ``backfill`` beside the
    service) would otherwise both read "no such train" and both insert it: the second one dies
    on the unique constraint. PostgreSQL: a transaction-scoped advisory lock keyed by database
    and schema. SQLite: a write statement first, so the transaction takes the file's write lock
    (waiting out the busy timeout) before it reads.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext('trainyard-catalog:' || "
                "current_database() || '.' || current_schema()))"
            )
        )
    else:
        session.execute(text("UPDATE trains SET timezone = timezone WHERE 0 = 1"))


def _iterations(pi: PI, cfg: PIConfig) -> None:
    count = cfg.iterations + (1 if cfg.ip_iteration else 0)
    existing = {it.seq: it for it in pi.iterations}
    for seq in range(1, count + 1):
        start = cfg.start + timedelta(days=(seq - 1) * cfg.iteration_days)
        it = existing.pop(seq, None)
        if it is None:
            it = Iteration(seq=seq)
            pi.iterations.append(it)
        it.name = iteration_name(cfg, seq)
        it.start, it.end = start, start + timedelta(days=cfg.iteration_days)
        it.is_ip = cfg.ip_iteration and seq == count
    for stale in existing.values():
        pi.iterations.remove(stale)
