"""Every report of ``trainyard report`` regenerated into ``[reports] out_dir``, atomically.

Each report in ``sync.commands.report.REPORTS`` (the board joins when it registers there) is
built once with the same functions and options the command uses, then rendered as HTML (people),
JSON (tools) and Markdown (chat, wikis) — those of them the report offers — into ``NAME.html``,
``NAME.json`` and ``NAME.md``. Each
file is replaced in one step, so a reader or the HTTP endpoint never sees half a report. The PI
reports describe the current PI (or the latest started one) and are left out, with a log line,
while no PI has started. One failing report does not keep the others from being written; the
job then fails naming it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from reports.state import ReportContext, ReportError
from sync.catalog import ensure_catalog
from sync.commands.pi_reports import check_pi
from sync.commands.report import (
    REPORTS,
    build,
    context,
    render_any,
    report_args,
    takes_pi,
    write_atomically,
)
from sync.config import Config
from sync.errors import RunError, TrainyardError

log = logging.getLogger(__name__)

OUTPUT_FORMATS = ("html", "json", "md")


def out_dir(config: Config) -> Path:
    """Where reports go (relative paths start at the working directory, as ``--out`` does)."""
    return Path(config.reports.out_dir)


def current_pi(config: Config) -> str | None:
    try:
        return check_pi(config, None)
    except TrainyardError:
        return None


def regenerate(config: Config, db: Engine, now: datetime) -> list[Path]:
    """Write every report in every output format; raise ``RunError`` naming those that failed."""
    target = out_dir(config)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(
            f"cannot create [reports] out_dir {target}: {exc.strerror or exc}; fix the path"
        ) from None
    pi = current_pi(config)
    written: list[Path] = []
    failed: list[str] = []
    with Session(db) as session:
        ensure_catalog(session, config)
        session.commit()
        ctx = context(config, now, now)
        for name in REPORTS:
            if pi is None and takes_pi(name):
                log.info("report %s skipped: no PI has started yet", name)
                continue
            try:
                written += _write_one(session, name, pi, ctx, target)
            except (ReportError, TrainyardError, OSError) as exc:
                session.rollback()
                failed.append(f"{name}: {' '.join(str(exc).split())}")
    if failed:
        raise RunError(f"reports not written: {'; '.join(failed)}")
    return written


def _write_one(
    session: Session, name: str, pi: str | None, ctx: ReportContext, target: Path
) -> list[Path]:
    formats = formats_of(name, pi)
    if not formats:
        log.warning("report %s offers none of the formats %s; skipped", name, OUTPUT_FORMATS)
        return []
    report = build(session, name, ctx, report_args(name, formats[0], pi=pi))
    paths: list[Path] = []
    for fmt in formats:
        path = target / f"{name}.{fmt}"
        write_atomically(path, render_any(report, fmt))
        paths.append(path)
    return paths


def formats_of(name: str, pi: str | None) -> list[str]:
    """The output formats ``trainyard report NAME`` offers (the board has no Markdown)."""
    return [fmt for fmt in OUTPUT_FORMATS if _offers(name, fmt, pi)]


def _offers(name: str, fmt: str, pi: str | None) -> bool:
    """Whether ``trainyard report NAME`` accepts ``--format FMT``."""
    try:
        report_args(name, fmt, pi=pi)
    except TrainyardError:
        return False
    return True
