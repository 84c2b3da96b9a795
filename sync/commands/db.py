"""``trainyard db upgrade``: apply pending schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from model.db import DatabaseError, DatabaseUrlError, create_db_engine, redact, upgrade
from sync.commands.common import add_config_option, load_config
from sync.errors import ConfigError, RunError


def add(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("db", help="database maintenance")
    db_sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    up = db_sub.add_parser(
        "upgrade", help="apply pending schema migrations (also done on first use)"
    )
    add_config_option(up)
    up.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    config = load_config(args)
    try:
        engine = create_db_engine(config.database.url)
    except DatabaseUrlError as exc:
        raise ConfigError(f"{exc}; fix [database] url in {config.path}") from None
    try:
        before, after = upgrade(engine)
    except DatabaseError as exc:
        raise RunError(f"{exc}; check [database] url in {config.path}") from None
    finally:
        engine.dispose()  # close pooled connections now, not at garbage collection
    where = redact(config.database.url)
    if before == after:
        print(f"{where}: schema is current (revision {after})")
    else:
        print(f"{where}: upgraded schema from {before or 'empty'} to {after}")
    return 0
