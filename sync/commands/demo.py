"""``trainyard demo [--out DIR] [--smtp HOST:PORT] [--serve]``: the bundled train, end to end.

No credentials and no network: a loopback sandbox answers like Jira Cloud and GitHub, the real
connectors sync it into SQLite in DIR, and every report, the board, the drift report and two
digests (a week apart, in simulated time) are written there. ``--smtp`` also sends the digests;
``--serve`` then keeps ``trainyard serve`` running on the sandbox until Ctrl-C.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.demo.run import DemoResult

DEFAULT_DIR = "trainyard-demo"


def add(sub: argparse._SubParsersAction[Any]) -> None:
    description = (
        "Run trainyard on a bundled train (8 teams, 3 Jira projects, 4 GitHub repositories) "
        "served by a loopback sandbox: sync, reports, board, drift, two digests. No credentials."
    )
    parser = sub.add_parser("demo", help="the bundled train end to end", description=description)
    parser.add_argument(
        "--out", metavar="DIR", default=DEFAULT_DIR, help=f"where to write (default {DEFAULT_DIR})"
    )
    parser.add_argument(
        "--smtp", metavar="HOST:PORT", type=smtp_address, help="also send the digests there"
    )
    parser.add_argument(
        "--serve", action="store_true", help="keep the service running on the sandbox (Ctrl-C)"
    )
    parser.set_defaults(handler=run)


def smtp_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT (e.g. localhost:1025)")
    return host, int(port)


def run(args: argparse.Namespace) -> int:
    from sync.demo.run import run_demo
    from sync.demo.summary import print_summary

    directory = Path(args.out)
    result = run_demo(directory, smtp=args.smtp, keep_running=args.serve)
    print_summary(result)
    if result.failed:
        for line in result.failed:
            print(f"demo: digest not sent: {line}")
    if not args.serve:
        return 1 if result.failed else 0
    return _serve(result)


def _serve(result: DemoResult) -> int:
    from sync.config import load
    from sync.service import logs
    from sync.service.runner import serve

    config = load(result.config, require_secrets=True)
    logs.configure("text", logs.secret_values(config))
    port = config.service.http_port
    print(f"\nserving: open http://127.0.0.1:{port}/board.html (Ctrl-C stops)", flush=True)
    try:
        return serve(config)
    finally:
        result.world.stop()
