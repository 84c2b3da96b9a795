"""``trainyard digest [--send] [--out FILE.eml] [--since TIME]``: the RTE digest.

A thin CLI over ``sync.mail.deliver_digests``. Without ``--send`` nothing is mailed: with
``--out`` the message is written as an ``.eml`` file, otherwise its plain text is printed.
``--since`` replaces "since the last digest sent" (same spellings as ``report --as-of``).
Exit 1 when any send failed (each failure is one line; the next run retries it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sync.commands.common import add_config_option, load_config
from sync.commands.report import AS_OF_FORMATS, parse_as_of
from sync.errors import RunError, UsageError
from sync.mail import deliver_digests, preview_text


def add(sub: argparse._SubParsersAction[Any]) -> None:
    description = (
        "Build the RTE digest (sync health, what changed since the last digest, aging and "
        "blocked work, who blocks whom) and send it by e-mail, write it, or print it."
    )
    parser = sub.add_parser("digest", help="the RTE digest by e-mail", description=description)
    parser.add_argument(
        "--send", action="store_true", help="send it via [smtp] to [digest] recipients"
    )
    parser.add_argument("--out", metavar="FILE.eml", help="write the message to FILE.eml")
    parser.add_argument(
        "--since", metavar="TIME", help=f"report changes since TIME instead: {AS_OF_FORMATS}"
    )
    add_config_option(parser)
    parser.set_defaults(handler=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    config = load_config(args)
    now = datetime.now(UTC)
    since = (
        parse_as_of(args.since, ZoneInfo(config.train.timezone), "--since") if args.since else None
    )
    if since is not None and since > now:
        raise UsageError(f"--since {args.since!r} is in the future; give a past time")
    out = Path(args.out) if args.out else None
    if not args.send and out is None:
        print(preview_text(config, now=now, since=since), end="")
        return 0
    report = deliver_digests(config, now=now, send=args.send, since=since, out=out)
    if args.send:
        quiet = " (quiet digests skipped: set [digest] send_when_quiet to send them)"
        print(
            f"digest: {report.sent} sent, {report.failed} failed"
            + (quiet if report.skipped_quiet else ""),
            file=sys.stderr,
        )
    if report.failed:
        raise RunError("; ".join(report.errors))
    return 0
