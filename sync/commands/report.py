"""``trainyard report dependencies|blocked|flow|board|...``: one report, JSON to stdout by default
(the board: HTML by default, ``--pi`` defaulting to the current PI, ``--level feature|story``).

Builds the report context from the config (train, blocked rules, sync interval, the train's
sources), mirrors the config into the database (``ensure_catalog``) and never needs the
trackers' secrets. ``--as-of`` accepts ``2026-10-20`` (midnight in the train's time zone),
``2026-10-20T14:30`` (train time zone) or an ISO-8601 time with ``Z`` or an offset.

``report_args``, ``build`` and ``render_any`` let ``trainyard serve`` write every report of
``REPORTS`` the way this command does; ``--out`` files are replaced atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from reports.baseline import BaselineChoiceError
from reports.blocked import blocked_report
from reports.board import FORMATS as BOARD_FORMATS
from reports.board import LEVELS as BOARD_LEVELS
from reports.board import BoardReport, board_report, render_board
from reports.dependencies import dependency_report
from reports.flow import flow_report
from reports.render import FORMATS, Report, render
from reports.state import ReportContext, ReportError
from sync.commands.common import (
    AS_OF_FORMATS,
    UsageParser,
    add_config_option,
    catalog_session,
    load_config,
    parse_as_of,
)
from sync.commands.pi_reports import (
    PlanReport,
    add_pi_options,
    baseline_parser,
    build_pi_report,
    check_pi,
    render_plan,
)
from sync.config import Config
from sync.errors import RunError, UsageError

REPORTS = {
    "dependencies": "dependency aging: open blocks-links, age, health, who waits on whom",
    "blocked": "blocked work: reasons, blocked since, blockers, root blockers, cycles",
    "flow": "throughput, WIP, lead time and blocked days per team and iteration of the PI",
    "drift": "PI drift from its baseline: features moved, added, removed; new and reddened strings",
    "predictability": "PI predictability: business value achieved vs committed, per team",
    "board": "the program board of a PI: cards by team and iteration, dependency strings",
}
PI_REPORTS = ("drift", "predictability")
DEFAULT_FORMAT = {"board": "html"}
__all__ = ["AS_OF_FORMATS", "context", "parse_as_of", "run_report"]  # parse_as_of lived here


def add(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("report", help="write a report (" + ", ".join(REPORTS) + ")")
    kinds = parser.add_subparsers(dest="report", metavar="REPORT")
    kinds.required = True
    for name, help_text in REPORTS.items():
        one = kinds.add_parser(name, help=help_text, description=help_text)
        fmt = DEFAULT_FORMAT.get(name, "json")
        choices = BOARD_FORMATS if name == "board" else FORMATS
        one.add_argument("--format", choices=choices, default=fmt, help=f"default: {fmt}")
        one.add_argument(
            "--as-of", metavar="TIME", help=f"report as the history stood then: {AS_OF_FORMATS}"
        )
        one.add_argument("--out", metavar="PATH", help="write to PATH instead of stdout")
        if name in PI_REPORTS:
            add_pi_options(one, required=name == "drift")
        if name == "board":
            _board_options(one)
        if name == "dependencies":
            one.add_argument(
                "--all",
                action="store_true",
                help="also list dependencies resolved within the current PI",
            )
        add_config_option(one)
        one.set_defaults(handler=run_report)


def _board_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pi", metavar="NAME", help="PI name as configured (default: the current PI)"
    )
    parser.add_argument(
        "--level",
        choices=tuple(BOARD_LEVELS),
        default="feature",
        help="cards: features and epics (default), or stories, tasks and bugs",
    )
    parser.add_argument(
        "--baseline",
        metavar="NAME|TIME",
        help="the drift layer's baseline: a stored baseline's name or a time "
        "(default: the PI's baseline_at, else the end of its first day)",
    )


def context(config: Config, as_of: datetime, now: datetime) -> ReportContext:
    return ReportContext(
        train=config.train.name,
        as_of=as_of,
        now=now,
        blocked_flagged=config.blocked.flagged,
        blocked_statuses=config.blocked.statuses,
        blocked_labels=config.blocked.labels,
        sync_interval_minutes=config.sync.interval_minutes,
        sources=tuple(s.name for s in config.sources),
        same_iteration=config.dependencies.same_iteration,
        stalled_days=config.flow.stalled_days,
        bots=config.flow.bots,
    )


def run_report(args: argparse.Namespace) -> int:
    config = load_config(args)  # reports read the database only: no secrets needed
    if args.report in (*PI_REPORTS, "board"):
        args.pi = check_pi(config, args.pi)
    now = datetime.now(UTC)
    as_of = parse_as_of(args.as_of, ZoneInfo(config.train.timezone)) if args.as_of else now
    if as_of > now:
        raise UsageError(f"--as-of {args.as_of!r} is in the future; reports describe the past")
    try:
        with catalog_session(config, "the report's data") as session:
            report = build(session, args.report, context(config, as_of, now), args)
    except ReportError as exc:
        raise RunError(f"{exc}") from None
    write(render_any(report, args.format), args.out)
    return 0


def report_args(name: str, fmt: str, *, pi: str | None = None) -> argparse.Namespace:
    """The options of ``trainyard report NAME --format FMT [--pi PI]``, defaults included, as
    the command line gives them (a report's own options need no copy here); ``--pi`` only for
    the reports that take it. ``UsageError`` when the report does not know ``fmt``."""
    argv = ["report", name, "--format", fmt]
    if pi is not None and takes_pi(name):
        argv += ["--pi", pi]
    return _report_parser().parse_args(argv)


def _report_parser() -> argparse.ArgumentParser:
    """``trainyard report`` alone (this module's ``add``): the command line's own defaults."""
    parser = UsageParser(prog="trainyard")
    add(parser.add_subparsers(dest="command", parser_class=UsageParser))
    return parser


def takes_pi(name: str) -> bool:
    """Whether ``trainyard report NAME`` describes one PI (has a ``--pi`` option)."""
    try:
        _report_parser().parse_args(["report", name, "--pi", "?"])
    except UsageError:
        return False
    return True


def render_any(report: Report | PlanReport | BoardReport, fmt: str) -> str:
    if isinstance(report, BoardReport):
        return render_board(report, fmt)
    if isinstance(report, PlanReport):
        return render_plan(report, fmt)
    return render(report, fmt)


def build(
    session: Session, name: str, ctx: ReportContext, args: argparse.Namespace
) -> Report | PlanReport | BoardReport:
    if name == "board":
        try:
            return board_report(  # callers other than the CLI (the service) may omit options
                session, ctx, getattr(args, "pi", None), level=getattr(args, "level", "feature"),
                baseline=getattr(args, "baseline", None), parse_time=baseline_parser(session, ctx),
            )  # fmt: skip
        except BaselineChoiceError as exc:
            raise UsageError(str(exc)) from None
    if name in PI_REPORTS:
        return build_pi_report(session, name, ctx, args)
    if name == "dependencies":
        return dependency_report(session, ctx, include_resolved=bool(args.all))
    if name == "blocked":
        return blocked_report(session, ctx)
    return flow_report(session, ctx)


def write(text: str, out: str | None) -> None:
    if out is None:
        print(text, end="")
        return
    try:
        write_atomically(Path(out), text)
    except OSError as exc:
        raise RunError(
            f"cannot write report to {out}: {exc.strerror or exc}; check the path"
        ) from None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: readers see the old file or the new one, never half."""
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp's 0600 would hide the report from a web server
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
