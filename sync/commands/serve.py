"""``trainyard serve``: run unattended — syncs on schedule, reports after each, the digest on its
cron, ``/healthz`` and ``/metrics`` over HTTP (``sync.service``). Stops cleanly on SIGTERM."""

from __future__ import annotations

import argparse
from typing import Any

from sync.commands.common import add_config_option, load_config

LOG_FORMATS = ("text", "json")


def add(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser(
        "serve",
        help="the scheduler: sync every interval, reports after each sync, digest on a cron",
        description="Run the scheduler until SIGTERM/SIGINT: a sync of each source every [sync] "
        "interval_minutes (with jitter), census and full sweeps on their own intervals, every "
        "report rewritten into [reports] out_dir after each successful sync, the digest on "
        "[schedule] digest_cron; /healthz, /metrics and the reports on [service] http_port.",
    )
    add_config_option(parser)
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="one line per event: text (default) or json for log shippers",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    config = load_config(args, require_secrets=True)
    from sync.service import logs, runner  # the service's imports only when it runs

    logs.configure(args.log_format, logs.secret_values(config))
    return runner.serve(config)
