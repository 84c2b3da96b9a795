"""The ``trainyard`` command line.

Every command takes ``--config PATH`` (default ``./trainyard.toml`` or ``$TRAINYARD_CONFIG``).
Exit codes: 0 ok, 1 runtime failure, 2 usage or config error. Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from sync.commands.common import UsageParser as _Parser
from sync.errors import TrainyardError

Handler = Callable[[argparse.Namespace], int]


def _version() -> str:
    try:
        return version("trainyard")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    from sync import commands

    parser = _Parser(
        prog="trainyard",
        description="Keep an Agile Release Train's program board honest: sync Jira and GitHub, "
        "report dependencies and blocked work.",
    )
    parser.add_argument("--version", action="version", version=f"trainyard {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    commands.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        handler: Handler = args.handler
        return handler(args)
    except TrainyardError as exc:
        print(f"trainyard: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("trainyard: interrupted; stored pages are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
