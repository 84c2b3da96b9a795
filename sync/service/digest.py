"""The one place ``serve`` calls the digest: ``sync.mail.deliver_digests`` (``trainyard digest``).

The digest keeps its own outbox (exactly once per period and recipient); the service only
decides when — on ``[schedule] digest_cron``, under the ``digest`` lease — and counts what was
sent and what failed. A config without recipients gets no digest job (many trains start with
reports only); one with recipients that cannot send (no sender, password variable unset) stops
``serve`` at start with the digest's own one-line message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sync.config import Config
from sync.config_digest import sending_problem
from sync.errors import ConfigError
from sync.mail import DeliveryReport, deliver_digests

Deliver = Callable[[Config, datetime], DeliveryReport]


def deliver(config: Config, now: datetime) -> DeliveryReport:
    """Send the digest due now (the digest package decides what is due and to whom)."""
    return deliver_digests(config, now=now, send=True)


def scheduled(config: Config) -> bool:
    """Whether ``serve`` runs the digest job: a cron and recipients; ``ConfigError`` when there
    are recipients but the digest could not be sent."""
    digest = config.digest
    if not config.schedule.digest_cron.strip() or not (digest.to or digest.routes):
        return False
    problem = sending_problem(digest, config.smtp)
    if problem:
        raise ConfigError(f'{config.path}: {problem} (or set [schedule] digest_cron = "")')
    return True
