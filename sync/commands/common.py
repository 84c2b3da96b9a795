"""What every command shares: the --config option, loading it, and opening the database."""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

from model.db import DatabaseError, DatabaseUrlError, open_engine
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
