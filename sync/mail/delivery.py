"""Build each recipient's digest and deliver it exactly once per period (see ``outbox``).

``deliver_digests`` is what ``trainyard digest`` and the service's digest job call. Per
recipient: the digest covers what changed since the last digest sent to it (``--since``
overrides; the first one looks back ``FIRST_LOOKBACK``); a quiet digest (nothing changed,
nothing red) is skipped unless ``[digest] send_when_quiet``; the outbox row is claimed
before the send and the outcome recorded after it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy.orm import Session

from reports.digest import Digest, DigestSettings, Facts, SourceRun, compose, gather
from sync.config import Config
from sync.config_digest import sending_problem
from sync.errors import ConfigError, RunError
from sync.mail import outbox
from sync.mail.message import build_message
from sync.mail.routing import Recipient, message_id, period_of, recipients
from sync.mail.smtp import SendError, send

FIRST_LOOKBACK = timedelta(days=7)
BOARD_FILE = "board.html"  # the board's file name in [reports] out_dir, as the service writes it


@dataclass(frozen=True)
class DeliveryReport:
    """What one run delivered. ``skipped_quiet``: some digest was quiet and not sent."""

    sent: int
    failed: int
    skipped_quiet: bool
    errors: tuple[str, ...]


def deliver_digests(
    config: Config,
    *,
    now: datetime,
    send: bool = True,
    since: datetime | None = None,
    out: Path | None = None,
) -> DeliveryReport:
    """Build every recipient's digest as of ``now``; send it (``send``) and/or write it
    (``out``: the train's digest there, each team's slice beside it as ``NAME-team.eml``)."""
    if send and (problem := sending_problem(config.digest, config.smtp)):
        raise ConfigError(f"{config.path}: {problem}")
    from sync.commands.common import catalog_session  # the commands import this package

    with catalog_session(config, "the digest's data") as session:
        run = _Run(config, session, now, since)
        if out is not None:
            run.write(out)
        if send:
            for recipient in recipients(config.digest):
                run.deliver(recipient)
    return DeliveryReport(run.sent, run.failed, run.quiet, tuple(run.errors))


def preview_text(config: Config, *, now: datetime, since: datetime | None = None) -> str:
    """The plain text of the train's digest (what ``trainyard digest`` prints)."""
    from reports.digest import render_text
    from sync.commands.common import catalog_session

    with catalog_session(config, "the digest's data") as session:
        return render_text(_Run(config, session, now, since).digest(None, None))


class _Run:
    """One delivery run: the reports are gathered once per distinct ``since``."""

    def __init__(
        self, config: Config, session: Session, now: datetime, since: datetime | None
    ) -> None:
        from sync.commands.report import context
        from sync.commands.status import collect

        self.config, self.session, self.now, self.since = config, session, now, since
        self.train, self.tz = config.train.name, config.train.timezone
        self.period = period_of(now, self.tz)
        self.ctx = context(config, now, now)
        self.runs = {
            s.name: SourceRun(s.name, s.failing, s.last_error)
            for s in collect(session, config, now)
        }
        self.facts: dict[datetime, Facts] = {}
        self.sent = self.failed = 0
        self.quiet = False
        self.errors: list[str] = []

    def start(self, recipient: str | None) -> datetime:
        if self.since is not None:
            return self.since
        if recipient is not None:
            last = outbox.last_sent_as_of(self.session, self.train, recipient, self.period)
            if last is not None:
                return last
        return self.now - FIRST_LOOKBACK

    def digest(self, team: str | None, recipient: str | None) -> Digest:
        start = self.start(recipient)
        if start not in self.facts:
            self.facts[start] = gather(self.session, self.ctx, start, self.tz)
        digest_cfg = self.config.digest
        base = self.config.reports.base_url
        settings = DigestSettings(
            aging_threshold_days=digest_cfg.aging_threshold_days,
            max_items=digest_cfg.max_items,
            board_url=f"{base.rstrip('/')}/{BOARD_FILE}" if base else None,
            team=team,
        )
        return compose(self.facts[start], settings, self.runs)

    def message(self, digest: Digest, to: tuple[str, ...], mid: str) -> EmailMessage:
        return build_message(
            digest, sender=self.config.smtp.from_, to=to, message_id=mid, period=self.period,
            now=self.now,
        )  # fmt: skip

    def deliver(self, r: Recipient) -> None:
        state = outbox.state(self.session, self.train, self.period, r.address)
        if state in (outbox.SENT, outbox.SENDING):
            return  # sent this period, or its outcome is unknown: never twice
        digest = self.digest(r.team, r.address)
        if digest.quiet and not self.config.digest.send_when_quiet:
            self.quiet = True
            return
        mid = message_id(self.train, self.period, r.address, self.config.smtp.from_)
        claimed = outbox.claim(
            self.session, train=self.train, period=self.period, recipient=r.address,
            team=r.team, message_id=mid, since=digest.since, as_of=digest.as_of, now=self.now,
        )  # fmt: skip
        if claimed is None:
            return
        try:
            send(
                self.message(digest, (r.address,), claimed.message_id),
                self.config.smtp,
                self._password(),
            )
        except SendError as exc:
            outbox.record_failed(self.session, claimed, str(exc))
            self.failed += 1
            self.errors.append(f"{r.address}: {exc}")
            return
        outbox.record_sent(self.session, claimed, self.now)
        self.sent += 1

    def write(self, out: Path) -> None:
        """The train's digest to ``out``; each routed team's slice beside it."""
        scopes: list[tuple[str | None, tuple[str, ...]]] = [(None, self.config.digest.to)]
        scopes += [(route.team, route.to) for route in self.config.digest.routes]
        for team, to in scopes:
            path = out if team is None else out.with_name(f"{out.stem}-{_slug(team)}{out.suffix}")
            mid = message_id(
                self.train, self.period, ",".join(to) or team or "", self.config.smtp.from_
            )
            data = self.message(self.digest(team, None), to, mid).as_bytes()
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise RunError(
                    f"cannot write the digest to {path}: {exc.strerror or exc}; check the path"
                ) from None

    def _password(self) -> str | None:
        var = self.config.smtp.password_env
        return os.environ.get(var) if var else None


def _slug(team: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", team).strip("-").lower() or "team"
