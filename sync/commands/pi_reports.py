"""The PI reports of ``trainyard report`` (drift, predictability): options, PI check, build.

PI names match the config exactly; an unknown one is a usage error listing the known PIs.
``predictability`` without ``--pi`` takes the PI containing now, else the latest one that has
started. ``--baseline`` names a stored baseline of the PI or gives a time (``--as-of``
spellings); without it the PI's default baseline is reconstructed from history.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from reports.baseline import BaselineChoiceError
from reports.drift import DriftReport, drift_report
from reports.plan_render import PlanReport, render_plan
from reports.predictability import PredictabilityReport, predictability_report
from reports.state import ReportContext
from sync.commands.common import parse_as_of
from sync.config import Config
from sync.errors import UsageError

__all__ = [
    "PlanReport",
    "add_pi_options",
    "baseline_parser",
    "build_pi_report",
    "check_pi",
    "render_plan",
]


def add_pi_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--pi",
        required=required,
        metavar="NAME",
        help="PI name as configured" + ("" if required else " (default: the current PI)"),
    )
    parser.add_argument(
        "--baseline",
        metavar="NAME|TIME",
        help="a stored baseline's name, or a time to reconstruct the plan at "
        "(default: the PI's baseline_at, else the end of its first day)",
    )


def check_pi(config: Config, name: str | None) -> str:
    """The configured PI ``name`` (None: the current or latest started PI), or UsageError."""
    pis = config.calendar.pis
    known = ", ".join(pi.name for pi in pis) or "none configured"
    if name is None:
        tz = ZoneInfo(config.train.timezone)
        today = datetime.now(UTC).astimezone(tz).date()
        started = [pi for pi in pis if pi.start <= today]
        if not started:
            raise UsageError(f"no PI has started yet; pass --pi NAME (known PIs: {known})")
        return max(started, key=lambda pi: pi.start).name
    if any(pi.name == name for pi in pis):
        return name
    raise UsageError(f"--pi {name!r} is not a configured PI; known PIs: {known}")


def build_pi_report(
    session: Session, name: str, ctx: ReportContext, args: argparse.Namespace
) -> DriftReport | PredictabilityReport:
    parse_time = baseline_parser(session, ctx)
    try:
        if name == "drift":
            return drift_report(session, ctx, args.pi, args.baseline, parse_time)
        return predictability_report(session, ctx, args.pi, args.baseline, parse_time)
    except BaselineChoiceError as exc:
        raise UsageError(str(exc)) from None


def baseline_parser(session: Session, ctx: ReportContext) -> Callable[[str], datetime | None]:
    """Reads a ``--baseline`` that is a time (``--as-of`` spellings); None when it is not."""
    tz = ZoneInfo(ctx_timezone(session, ctx))

    def parse_time(text: str) -> datetime | None:
        try:
            return parse_as_of(text, tz, "--baseline")
        except UsageError:
            return None

    return parse_time


def ctx_timezone(session: Session, ctx: ReportContext) -> str:
    from reports.state import load_train

    return load_train(session, ctx.train).tz.key
