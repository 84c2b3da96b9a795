"""What every command shares: the --config option, loading it, and opening the database."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from model.db import DatabaseError, DatabaseUrlError, open_engine, redact
from sync.catalog import ensure_catalog
from sync.config import Config, load
from sync.errors import ConfigError, RunError, UsageError


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: ./trainyard.toml, or $TRAINYARD_CONFIG)",
    )


def load_config(args: argparse.Namespace, *, require_secrets: bool = False) -> Config:
    return load(args.config, require_secrets=require_secrets)


def engine_for(config: Config) -> Engine:
    """The config's database, migrated to the newest schema (first use creates it)."""
    try:
        return open_engine(config.database.url)
    except DatabaseUrlError as exc:
        raise ConfigError(f"{exc}; fix [database] url in {config.path}") from None
    except DatabaseError as exc:
        raise RunError(f"{exc}; check [database] url in {config.path}") from None


@contextmanager
def catalog_session(config: Config, what: str) -> Iterator[Session]:
    """A session on the config's database with the train and sources mirrored into it; a
    database failure while reading ``what`` ends the command with one line (exit 1)."""
    engine = engine_for(config)
    try:
        with Session(engine) as session:
            ensure_catalog(session, config)
            session.commit()
            yield session
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        raise RunError(
            f"cannot read {what} from {redact(config.database.url)}: {reason}; "
            "run 'trainyard db upgrade' or check [database] url"
        ) from None
    finally:
        engine.dispose()


AS_OF_FORMATS = (
    "2026-10-20 (midnight, train time zone), 2026-10-20T14:30 (train time zone) "
    "or 2026-10-20T12:30:00Z / +02:00"
)


def parse_as_of(text: str, tz: ZoneInfo, option: str = "--as-of") -> datetime:
    """An aware UTC instant from the accepted ``--as-of`` spellings, or ``UsageError``."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a time; use {AS_OF_FORMATS}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose errors are ``UsageError`` (one line, exit 2), not ``SystemExit``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}; see '{self.prog} --help'")
