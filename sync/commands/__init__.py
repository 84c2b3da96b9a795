"""CLI commands: one module each, with ``add(subparsers)`` setting ``handler``."""

from __future__ import annotations

import argparse
from typing import Any

from sync.commands import baseline, db, demo, digest, report, run, serve, status

MODULES = [db, status, run, report, baseline, digest, serve, demo]


def register(sub: argparse._SubParsersAction[Any]) -> None:
    for module in MODULES:
        module.add(sub)
