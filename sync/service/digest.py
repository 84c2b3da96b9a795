"""The one place ``serve`` calls the digest: ``sync.mail.deliver_digests`` (``trainyard digest``).

The digest keeps its own outbox (exactly once per period and recipient); the service only
decides when, under the ``digest`` lease, and counts what was sent and what failed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.config import Config


@dataclass(frozen=True, slots=True)
class DigestOutcome:
    sent: int
    failed: int
    skipped_quiet: bool
    errors: tuple[str, ...]


Deliver = Callable[[Config, datetime], DigestOutcome]


def deliver(config: Config, now: datetime) -> DigestOutcome:
    """Send the digest now (the digest package decides what is due and to whom)."""
    mail: Any = importlib.import_module("sync.mail")  # lands with the digest branch
    report = mail.deliver_digests(config, now=now, send=True)
    return DigestOutcome(
        sent=int(report.sent),
        failed=int(report.failed),
        skipped_quiet=bool(report.skipped_quiet),
        errors=tuple(str(e) for e in report.errors),
    )
