"""What every command shares: the --config option, loading it, and opening the database."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from model.db import DatabaseError, DatabaseUrlError, open_engine, redact
from sync.catalog import ensure_catalog
from sync.config import Config, load
from sync.errors import ConfigError, RunError


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
