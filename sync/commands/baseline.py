"""``trainyard baseline create|list``: freeze a PI's plan in the database, list frozen plans.

``create --pi NAME [--at TIME] [--name N]`` stores the plan of the PI as the history stood at
``--at`` (default: the PI's baseline instant, ``baseline_at`` or the end of its first day): its
planned features and their open dependencies, copied, so the snapshot survives later history
loss (deleted issues). The name defaults to the instant in the train's time zone
("2026-01-06 00:00"); names are unique per PI. ``list`` prints one line per stored baseline.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.tables import PI, BaselineDependency, BaselineItem, PIBaseline
from reports.baseline import stored_baselines
from reports.plan import Plan, default_baseline_at, find_pi, plan_at
from reports.state import ReportError, load_train
from sync.commands.common import add_config_option, catalog_session, load_config
from sync.commands.pi_reports import check_pi
from sync.commands.report import AS_OF_FORMATS, context, parse_as_of
from sync.config import Config
from sync.errors import RunError, UsageError


def add(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("baseline", help="freeze or list PI baselines (the plan at planning)")
    actions = parser.add_subparsers(dest="baseline_command", metavar="ACTION")
    actions.required = True
    create = actions.add_parser(
        "create", help="store the PI's plan as it stood at a time (default: its baseline time)"
    )
    create.add_argument("--pi", required=True, metavar="NAME", help="PI name, as configured")
    create.add_argument("--at", metavar="TIME", help=f"the plan's instant: {AS_OF_FORMATS}")
    create.add_argument("--name", metavar="NAME", help="baseline name (default: the instant)")
    add_config_option(create)
    create.set_defaults(handler=run_create)
    listing = actions.add_parser("list", help="list the stored baselines")
    listing.add_argument("--pi", metavar="NAME", help="only this PI's baselines")
    add_config_option(listing)
    listing.set_defaults(handler=run_list)


def run_create(args: argparse.Namespace) -> int:
    config = load_config(args)
    check_pi(config, args.pi)
    tz = ZoneInfo(config.train.timezone)
    now = datetime.now(UTC)
    at = parse_as_of(args.at, tz, "--at") if args.at else None
    if at is not None and at > now:
        raise UsageError(f"--at {args.at!r} is in the future; a baseline freezes what was")
    with catalog_session(config, "the PI's plan") as session:
        try:
            stored = freeze(session, config, args.pi, at, args.name, now)
        except ReportError as exc:
            raise RunError(f"{exc}") from None
        message = (
            f"stored baseline {stored.name!r} of {args.pi}: {len(stored.items)} features, "
            f"{len(stored.dependencies)} dependencies, as of {_local(stored.at, tz)}"
        )
        session.commit()
    print(message)
    return 0


def freeze(
    session: Session,
    config: Config,
    pi: str,
    at: datetime | None,
    name: str | None,
    now: datetime,
) -> PIBaseline:
    """Store the plan of ``pi`` at ``at`` (None: the PI's baseline instant) as ``name``."""
    train = load_train(session, config.train.name)
    info = find_pi(train, pi)
    when = at if at is not None else default_baseline_at(session, train, info)
    if when > now:
        raise UsageError(
            f"the baseline time of {pi} ({_local(when, train.tz)}) has not come yet; "
            "pass --at with an earlier time"
        )
    label = name or when.astimezone(train.tz).strftime("%Y-%m-%d %H:%M")
    pi_row = session.scalar(select(PI).where(PI.train_id == train.id, PI.name == pi))
    assert pi_row is not None  # find_pi found it
    taken = session.scalar(
        select(PIBaseline.id).where(PIBaseline.pi_id == pi_row.id, PIBaseline.name == label)
    )
    if taken is not None:
        raise UsageError(f"{pi} already has a baseline named {label!r}; pass another --name")
    plan = plan_at(session, context(config, when, now), pi, when)
    row = _rows(plan, pi_row.id, label, now)
    session.add(row)
    session.flush()
    return row


def _rows(plan: Plan, pi_id: int, name: str, now: datetime) -> PIBaseline:
    row = PIBaseline(pi_id=pi_id, name=name, at=plan.at, created_at=now)
    for planned in plan.items.values():
        it = planned.item
        row.items.append(
            BaselineItem(
                source=it.source, key=it.key, tracker_id=it.id, title=it.title, url=it.url,
                type=planned.type, team=it.team, iteration=it.iteration or "",
                iteration_seq=planned.seq or 0, status=it.status,
                status_category=it.status_category,
            )
        )  # fmt: skip
    for dep in plan.dependencies.values():
        row.dependencies.append(
            BaselineDependency(
                blocker_source=dep.blocker.source, blocker_key=dep.blocker.key,
                blocked_source=dep.blocked.source, blocked_key=dep.blocked.key,
                health=dep.health, created_at=dep.created_at,
            )
        )  # fmt: skip
    return row


def run_list(args: argparse.Namespace) -> int:
    config = load_config(args)
    if args.pi is not None:
        check_pi(config, args.pi)
    tz = ZoneInfo(config.train.timezone)
    with catalog_session(config, "the stored baselines") as session:
        try:
            found = stored_baselines(session, load_train(session, config.train.name), args.pi)
        except ReportError as exc:
            raise RunError(f"{exc}") from None
    if not found:
        print("no stored baselines; create one with 'trainyard baseline create --pi NAME'")
    for b in found:
        print(
            f"{b.pi}\t{b.name}\tas of {_local(b.at, tz)}\t{b.features} features\t"
            f"{b.dependencies} dependencies\tstored {_local(b.created_at, tz)}"
        )
    return 0


def _local(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}"
